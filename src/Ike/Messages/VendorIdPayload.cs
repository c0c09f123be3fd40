namespace S2SEndpoint.Ike.Messages;

// RFC 7296 section 3.12, Vendor ID payload:
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                        Vendor ID (VID)                        ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

/// <summary>A Vendor ID (RFC 7296 section 3.12); unrecognised ones are ignored by the engine.</summary>
public sealed class VendorIdPayload(byte[] data) : IkePayload
{
    public byte[] Data { get; } = data;

    public override PayloadType Type => PayloadType.VendorId;
    public override int BodyLength => Data.Length;
    public override void WriteBody(Span<byte> destination) => Data.CopyTo(destination);

    public static bool TryRead(ReadOnlySpan<byte> body, int offset, out VendorIdPayload payload, out ParseError error)
    {
        payload = null!;
        if (body.IsEmpty)
        {
            error = ParseError.Syntax(PayloadType.VendorId, offset, "empty vendor ID");
            return false;
        }
        payload = new VendorIdPayload(body.ToArray());
        error = default;
        return true;
    }
}
