using System.Net;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Sa;

/// <summary>What to do when a peer stops answering liveness checks (swanctl's dpd_action).</summary>
public enum DpdAction
{
    /// <summary>Close the SAs and wait.</summary>
    Clear,
    /// <summary>Close the SAs and establish them again at once.</summary>
    Restart,
}

/// <summary>
/// One connection as the engine sees it, mirroring swanctl.conf's connections.NAME: addresses, IKE
/// proposals, identities and secrets, lifetimes and liveness, and its children.
/// </summary>
public sealed partial record IkeSaConfig
{
    public required string Name { get; init; }

    /// <summary>Local addresses to use; the first is the source for initiating.</summary>
    public IReadOnlyList<IPAddress> LocalAddresses { get; init; } = [];

    /// <summary>
    /// Peer addresses, tried in order when initiating (active-passive gateways), and those a peer's IKE_SA_INIT may come
    /// from; none, or a wildcard (0.0.0.0, ::), accepts any peer (<see cref="AcceptsAnyPeer"/>).
    /// </summary>
    public IReadOnlyList<IPAddress> RemoteAddresses { get; init; } = [];

    /// <summary>
    /// remote_addrs names a host (a DNS name). The engine never resolves: the host does, each time it initiates, and gives
    /// the engine the addresses to try and to accept, in remote_addrs order, with <see cref="IkeEngine.SetRemoteAddresses"/>;
    /// they take the place of <see cref="RemoteAddresses"/>, and none means no peer, not any. Where the engine would
    /// establish the connection again on its own (dpd_action restart) it asks the host to (<see cref="RestartWanted"/>), so
    /// that the names are resolved anew first, as strongSwan's reestablish() resolves them.
    /// </summary>
    public bool HasRemoteNames { get; init; }

    /// <summary>Whether a peer at any address may use this connection: remote_addrs empty (and naming no host) or a wildcard.</summary>
    public bool AcceptsAnyPeer =>
        (RemoteAddresses.Count == 0 && !HasRemoteNames) || RemoteAddresses.Any(a => a.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any));

    public int LocalPort { get; init; } = 500;
    public int RemotePort { get; init; } = 500;

    /// <summary>IKE proposals, most preferred first; the responder selects in this order.</summary>
    public required IReadOnlyList<Proposal> Proposals { get; init; }

    public required Identity LocalId { get; init; }

    /// <summary>The identity the peer must prove; null accepts any identity the PSK lookup knows.</summary>
    public Identity? RemoteId { get; init; }

    /// <summary>The pre-shared key for this connection's peers. Never logged.</summary>
    public required byte[] PreSharedKey { get; init; }

    /// <summary>When the IKE SA is rekeyed; zero turns rekeying off (swanctl's rekey_time = 0).</summary>
    public TimeSpan RekeyTime { get; init; } = TimeSpan.FromHours(4);

    /// <summary>
    /// When the IKE SA is reauthenticated (swanctl's reauth_time; zero, the default, never): a new IKE SA to the same peer,
    /// with IKE_SA_INIT, a fresh IKE_AUTH and the Child SAs again, before the old one is deleted (RFC 7296 2.8.3,
    /// strongSwan's make_before_break). An IKE rekey in between keeps the deadline.
    /// </summary>
    public TimeSpan ReauthTime { get; init; }

    /// <summary>
    /// Hard lifetime of the IKE SA; zero derives it as swanctl does: the earlier of RekeyTime and ReauthTime plus
    /// over_time, 10% of the longer (none when both are zero).
    /// </summary>
    public TimeSpan LifeTime { get; init; }

    /// <summary>Random jitter subtracted from the rekey and reauth times; shorter than each.</summary>
    public TimeSpan RandTime { get; init; }

    /// <summary>Quiet time after which a liveness check is sent; zero disables liveness checks.</summary>
    public TimeSpan DpdDelay { get; init; }

    /// <summary>How long an unanswered liveness check may go before the peer is declared dead; zero uses the retransmission limit.</summary>
    public TimeSpan DpdTimeout { get; init; }

    public DpdAction DpdAction { get; init; } = DpdAction.Clear;

    /// <summary>Offer and accept IKE message fragmentation (RFC 7383).</summary>
    public bool Fragmentation { get; init; } = true;

    /// <summary>Largest IKE datagram sent before fragmenting (RFC 7383 2.5.1; 1280 minus IP/UDP for IPv6 safety).</summary>
    public int FragmentSize { get; init; } = 1232;

    /// <summary>Always encapsulate in UDP, faking a NAT (as strongSwan's "encap = yes").</summary>
    public bool ForceEncapsulation { get; init; }

    /// <summary>
    /// swanctl's pools: where the virtual IPs this connection's clients ask for come from (RFC 7296 2.19), tried in order
    /// for each address family asked; a child with <see cref="ChildSaConfig.RemoteDynamic"/> takes the client's address.
    /// </summary>
    public IReadOnlyList<AddressPoolConfig> Pools { get; init; } = [];

    /// <summary>
    /// swanctl's vips: the virtual IPs to ask the peer for in IKE_AUTH (0.0.0.0 or :: for any of that family, or an address
    /// wished for); a child with <see cref="ChildSaConfig.LocalDynamic"/> takes what the peer gives.
    /// </summary>
    public IReadOnlyList<IPAddress> VirtualIps { get; init; } = [];

    public IReadOnlyList<ChildSaConfig> Children { get; init; } = [];

    /// <summary>
    /// The hard lifetime: LifeTime, else the earlier of RekeyTime and ReauthTime (those set) plus swanctl's over_time,
    /// 10% of the longer. Zero means none: rekey_time = 0 and no reauth_time without a life_time keeps the IKE SA until
    /// it is deleted.
    /// </summary>
    public TimeSpan EffectiveLifeTime
    {
        get
        {
            if (LifeTime > TimeSpan.Zero)
                return LifeTime;
            var first = RekeyTime > TimeSpan.Zero && (ReauthTime <= TimeSpan.Zero || RekeyTime < ReauthTime) ? RekeyTime : ReauthTime;
            var longer = RekeyTime > ReauthTime ? RekeyTime : ReauthTime;
            return first + (longer / 10);
        }
    }
}

/// <summary>How and when a child comes up (swanctl's start_action).</summary>
public enum StartAction
{
    None,
    Start,
    Trap,
}

/// <summary>One child of a connection, mirroring swanctl.conf's children.NAME.</summary>
public sealed record ChildSaConfig
{
    public required string Name { get; init; }

    public required IReadOnlyList<TrafficSelector> LocalTs { get; init; }
    public required IReadOnlyList<TrafficSelector> RemoteTs { get; init; }

    /// <summary>local_ts dynamic with vips: our selectors are the virtual IPs the peer gave us (<see cref="LocalTs"/> unused).</summary>
    public bool LocalDynamic { get; init; }

    /// <summary>remote_ts dynamic (or omitted) with pools: the peer's selectors are the virtual IPs leased to it (<see cref="RemoteTs"/> unused).</summary>
    public bool RemoteDynamic { get; init; }

    /// <summary>ESP proposals, most preferred first; a key exchange transform means PFS.</summary>
    public required IReadOnlyList<Proposal> EspProposals { get; init; }

    /// <summary>When the Child SA is rekeyed; zero turns rekeying off (swanctl's rekey_time = 0).</summary>
    public TimeSpan RekeyTime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Hard lifetime; zero means RekeyTime plus 10% (none when RekeyTime is zero too).</summary>
    public TimeSpan LifeTime { get; init; }

    /// <summary>Random jitter subtracted from the rekey time; shorter than RekeyTime.</summary>
    public TimeSpan RandTime { get; init; }

    /// <summary>Soft and hard byte and packet limits; zero means none.</summary>
    public ulong RekeyBytes { get; init; }
    public ulong LifeBytes { get; init; }
    public ulong RekeyPackets { get; init; }
    public ulong LifePackets { get; init; }

    public StartAction StartAction { get; init; } = StartAction.None;

    /// <summary>
    /// The hard lifetime: LifeTime, else RekeyTime plus 10% (swanctl's life_time default). Zero means none: with
    /// rekey_time = 0 and no life_time, swanctl installs the Child SA without a time limit.
    /// </summary>
    public TimeSpan EffectiveLifeTime => LifeTime > TimeSpan.Zero ? LifeTime : RekeyTime + (RekeyTime / 10);
}
