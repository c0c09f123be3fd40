using System.Buffers.Binary;

namespace S2SEndpoint.Ike.Messages;

// RFC 7296 section 3.11, Delete payload:
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Protocol ID   |   SPI Size    |          Num of SPIs          |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~               Security Parameter Index(es) (SPI)              ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

/// <summary>The Delete payload (RFC 7296 section 3.11): the IKE SA itself, or ESP/AH SPIs (inbound to the sender).</summary>
public sealed class DeletePayload(ProtocolId protocol, IReadOnlyList<uint> spis) : IkePayload
{
    private const int FixedSize = 4;
    private const int IpsecSpiSize = 4;

    public ProtocolId Protocol { get; } = protocol;
    public IReadOnlyList<uint> Spis { get; } = spis;

    public override PayloadType Type => PayloadType.Delete;
    public override int BodyLength => FixedSize + (Protocol == ProtocolId.Ike ? 0 : IpsecSpiSize * Spis.Count);

    public static DeletePayload IkeSa() => new(ProtocolId.Ike, []);

    public override void WriteBody(Span<byte> destination)
    {
        destination[0] = (byte)Protocol;
        var ike = Protocol == ProtocolId.Ike;
        destination[1] = ike ? (byte)0 : (byte)IpsecSpiSize;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], ike ? (ushort)0 : checked((ushort)Spis.Count));
        if (ike)
            return;
        for (var i = 0; i < Spis.Count; i++)
            BinaryPrimitives.WriteUInt32BigEndian(destination[(FixedSize + (i * IpsecSpiSize))..], Spis[i]);
    }

    public static bool TryRead(ReadOnlySpan<byte> body, int offset, out DeletePayload payload, out ParseError error)
    {
        payload = null!;
        if (body.Length < FixedSize)
        {
            error = ParseError.Syntax(PayloadType.Delete, offset, $"delete body of {body.Length} octets is shorter than {FixedSize}");
            return false;
        }
        var protocol = (ProtocolId)body[0];
        var spiSize = body[1];
        var count = BinaryPrimitives.ReadUInt16BigEndian(body[2..]);
        // RFC 7296 3.11: "SPI Size ... MUST be zero for IKE (SPI is in message header) or four for AH and ESP."
        var expectedSize = protocol switch
        {
            ProtocolId.Ike => 0,
            ProtocolId.Esp or ProtocolId.Ah => IpsecSpiSize,
            _ => -1,
        };
        if (expectedSize < 0)
        {
            error = ParseError.Syntax(PayloadType.Delete, offset, $"delete for unknown protocol {(byte)protocol}");
            return false;
        }
        if (spiSize != expectedSize)
        {
            error = ParseError.Syntax(PayloadType.Delete, offset + 1, $"SPI size {spiSize} for {protocol}, must be {expectedSize}");
            return false;
        }
        if (protocol == ProtocolId.Ike ? count != 0 || body.Length != FixedSize : body.Length != FixedSize + (count * IpsecSpiSize))
        {
            error = ParseError.Syntax(PayloadType.Delete, offset + 2, $"{count} SPIs of {spiSize} octets do not fill a body of {body.Length} octets");
            return false;
        }
        var spis = new uint[count];
        for (var i = 0; i < count; i++)
            spis[i] = BinaryPrimitives.ReadUInt32BigEndian(body[(FixedSize + (i * IpsecSpiSize))..]);
        payload = new DeletePayload(protocol, spis);
        error = default;
        return true;
    }
}
