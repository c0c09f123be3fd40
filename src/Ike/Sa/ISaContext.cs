using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Sa;

/// <summary>
/// What a task sees of the engine around its IKE SA: the data plane, randomness, the clock and the log, and
/// the few SA lifecycle steps an exchange completes (an SA up, a Child SA installed or removed, a rekeyed SA
/// taking over). <see cref="IkeSaManager"/> implements it; tasks never reach the engine itself.
/// </summary>
internal interface ISaContext
{
    IChildSaKernel Kernel { get; }
    IRandomSource Random { get; }
    DateTimeOffset Now { get; }
    EngineLog Log { get; }

    /// <summary>Where the keys of each keyed IKE SA are reported (<see cref="IkeEngineOptions.KeyLog"/>); null: nowhere.</summary>
    IIkeKeyLog? KeyLog { get; }

    /// <summary>A fresh nonce of the configured size (RFC 7296 2.10).</summary>
    byte[] NewNonce();

    /// <summary>A fresh IKE SPI, not zero and not in use here.</summary>
    ulong NewSpi();

    /// <summary>The next unique ID of a Child SA on this host.</summary>
    uint NewChildId();

    /// <summary>Reports a failed negotiation: one log line (rate-limited per source) and an event.</summary>
    void Failed(IkeSa sa, NotifyType notify, bool received, string detail);

    /// <summary>The SA has authenticated its peer: it is up, and its timers start.</summary>
    void Established(IkeSa sa);

    /// <summary>Whether another SA of this connection is up (if not, IKE_AUTH carries INITIAL_CONTACT).</summary>
    bool HasOtherEstablished(IkeSa sa);

    /// <summary>The SA's peer proved <paramref name="id"/> in IKE_AUTH: it becomes the SA's <see cref="IkeSa.RemoteId"/>.</summary>
    void PeerAuthenticated(IkeSa sa, Identity id);

    /// <summary>Drops, without deletes, the other SAs of this connection with the same authenticated peer.</summary>
    void ReplaceOlderSas(IkeSa sa);

    /// <summary>Installs a Child SA in the data plane and announces it.</summary>
    void Installed(IkeSa sa, ChildSa child, ChildSaInstall install, bool rekeyed);

    /// <summary>Removes a Child SA from the data plane and announces it.</summary>
    void RemoveChild(IkeSa sa, ChildSa child, string reason);

    /// <summary>Deletes the SA (or drops it while it is not yet up).</summary>
    void Terminate(IkeSa sa);

    /// <summary>A new SA made by an IKE SA rekey, sharing the old one's configuration and path; not yet in the table.</summary>
    IkeSa NewRekeyedSa(IkeSa old, bool originalInitiator, ulong localSpi);

    /// <summary>Puts an SA in the table so that its messages find it.</summary>
    void Register(IkeSa sa);

    /// <summary>The rekeyed SA takes over (RFC 7296 2.18): the Child SAs move to it, with what was queued for them.</summary>
    void AdoptRekeyed(IkeSa old, IkeSa created);

    /// <summary>The SA was replaced by a rekey; the peer deletes it, or it goes by itself after a grace time.</summary>
    void MarkRekeyed(IkeSa sa);

    /// <summary>Leases the SA's peer a virtual IP of the family from the connection's pools (RFC 7296 2.19); false when none has one.</summary>
    bool TryLease(IkeSa sa, System.Net.Sockets.AddressFamily family, System.Net.IPAddress? wish, out System.Net.IPAddress address, out AddressPoolConfig pool);
}
