namespace S2SEndpoint.Esp;

// Per-SA (and per-table) drop counters: the data path's answer to "why did my packet not arrive?". Per-packet
// events are counters, never log lines (STYLE.md, Logging).

/// <summary>How many packets were dropped for each <see cref="DropReason"/>. Safe to read from any thread.</summary>
public sealed class DropCounters
{
    private static readonly int ReasonCount = Enum.GetValues<DropReason>().Length;

    private readonly long[] _counts = new long[ReasonCount];

    /// <summary>The number of packets dropped for <paramref name="reason"/>.</summary>
    public long Count(DropReason reason) => Volatile.Read(ref _counts[(int)reason]);

    /// <summary>All drops, whatever the reason.</summary>
    public long Total
    {
        get
        {
            long total = 0;
            for (var i = 0; i < _counts.Length; i++)
                total += Volatile.Read(ref _counts[i]);
            return total;
        }
    }

    internal void Increment(DropReason reason) => Interlocked.Increment(ref _counts[(int)reason]);
}
