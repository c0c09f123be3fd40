using System.Buffers.Binary;

namespace S2SEndpoint.Ike.Messages;

// RFC 7296 section 3.16, Extensible Authentication Protocol payload, and RFC 3748 4, the EAP message:
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Code      | Identifier    |           Length              |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |     Type      | Type_Data...
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

/// <summary>EAP codes (RFC 3748 section 4).</summary>
public enum EapCode : byte
{
    Request = 1,
    Response = 2,
    Success = 3,
    Failure = 4,
}

/// <summary>The EAP payload: one EAP message (RFC 7296 section 3.16).</summary>
public sealed class EapPayload(EapCode code, byte identifier, byte[] typeAndData) : IkePayload
{
    private const int EapHeaderSize = 4;

    public EapCode Code { get; } = code;
    public byte Identifier { get; } = identifier;
    /// <summary>The Type octet and type data; empty for Success and Failure.</summary>
    public byte[] TypeAndData { get; } = typeAndData;

    public override PayloadType Type => PayloadType.ExtensibleAuthentication;
    public override int BodyLength => EapHeaderSize + TypeAndData.Length;

    public override void WriteBody(Span<byte> destination)
    {
        destination[0] = (byte)Code;
        destination[1] = Identifier;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], checked((ushort)BodyLength));
        TypeAndData.CopyTo(destination[EapHeaderSize..]);
    }

    public static bool TryRead(ReadOnlySpan<byte> body, int offset, out EapPayload payload, out ParseError error)
    {
        payload = null!;
        if (body.Length < EapHeaderSize)
        {
            error = ParseError.Syntax(PayloadType.ExtensibleAuthentication, offset, $"EAP message of {body.Length} octets is shorter than {EapHeaderSize}");
            return false;
        }
        var code = (EapCode)body[0];
        var length = BinaryPrimitives.ReadUInt16BigEndian(body[2..]);
        if (length != body.Length)
        {
            error = ParseError.Syntax(PayloadType.ExtensibleAuthentication, offset + 2, $"EAP length {length} differs from the payload's {body.Length} octets");
            return false;
        }
        // RFC 3748 4.1: Request and Response carry a Type octet; 4.2: Success and Failure carry nothing more.
        var needsType = code is EapCode.Request or EapCode.Response;
        if ((needsType && length < EapHeaderSize + 1) || (!needsType && length != EapHeaderSize) || code is < EapCode.Request or > EapCode.Failure)
        {
            error = ParseError.Syntax(PayloadType.ExtensibleAuthentication, offset, $"EAP code {(byte)code} with length {length} is not a valid EAP message");
            return false;
        }
        payload = new EapPayload(code, body[1], body[EapHeaderSize..].ToArray());
        error = default;
        return true;
    }
}
