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
    private long _newSaRateLimited;
    private long _unknownIkeSpi;
    private long _held;
    private long _heldDropped;
    private long _keepalivesSent;
    private long _internalErrors;
    private long _unknownPeer;
    private long _noRoute;

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

    /// <summary>New IKE SA requests dropped by their source's rate limit before the control lock.</summary>
    public long NewSaRateLimited => Volatile.Read(ref _newSaRateLimited);
    /// <summary>Packets held for a trapped child while its SA came up.</summary>
    public long Held => Volatile.Read(ref _held);
    /// <summary>Packets for a trapped child beyond what it may hold.</summary>
    public long HeldDropped => Volatile.Read(ref _heldDropped);
    /// <summary>NAT keepalives sent (RFC 3948 2.3).</summary>
    public long KeepalivesSent => Volatile.Read(ref _keepalivesSent);

    /// <summary>IKE messages for no IKE SA of ours that are not new IKE SA requests, dropped before the control lock.</summary>
    public long UnknownIkeSpi => Volatile.Read(ref _unknownIkeSpi);

    /// <summary>Exceptions a reader or the timer survived (each kind logged once).</summary>
    public long InternalErrors => Volatile.Read(ref _internalErrors);

    /// <summary>New IKE SA requests from an address no connection's remote_addrs accepts, dropped before the rate limit and the lock.</summary>
    public long UnknownPeer => Volatile.Read(ref _unknownPeer);

    /// <summary>Inbound packets opened for a child the gateway no longer routes (a reload removed or changed its connection before its SAs were gone).</summary>
    public long NoRoute => Volatile.Read(ref _noRoute);

    internal void CountUnknownPeer() => Interlocked.Increment(ref _unknownPeer);
    internal void CountNoRoute() => Interlocked.Increment(ref _noRoute);
    internal void CountInternalError() => Interlocked.Increment(ref _internalErrors);
    internal void CountUnknownIkeSpi() => Interlocked.Increment(ref _unknownIkeSpi);
    internal void CountNewSaRateLimited() => Interlocked.Increment(ref _newSaRateLimited);
    internal void CountHeld() => Interlocked.Increment(ref _held);
    internal void CountHeldDropped() => Interlocked.Increment(ref _heldDropped);
    internal void CountKeepaliveSent() => Interlocked.Increment(ref _keepalivesSent);
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
            new("no_route", NoRoute),
            new("new_sa_rate_limited", NewSaRateLimited),
            new("unknown_ike_spi", UnknownIkeSpi),
            new("unknown_peer", UnknownPeer),
            new("trap_queue_full", HeldDropped),
            new("internal_error", InternalErrors),
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
