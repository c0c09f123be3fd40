using System.Runtime.InteropServices;

namespace S2SEndpoint.IkeRate;

/// <summary>
/// The CPU time of the calling thread (clock_gettime with CLOCK_THREAD_CPUTIME_ID): what the thread ran, not the
/// time it waited while another process had the core. About a microsecond per call (a system call).
/// </summary>
internal static class ThreadCpu
{
    private const int ClockThreadCpuTimeId = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clockId, out Timespec time);

    /// <summary>Nanoseconds of CPU this thread has used.</summary>
    public static long Nanoseconds()
    {
        if (ClockGetTime(ClockThreadCpuTimeId, out var t) != 0)
            throw new InvalidOperationException($"clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed: errno {Marshal.GetLastPInvokeError()}");
        return (t.Seconds * 1_000_000_000) + t.Nanoseconds;
    }
}
