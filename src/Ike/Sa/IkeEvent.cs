using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Sa;

/// <summary>Something an operator or the gateway wants to know about: SA lifecycle and failures.</summary>
public abstract record IkeEvent(string Connection, uint IkeSaId);

public sealed record IkeSaEstablished(string Connection, uint IkeSaId, ulong InitiatorSpi, ulong ResponderSpi, string Proposal, Identity RemoteId, bool NatDetected)
    : IkeEvent(Connection, IkeSaId);

public sealed record IkeSaClosed(string Connection, uint IkeSaId, string Reason) : IkeEvent(Connection, IkeSaId);

/// <summary>
/// The IKE SA <see cref="IkeEvent.IkeSaId"/> was reauthenticated (RFC 7296 2.8.3): <paramref name="NewIkeSaId"/> and its
/// Child SAs are up, and the old SA is being deleted.
/// </summary>
public sealed record IkeSaReauthenticated(string Connection, uint IkeSaId, uint NewIkeSaId) : IkeEvent(Connection, IkeSaId);

public sealed record ChildSaEstablished(string Connection, uint IkeSaId, string Child, uint UniqueId, uint InboundSpi, uint OutboundSpi, string Proposal, string LocalTs, string RemoteTs, bool Rekeyed)
    : IkeEvent(Connection, IkeSaId);

public sealed record ChildSaClosed(string Connection, uint IkeSaId, string Child, uint UniqueId, uint InboundSpi, uint OutboundSpi, string Reason)
    : IkeEvent(Connection, IkeSaId);

/// <summary>
/// A negotiation failed: the notify sent or received (AUTHENTICATION_FAILED, NO_PROPOSAL_CHOSEN, ...)
/// and a sentence for the log, which for a proposal mismatch names both sides' proposals.
/// </summary>
public sealed record NegotiationFailed(string Connection, uint IkeSaId, NotifyType Notify, bool ReceivedFromPeer, string Detail)
    : IkeEvent(Connection, IkeSaId);

/// <summary>
/// The connection's IKE SA died and dpd_action restart wants it established again, but its remote_addrs name hosts
/// (<see cref="IkeSaConfig.HasRemoteNames"/>): the host resolves them, gives the engine the addresses
/// (<see cref="IkeEngine.SetRemoteAddresses"/>) and initiates these children, which were up or on their way.
/// </summary>
public sealed record RestartWanted(string Connection, uint IkeSaId, IReadOnlyList<string> Children) : IkeEvent(Connection, IkeSaId);
