namespace S2SEndpoint.Ike.Messages;

// RFC 7296 section 3.14, Encrypted and Authenticated payload (SK):
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                     Initialization Vector                     |
// |         (length is block size for encryption algorithm)       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                    Encrypted IKE Payloads                     ~
// +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |               |             Padding (0-255 octets)            |
// +-+-+-+-+-+-+-+-+                               +-+-+-+-+-+-+-+-+
// |                                               |  Pad Length   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                    Integrity Checksum Data                    ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// "The Next Payload field ... is set to the payload type of the first embedded payload." (3.14)

/// <summary>
/// The SK payload as it sits on the wire: the type of the first inner payload and the protected body
/// (IV, ciphertext, ICV). <see cref="Crypto.SkProtection"/> seals and opens it.
/// </summary>
public sealed class EncryptedPayload(PayloadType firstInnerPayload, byte[] body) : IkePayload
{
    public PayloadType FirstInnerPayload { get; } = firstInnerPayload;
    public byte[] Body { get; } = body;

    /// <summary>Offset of this payload's generic header in the datagram it was read from.</summary>
    public int DatagramOffset { get; init; }

    public override PayloadType Type => PayloadType.Encrypted;
    public override int BodyLength => Body.Length;
    public override void WriteBody(Span<byte> destination) => Body.CopyTo(destination);
    internal override PayloadType? ChainOverride => FirstInnerPayload;
}
