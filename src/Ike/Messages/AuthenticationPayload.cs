namespace S2SEndpoint.Ike.Messages;

// RFC 7296 section 3.8, Authentication payload:
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Auth Method   |                RESERVED                       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                      Authentication Data                      ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

/// <summary>The AUTH payload (RFC 7296 section 3.8).</summary>
public sealed class AuthenticationPayload(AuthMethod method, byte[] data) : IkePayload
{
    private const int FixedSize = 4;

    public AuthMethod Method { get; } = method;
    public byte[] Data { get; } = data;

    public override PayloadType Type => PayloadType.Authentication;
    public override int BodyLength => FixedSize + Data.Length;

    public override void WriteBody(Span<byte> destination)
    {
        destination[0] = (byte)Method;
        destination[1..FixedSize].Clear();
        Data.CopyTo(destination[FixedSize..]);
    }

    public static bool TryRead(ReadOnlySpan<byte> body, int offset, out AuthenticationPayload payload, out ParseError error)
    {
        payload = null!;
        if (body.Length <= FixedSize)
        {
            error = ParseError.Syntax(PayloadType.Authentication, offset, $"AUTH body of {body.Length} octets has no authentication data");
            return false;
        }
        payload = new AuthenticationPayload((AuthMethod)body[0], body[FixedSize..].ToArray());
        error = default;
        return true;
    }
}
