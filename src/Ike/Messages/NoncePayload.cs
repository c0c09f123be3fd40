namespace S2SEndpoint.Ike.Messages;

// RFC 7296 section 3.9, Nonce payload:
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                            Nonce Data                         ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

/// <summary>Ni or Nr (RFC 7296 section 3.9).</summary>
public sealed class NoncePayload(byte[] data) : IkePayload
{
    public const int MinSize = 16;
    public const int MaxSize = 256;

    public byte[] Data { get; } = data;

    public override PayloadType Type => PayloadType.Nonce;
    public override int BodyLength => Data.Length;
    public override void WriteBody(Span<byte> destination) => Data.CopyTo(destination);

    public static bool TryRead(ReadOnlySpan<byte> body, int offset, out NoncePayload payload, out ParseError error)
    {
        payload = null!;
        // RFC 7296 3.9: "The size of the Nonce Data MUST be between 16 and 256 octets, inclusive."
        if (body.Length < MinSize || body.Length > MaxSize)
        {
            error = ParseError.Syntax(PayloadType.Nonce, offset, $"nonce of {body.Length} octets; must be {MinSize} to {MaxSize}");
            return false;
        }
        payload = new NoncePayload(body.ToArray());
        error = default;
        return true;
    }
}
