namespace S2SEndpoint.Gateway;

/// <summary>
/// Why the gateway's own paths dropped a packet, beside the reasons the ESP library counts per SA and the IKE engine
/// counts per datagram (<see cref="GatewayCounters.Drops"/>; `s2s status` shows them in snake_case).
/// </summary>
public enum GatewayDropReason
{
    /// <summary>An outbound packet matched no policy: dropped, never sent in clear.</summary>
    NoPolicy,

    /// <summary>An outbound packet whose child has no Child SA (and no trap).</summary>
    NoSa,

    /// <summary>A packet for an SA without UDP encapsulation, which a user-mode gateway cannot send.</summary>
    NotEncapsulated,

    /// <summary>A UDP datagram too short to be IKE, or neither IKE, ESP nor a keepalive.</summary>
    MalformedUdp,

    /// <summary>An outbound packet the ESP path refused (its reason is counted on the SA).</summary>
    SealFailed,

    /// <summary>An inbound packet the ESP path refused (its reason is counted on the SA or the table).</summary>
    OpenFailed,

    /// <summary>An inbound packet opened for a child the gateway no longer routes (a reload removed or changed it).</summary>
    NoRoute,

    /// <summary>A new IKE SA request beyond its source's rate limit, before the control lock.</summary>
    NewSaRateLimited,

    /// <summary>An IKE message for no IKE SA of ours that is not a new IKE SA request, before the control lock.</summary>
    UnknownIkeSpi,

    /// <summary>A new IKE SA request from an address no connection's remote_addrs accepts, before the rate limit and the lock.</summary>
    UnknownPeer,

    /// <summary>A packet for a trapped child beyond what it may hold, or held too long.</summary>
    TrapQueueFull,

    /// <summary>An exception a reader or the timer survived (each kind logged once).</summary>
    InternalError,

    /// <summary>
    /// What one read of a tunnel device gave and the reader could not take: a packet longer than its buffer (the MTU), or a
    /// super-packet of more segments than a batch holds.
    /// </summary>
    TunPacketTooLong,

    /// <summary>A super-packet whose virtio-net header does not describe it (gateway.offload): no segment of it is sent.</summary>
    TunBadFrame,

    /// <summary>An opened packet (or each segment of a coalesced one) the tunnel device refused to take.</summary>
    TunWriteFailed,
}
