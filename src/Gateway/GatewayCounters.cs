using S2SEndpoint.Ike.Diagnostics;

namespace S2SEndpoint.Gateway;

/// <summary>Drops of the gateway's own paths by reason, beside the ESP SAs' own drop counters, and the events it counts.</summary>
public sealed class GatewayCounters
{
    private long _keepalives;
    private long _held;
    private long _keepalivesSent;
    private long _mssClamped;
    private long _superPacketsRead;
    private long _segmentsRead;
    private long _superPacketsWritten;

    /// <summary>Packets dropped on the gateway's paths, by reason.</summary>
    public DropCounters<GatewayDropReason> Drops { get; } = new();

    /// <summary>NAT keepalives received (RFC 3948 2.3).</summary>
    public long Keepalives => Volatile.Read(ref _keepalives);

    /// <summary>Packets held for a trapped child while its SA came up.</summary>
    public long Held => Volatile.Read(ref _held);

    /// <summary>NAT keepalives sent (RFC 3948 2.3).</summary>
    public long KeepalivesSent => Volatile.Read(ref _keepalivesSent);

    /// <summary>TCP SYNs whose MSS option was lowered to their child's mss_clamp, both ways.</summary>
    public long MssClamped => Volatile.Read(ref _mssClamped);

    /// <summary>TSO super-packets read from the tunnel devices and split (gateway.offload).</summary>
    public long SuperPacketsRead => Volatile.Read(ref _superPacketsRead);

    /// <summary>The segments those super-packets were split into, each sealed as its own ESP packet.</summary>
    public long SegmentsRead => Volatile.Read(ref _segmentsRead);

    /// <summary>Super-packets written to the tunnel devices: TCP segments of one flow coalesced (gateway.offload).</summary>
    public long SuperPacketsWritten => Volatile.Read(ref _superPacketsWritten);

    internal void Count(GatewayDropReason reason) => Drops.Increment(reason);
    internal void Count(GatewayDropReason reason, long count) => Drops.Increment(reason, count);
    internal void CountSuperPacketRead(int segments)
    {
        Interlocked.Increment(ref _superPacketsRead);
        Interlocked.Add(ref _segmentsRead, segments);
    }

    internal void CountSuperPacketsWritten(long count) => Interlocked.Add(ref _superPacketsWritten, count);
    internal void CountKeepalive() => Interlocked.Increment(ref _keepalives);
    internal void CountHeld() => Interlocked.Increment(ref _held);
    internal void CountKeepaliveSent() => Interlocked.Increment(ref _keepalivesSent);
    internal void CountMssClamped() => Interlocked.Increment(ref _mssClamped);
}
