using System.Buffers.Binary;

namespace S2SEndpoint.Ike.Messages;

// RFC 7296 section 3.10, Notify payload:
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Protocol ID  |   SPI Size    |      Notify Message Type      |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                Security Parameter Index (SPI)                 ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                       Notification Data                       ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

/// <summary>A Notify payload (RFC 7296 section 3.10). An unknown type is kept by its number.</summary>
public sealed class NotifyPayload(NotifyType notifyType, byte[] data, ProtocolId protocol = ProtocolId.None, byte[]? spi = null) : IkePayload
{
    private const int FixedSize = 4;

    public NotifyType NotifyType { get; } = notifyType;
    public ProtocolId Protocol { get; } = protocol;
    public byte[] Spi { get; } = spi ?? [];
    public byte[] Data { get; } = data;

    public override PayloadType Type => PayloadType.Notify;
    public override int BodyLength => FixedSize + Spi.Length + Data.Length;

    public static NotifyPayload Status(NotifyType type, byte[]? data = null) => new(type, data ?? []);

    public override void WriteBody(Span<byte> destination)
    {
        destination[0] = (byte)Protocol;
        destination[1] = checked((byte)Spi.Length);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)NotifyType);
        Spi.CopyTo(destination[FixedSize..]);
        Data.CopyTo(destination[(FixedSize + Spi.Length)..]);
    }

    public static bool TryRead(ReadOnlySpan<byte> body, int offset, out NotifyPayload payload, out ParseError error)
    {
        payload = null!;
        if (body.Length < FixedSize)
        {
            error = ParseError.Syntax(PayloadType.Notify, offset, $"notify body of {body.Length} octets is shorter than {FixedSize}");
            return false;
        }
        var spiSize = body[1];
        if (FixedSize + spiSize > body.Length)
        {
            error = ParseError.Syntax(PayloadType.Notify, offset + 1, $"SPI size {spiSize} runs past the notify body of {body.Length} octets");
            return false;
        }
        payload = new NotifyPayload(
            (NotifyType)BinaryPrimitives.ReadUInt16BigEndian(body[2..]),
            body[(FixedSize + spiSize)..].ToArray(),
            (ProtocolId)body[0],
            body.Slice(FixedSize, spiSize).ToArray());
        error = default;
        return true;
    }

    public override string ToString() => NotifyType.ToRfcName();
}
