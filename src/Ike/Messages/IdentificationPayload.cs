namespace S2SEndpoint.Ike.Messages;

// RFC 7296 section 3.5, Identification payloads (IDi and IDr):
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |   ID Type     |                 RESERVED                      |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                   Identification Data                         ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

/// <summary>IDi or IDr (RFC 7296 section 3.5). Its body is the "RestOfInitIDPayload" that AUTH signs (2.15).</summary>
public sealed class IdentificationPayload(bool initiator, Identity identity) : IkePayload
{
    private const int FixedSize = 4;

    public bool IsInitiator { get; } = initiator;
    public Identity Identity { get; } = identity;

    public override PayloadType Type => IsInitiator ? PayloadType.IdInitiator : PayloadType.IdResponder;
    public override int BodyLength => FixedSize + Identity.Data.Length;

    public override void WriteBody(Span<byte> destination)
    {
        destination[0] = (byte)Identity.Type;
        destination[1..FixedSize].Clear();
        Identity.Data.CopyTo(destination[FixedSize..]);
    }

    public static bool TryRead(PayloadType type, ReadOnlySpan<byte> body, int offset, out IdentificationPayload payload, out ParseError error)
    {
        payload = null!;
        if (body.Length <= FixedSize)
        {
            error = ParseError.Syntax(type, offset, $"identification body of {body.Length} octets has no data");
            return false;
        }
        var idType = (IdentificationType)body[0];
        var data = body[FixedSize..];
        var expected = idType switch
        {
            IdentificationType.Ipv4Address => 4,
            IdentificationType.Ipv6Address => 16,
            _ => -1,
        };
        if (expected >= 0 && data.Length != expected)
        {
            error = ParseError.Syntax(type, offset + FixedSize, $"{idType} identification data is {data.Length} octets, must be {expected}");
            return false;
        }
        payload = new IdentificationPayload(type == PayloadType.IdInitiator, new Identity(idType, data.ToArray()));
        error = default;
        return true;
    }
}
