namespace S2SEndpoint.Gateway;

/// <summary>Drops and events of the gateway's own paths, beside the ESP SAs' own drop counters.</summary>
public sealed class GatewayCounters
{
    private long _noPolicy;
    private long _noSa;
    private long _notEncapsulated;
    private long _malformedUdp;
    private long _keepalives;
    private long _sealFailed;
    private long _openFailed;

    /// <summary>Outbound packets that matched no policy: dropped, never sent in clear.</summary>
    public long NoPolicy => Volatile.Read(ref _noPolicy);
    /// <summary>Outbound packets whose policy has no Child SA yet.</summary>
    public long NoSa => Volatile.Read(ref _noSa);
    /// <summary>Packets for an SA without UDP encapsulation, which a user-mode gateway cannot send.</summary>
    public long NotEncapsulated => Volatile.Read(ref _notEncapsulated);
    public long MalformedUdp => Volatile.Read(ref _malformedUdp);
    public long Keepalives => Volatile.Read(ref _keepalives);
    /// <summary>Outbound packets the ESP path refused (reasons are counted on the SA).</summary>
    public long SealFailed => Volatile.Read(ref _sealFailed);
    /// <summary>Inbound packets the ESP path refused (reasons are counted on the SA or the table).</summary>
    public long OpenFailed => Volatile.Read(ref _openFailed);

    /// <summary>The drop counters that are not zero, by reason as `s2s status` names them (keepalives are not drops).</summary>
    public IReadOnlyList<KeyValuePair<string, long>> NonzeroDrops()
    {
        var all = new KeyValuePair<string, long>[]
        {
            new("no_policy", NoPolicy),
            new("no_sa", NoSa),
            new("not_encapsulated", NotEncapsulated),
            new("malformed_udp", MalformedUdp),
            new("seal_failed", SealFailed),
            new("open_failed", OpenFailed),
        };
        return [.. all.Where(c => c.Value != 0)];
    }

    internal void CountNoPolicy() => Interlocked.Increment(ref _noPolicy);
    internal void CountNoSa() => Interlocked.Increment(ref _noSa);
    internal void CountNotEncapsulated() => Interlocked.Increment(ref _notEncapsulated);
    internal void CountMalformedUdp() => Interlocked.Increment(ref _malformedUdp);
    internal void CountKeepalive() => Interlocked.Increment(ref _keepalives);
    internal void CountSealFailed() => Interlocked.Increment(ref _sealFailed);
    internal void CountOpenFailed() => Interlocked.Increment(ref _openFailed);
}
