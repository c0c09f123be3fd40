using System.Net;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Sa;

/// <summary>
/// Everything the data plane needs to install one Child SA: both SPIs, the transform and the keys of
/// each direction, the negotiated selectors, the outer endpoints and UDP encapsulation, and lifetimes.
/// </summary>
public sealed record ChildSaInstall(
    string Connection,
    string Child,
    uint UniqueId,
    uint InboundSpi,
    uint OutboundSpi,
    ChildSuite Suite,
    byte[] InboundEncryptionKey,
    byte[] InboundIntegrityKey,
    byte[] OutboundEncryptionKey,
    byte[] OutboundIntegrityKey,
    IReadOnlyList<TrafficSelector> LocalTs,
    IReadOnlyList<TrafficSelector> RemoteTs,
    IPEndPoint LocalEndpoint,
    IPEndPoint RemoteEndpoint,
    bool UdpEncapsulation,
    ulong LifeBytes,
    ulong LifePackets)
{
    /// <summary>
    /// Install the inbound direction now and keep outbound traffic on the SA this one rekeys until
    /// <see cref="IChildSaKernel.ActivateOutbound"/> (the responder of a rekey).
    /// </summary>
    public bool OutboundDeferred { get; init; }

    /// <summary>
    /// Installed by the responder of the exchange that made it (IKE_AUTH or CREATE_CHILD_SA, not a rekey): the initiator
    /// installs it only once our response has arrived. When the child already has an SA carrying its traffic (the old
    /// one of a make-before-break reauthentication, or a duplicate), the kernel keeps sending on that one until it goes,
    /// the peer sends on this one, or <c>EspKernel.PeerInstallHold</c> has passed, so that no packet reaches the peer
    /// before its SA.
    /// </summary>
    public bool InstalledByResponder { get; init; }

    /// <summary>
    /// Zeroes the four key copies: the kernel calls it once it has made its own SAs from them, so that no key
    /// outlives its use in this record (RFC 4301 leaves key handling to the implementation; strongSwan wipes its
    /// chunks the same way).
    /// </summary>
    public void ZeroKeys()
    {
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(InboundEncryptionKey);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(InboundIntegrityKey);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(OutboundEncryptionKey);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(OutboundIntegrityKey);
    }

    /// <summary>Keys stay out of logs: the record prints its identity only.</summary>
    public override string ToString() => $"{Connection}/{Child}{{{UniqueId}}} in {InboundSpi:x8} out {OutboundSpi:x8}";
}

/// <summary>
/// Traffic counters the data plane keeps for one Child SA, read by the engine for limits and liveness, and the data
/// plane's own limits: its outbound sequence numbers (RFC 4303 3.3.3: "the sender's counter and the receiver's
/// counter MUST NOT be allowed to cycle"; 2^32 without ESN, 2^64 with it) are near their end
/// (<paramref name="RekeyNeeded"/>) or spent, so that the SA sends no more (<paramref name="Exhausted"/>).
/// </summary>
public readonly record struct ChildSaUsage(ulong InboundBytes, ulong InboundPackets, ulong OutboundBytes, ulong OutboundPackets, DateTimeOffset? LastInbound,
    bool RekeyNeeded = false, bool Exhausted = false);

/// <summary>
/// The data plane as the IKE engine sees it, as strongSwan's charon sees its kernel interface:
/// SPIs are allocated there, Child SAs are installed and removed there, and usage is read from there.
/// The engine calls it synchronously from the one consumer of an IKE SA.
/// </summary>
public interface IChildSaKernel
{
    /// <summary>A fresh inbound SPI, unique on this host, never below 256 (RFC 4303 2.1).</summary>
    uint AllocateSpi();

    /// <summary>Installs both directions of a Child SA; the outbound one replaces the traffic of any SA it rekeys.</summary>
    void Install(ChildSaInstall childSa);

    /// <summary>Removes both directions of the Child SA with this inbound SPI.</summary>
    void Remove(uint inboundSpi, uint outboundSpi);

    ChildSaUsage QueryUsage(uint inboundSpi);

    /// <summary>
    /// The peer (or this host) is now reached at other addresses or ports, as an authenticated IKE message
    /// showed (RFC 7296 2.23, a NAT's new mapping): the Child SA's ESP follows.
    /// </summary>
    void UpdateEndpoints(uint inboundSpi, IPEndPoint local, IPEndPoint remote);

    /// <summary>
    /// Moves the child's outbound traffic to this Child SA: one installed with
    /// <see cref="ChildSaInstall.OutboundDeferred"/>, or back to an older one after a lost rekey collision.
    /// </summary>
    void ActivateOutbound(uint inboundSpi);

    /// <summary>
    /// Removes a Child SA a rekey replaced: its outbound side at once, its inbound side after a few seconds,
    /// for the packets the peer sent before it learnt of the delete.
    /// </summary>
    void RemoveSuperseded(uint inboundSpi, uint outboundSpi);

    /// <summary>
    /// The peer gave this host a virtual IP for the IKE SA <paramref name="ikeSaId"/> of <paramref name="connection"/>
    /// (RFC 7296 2.19): it goes on the connection's tunnel device and is the source of its routes, until
    /// <see cref="RemoveVirtualIp"/>. An IKE SA rekey keeps it (the new SA holds it; nothing is called).
    /// </summary>
    void AddVirtualIp(string connection, uint ikeSaId, IPAddress address);

    /// <summary>The IKE SA that held the virtual IP went: the address leaves the device.</summary>
    void RemoveVirtualIp(string connection, uint ikeSaId, IPAddress address);
}
