using S2SEndpoint.Ike.Diagnostics;

namespace S2SEndpoint.Gateway;

/// <summary>Drops of the gateway's own paths by reason, beside the ESP SAs' own drop counters, and the events it counts.</summary>
public sealed class GatewayCounters
{
    private long _keepalives;
    private long _held;
    private long _keepalivesSent;
    private long _mssClamped;

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

    internal void Count(GatewayDropReason reason) => Drops.Increment(reason);
    internal void CountKeepalive() => Interlocked.Increment(ref _keepalives);
    internal void CountHeld() => Interlocked.Increment(ref _held);
    internal void CountKeepaliveSent() => Interlocked.Increment(ref _keepalivesSent);
    internal void CountMssClamped() => Interlocked.Increment(ref _mssClamped);
}
