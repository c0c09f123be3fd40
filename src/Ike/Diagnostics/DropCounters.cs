using System.Runtime.CompilerServices;
using System.Text.Json;

namespace S2SEndpoint.Ike.Diagnostics;

// Every drop has a counted reason (STYLE.md: per-packet events are counters, never log lines): the one counter type
// of the three assemblies. The IKE engine counts by IkeDropReason, each ESP SA and the SA table by the ESP library's
// DropReason, the gateway's own paths by GatewayDropReason; `s2s status` lists the nonzero ones of each in snake_case.

/// <summary>
/// How many packets or messages were dropped for each reason of <typeparamref name="TReason"/>: one slot per enum
/// value, counted without a lock and without an allocation, readable from any thread.
/// </summary>
/// <typeparam name="TReason">An int enum whose values run from 0 without a gap.</typeparam>
public sealed class DropCounters<TReason> where TReason : struct, Enum
{
    private static readonly TReason[] Reasons = Enum.GetValues<TReason>();

    private readonly long[] _counts = new long[Reasons.Length];

    static DropCounters()
    {
        if (Enum.GetUnderlyingType(typeof(TReason)) != typeof(int))
            throw new NotSupportedException($"{typeof(TReason).Name}: drop reasons are an int enum");
        for (var i = 0; i < Reasons.Length; i++)
        {
            var reason = Reasons[i];
            if (Unsafe.As<TReason, int>(ref reason) != i)
                throw new NotSupportedException($"{typeof(TReason).Name}: drop reasons run from 0 without a gap");
        }
    }

    /// <summary>The number dropped for <paramref name="reason"/>.</summary>
    public long Count(TReason reason) => Volatile.Read(ref _counts[Unsafe.As<TReason, int>(ref reason)]);

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

    /// <summary>Adds what <paramref name="other"/> counted (the drops of an SA that goes, kept in a running total).</summary>
    public void Add(DropCounters<TReason> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        for (var i = 0; i < _counts.Length; i++)
            Interlocked.Add(ref _counts[i], Volatile.Read(ref other._counts[i]));
    }

    /// <summary>Counts <paramref name="count"/> drops for <paramref name="reason"/>. Any thread.</summary>
    public void Increment(TReason reason, long count) => Interlocked.Add(ref _counts[Unsafe.As<TReason, int>(ref reason)], count);

    /// <summary>Counts one drop for <paramref name="reason"/>. Any thread.</summary>
    public void Increment(TReason reason) => Interlocked.Increment(ref _counts[Unsafe.As<TReason, int>(ref reason)]);

    /// <summary>The reasons counted at least once, as `s2s status` names them (snake_case: icv_mismatch), with their counts.</summary>
    public IEnumerable<KeyValuePair<string, long>> Nonzero()
    {
        for (var i = 0; i < Reasons.Length; i++)
        {
            var count = Volatile.Read(ref _counts[i]);
            if (count != 0)
                yield return new(JsonNamingPolicy.SnakeCaseLower.ConvertName(Reasons[i].ToString()), count);
        }
    }
}
