using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Sa;

/// <summary>The states of a Child SA as the engine tracks it.</summary>
public enum ChildSaState
{
    Installed,
    Rekeying,
    Rekeyed,
    Deleting,
}

/// <summary>
/// A negotiated Child SA: its SPIs, algorithms, selectors and timers. The keys live in the data plane
/// once installed; the engine keeps only what it needs to rekey and delete.
/// </summary>
public sealed class ChildSa
{
    /// <summary>
    /// RFC 4303 2.1: "The SPI value of zero (0) is reserved for local, implementation-specific use and MUST NOT
    /// be sent on the wire"; "The set of SPI values in the range 1 through 255 are reserved by the Internet
    /// Assigned Numbers Authority (IANA) for future use". Neither side's SPI may be below this.
    /// </summary>
    public const uint FirstValidSpi = 256;

    /// <summary>Whether a 4-octet ESP SPI as a proposal carries it is one a Child SA may use.</summary>
    internal static bool IsValidSpi(ReadOnlySpan<byte> spi) =>
        spi.Length == 4 && System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(spi) >= FirstValidSpi;

    internal ChildSa(ChildSaConfig config, uint uniqueId, uint inboundSpi, uint outboundSpi, ChildSuite suite, Proposal proposal,
        IReadOnlyList<TrafficSelector> localTs, IReadOnlyList<TrafficSelector> remoteTs, DateTimeOffset established)
    {
        Config = config;
        UniqueId = uniqueId;
        InboundSpi = inboundSpi;
        OutboundSpi = outboundSpi;
        Suite = suite;
        Proposal = proposal;
        LocalTs = localTs;
        RemoteTs = remoteTs;
        Established = established;
    }

    public ChildSaConfig Config { get; }
    public uint UniqueId { get; }
    public uint InboundSpi { get; }
    public uint OutboundSpi { get; }
    public ChildSuite Suite { get; }
    public Proposal Proposal { get; }
    public IReadOnlyList<TrafficSelector> LocalTs { get; }
    public IReadOnlyList<TrafficSelector> RemoteTs { get; }
    public DateTimeOffset Established { get; }
    public ChildSaState State { get; internal set; } = ChildSaState.Installed;

    /// <summary>When to start a rekey (rekey_time less a random part of rand_time).</summary>
    public DateTimeOffset RekeyAt { get; internal set; } = DateTimeOffset.MaxValue;

    /// <summary>When the SA expires for good (life_time).</summary>
    public DateTimeOffset ExpireAt { get; internal set; } = DateTimeOffset.MaxValue;

    /// <summary>
    /// Made as the responder of a rekey: inbound is up, but outbound traffic stays on <see cref="Replaces"/>
    /// until that SA goes (the initiator deletes it once it has installed the new one), as strongSwan does,
    /// so that nothing is sent on an SA the initiator cannot open yet.
    /// </summary>
    public bool OutboundPending { get; internal set; }

    /// <summary>
    /// Replaced by a rekey, or the redundant SA of a rekey collision: when it goes, its inbound SA lingers
    /// briefly in the data plane (as strongSwan's delete_rekeyed_delay) for the packets the peer sent on it
    /// before it learnt of the delete.
    /// </summary>
    public bool Superseded { get; internal set; }

    /// <summary>The SA this one rekeyed, while <see cref="OutboundPending"/>.</summary>
    internal ChildSa? Replaces { get; set; }

    public override string ToString() => $"{Config.Name}{{{UniqueId}}} {InboundSpi:x8}_i {OutboundSpi:x8}_o";
}
