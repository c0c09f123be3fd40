using System.Runtime.InteropServices;

namespace S2SEndpoint.Gateway.Tun;

// The few libc calls the TUN adapter makes, with the Linux constants they take (x86-64 and arm64 values; the
// generic ioctl encoding). Buffers and structures cross as `ref` to their first byte, so every signature is
// blittable: the stubs pin, call and save errno, and allocate nothing.
//
// These are DllImport rather than LibraryImport: the LibraryImport generator emits unsafe code, which needs
// <AllowUnsafeBlocks>true</AllowUnsafeBlocks> in the project. With that set, each declaration becomes
// `[LibraryImport(Name, SetLastError = true)] internal static partial ...` unchanged otherwise.

/// <summary>P/Invoke declarations for the TUN adapter: open, ioctl, read, write, close, poll, eventfd, setns.</summary>
internal static class Libc
{
    private const string Name = "libc";

    public const int ORdWr = 0x2;
    public const int ONonBlock = 0x800;
    public const int OCloExec = 0x80000;

    public const int EPerm = 1;
    public const int EIntr = 4;
    public const int EBadF = 9;
    public const int EAgain = 11;
    public const int EBusy = 16;
    public const int EInval = 22;
    public const int EMsgSize = 90;

    public const short PollIn = 0x1;

    public const int EfdNonBlock = 0x800;
    public const int EfdCloExec = 0x80000;

    /// <summary>CLONE_NEWNET, for setns(2) into a network namespace.</summary>
    public const int CloneNewNet = 0x40000000;

    /// <summary>A pollfd: int fd, short events, short revents.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <param name="path">A NUL-terminated path in UTF-8.</param>
    [DllImport(Name, EntryPoint = "open", SetLastError = true)]
    public static extern int Open(ref readonly byte path, int flags);

    /// <param name="request">The request code (an unsigned long).</param>
    /// <param name="argument">The first byte of the structure the request reads and writes.</param>
    [DllImport(Name, EntryPoint = "ioctl", SetLastError = true)]
    public static extern int Ioctl(int fd, nuint request, ref byte argument);

    [DllImport(Name, EntryPoint = "read", SetLastError = true)]
    public static extern nint Read(int fd, ref byte buffer, nuint count);

    [DllImport(Name, EntryPoint = "write", SetLastError = true)]
    public static extern nint Write(int fd, ref readonly byte buffer, nuint count);

    [DllImport(Name, EntryPoint = "close", SetLastError = true)]
    public static extern int Close(int fd);

    [DllImport(Name, EntryPoint = "poll", SetLastError = true)]
    public static extern int Poll(ref PollFd fds, nuint count, int timeoutMilliseconds);

    [DllImport(Name, EntryPoint = "eventfd", SetLastError = true)]
    public static extern int EventFd(uint initialValue, int flags);

    /// <summary>Moves the calling thread into the namespace <paramref name="fd"/> refers to.</summary>
    [DllImport(Name, EntryPoint = "setns", SetLastError = true)]
    public static extern int SetNs(int fd, int nsType);
}
