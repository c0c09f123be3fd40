using System.Buffers.Binary;

namespace S2SEndpoint.Ike.Messages;

// RFC 7296 section 3.4, Key Exchange payload:
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |   Diffie-Hellman Group Num    |           RESERVED            |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                       Key Exchange Data                       ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

/// <summary>The KE payload: a group number and the sender's public value (RFC 7296 section 3.4).</summary>
public sealed class KeyExchangePayload(ushort group, byte[] data) : IkePayload
{
    private const int FixedSize = 4;

    public ushort Group { get; } = group;
    public byte[] Data { get; } = data;

    public override PayloadType Type => PayloadType.KeyExchange;
    public override int BodyLength => FixedSize + Data.Length;

    public override void WriteBody(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, Group);
        destination[2] = 0;
        destination[3] = 0;
        Data.CopyTo(destination[FixedSize..]);
    }

    public static bool TryRead(ReadOnlySpan<byte> body, int offset, out KeyExchangePayload payload, out ParseError error)
    {
        payload = null!;
        if (body.Length <= FixedSize)
        {
            // The public value's exact length is checked against the group by the key exchange itself.
            error = ParseError.Syntax(PayloadType.KeyExchange, offset, $"KE body of {body.Length} octets has no key exchange data");
            return false;
        }
        payload = new KeyExchangePayload(BinaryPrimitives.ReadUInt16BigEndian(body), body[FixedSize..].ToArray());
        error = default;
        return true;
    }
}
