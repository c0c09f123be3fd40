using System.Buffers.Binary;

namespace S2SEndpoint.Ike.Messages;

// RFC 7383 section 2.5, Encrypted Fragment payload (SKF):
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |        Fragment Number        |        Total Fragments        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                     Initialization Vector                     |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                      Encrypted content                        ~
// +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |               |             Padding (0-255 octets)            |
// +-+-+-+-+-+-+-+-+                               +-+-+-+-+-+-+-+-+
// |                                               |  Pad Length   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                    Integrity Checksum Data                    ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

/// <summary>One SKF fragment as it sits on the wire (RFC 7383 section 2.5).</summary>
public sealed class EncryptedFragmentPayload(PayloadType firstInnerPayload, ushort fragmentNumber, ushort totalFragments, byte[] body) : IkePayload
{
    public const int FixedSize = 4;

    /// <summary>RFC 7383 2.5: the first inner payload type in fragment 1, zero in the others.</summary>
    public PayloadType FirstInnerPayload { get; } = firstInnerPayload;
    public ushort FragmentNumber { get; } = fragmentNumber;
    public ushort TotalFragments { get; } = totalFragments;
    /// <summary>IV, ciphertext and ICV.</summary>
    public byte[] Body { get; } = body;

    public int DatagramOffset { get; init; }

    public override PayloadType Type => PayloadType.EncryptedFragment;
    public override int BodyLength => FixedSize + Body.Length;
    internal override PayloadType? ChainOverride => FirstInnerPayload;

    public override void WriteBody(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, FragmentNumber);
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], TotalFragments);
        Body.CopyTo(destination[FixedSize..]);
    }

    public static bool TryRead(PayloadType firstInner, ReadOnlySpan<byte> body, int offset, out EncryptedFragmentPayload payload, out ParseError error)
    {
        payload = null!;
        if (body.Length <= FixedSize)
        {
            error = ParseError.Syntax(PayloadType.EncryptedFragment, offset, $"SKF body of {body.Length} octets has no encrypted content");
            return false;
        }
        var number = BinaryPrimitives.ReadUInt16BigEndian(body);
        var total = BinaryPrimitives.ReadUInt16BigEndian(body[2..]);
        // RFC 7383 2.5: "Fragment Number ... MUST start with 1"; "Total Fragments ... MUST NOT be zero"
        // and a number greater than the total cannot be reassembled.
        if (number == 0 || total == 0 || number > total)
        {
            error = ParseError.Syntax(PayloadType.EncryptedFragment, offset, $"fragment {number} of {total} is not a valid position");
            return false;
        }
        payload = new EncryptedFragmentPayload(firstInner, number, total, body[FixedSize..].ToArray()) { DatagramOffset = offset - GenericHeaderSize };
        error = default;
        return true;
    }
}
