namespace S2SEndpoint.Esp.Transforms;

// A small number per thread that seals or opens ESP packets, so that an SA can keep one transform per data-path
// worker in an array indexed by it (WorkerTransforms.cs), as the Linux kernel indexes per-CPU crypto state by CPU
// number. A thread takes the lowest free number on its first packet and keeps it for its life; when the thread has
// ended, the finalizer of a thread-static token gives the number back, so thread-pool churn never makes the numbers,
// or the SAs' arrays, grow beyond the threads alive at once. A later thread with the same number reuses the ended
// thread's transform in each SA: a transform is not tied to a thread, only used by one at a time.

/// <summary>The calling thread's worker number: dense, unique among live threads, reused after a thread ends.</summary>
internal static class WorkerSlot
{
    [ThreadStatic]
    private static Token? t_token;

    private static readonly Lock Sync = new();
    private static bool[] s_taken = new bool[16];

    /// <summary>The calling thread's number; the first call on a thread takes one.</summary>
    public static int Current => t_token?.Slot ?? Take();

    private static int Take()
    {
        int slot;
        lock (Sync)
        {
            slot = Array.IndexOf(s_taken, false);
            if (slot < 0)
            {
                slot = s_taken.Length;
                Array.Resize(ref s_taken, slot * 2);
            }
            s_taken[slot] = true;
        }
        t_token = new Token(slot);
        return slot;
    }

    /// <summary>Unreachable once its thread has ended; its finalizer frees the number.</summary>
    private sealed class Token(int slot)
    {
        public int Slot { get; } = slot;

        ~Token()
        {
            lock (Sync)
                s_taken[Slot] = false;
        }
    }
}
