namespace S2SEndpoint.Ike.Messages;

// RFC 7296 section 3.6, Certificate payload (3.7, Certificate Request, has the same layout with
// "Certification Authority" in place of "Certificate Data"):
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Cert Encoding |                                               |
// +-+-+-+-+-+-+-+-+                                               |
// ~                       Certificate Data                        ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

/// <summary>CERT (RFC 7296 3.6) or CERTREQ (3.7): an encoding octet and its data.</summary>
public sealed class CertificatePayload(bool isRequest, CertificateEncoding encoding, byte[] data) : IkePayload
{
    /// <summary>RFC 7296 3.7: a CERTREQ of X.509 encoding carries 20-octet SHA-1 hashes of trusted CA keys.</summary>
    public const int CaKeyHashSize = 20;

    public bool IsRequest { get; } = isRequest;
    public CertificateEncoding Encoding { get; } = encoding;
    public byte[] Data { get; } = data;

    public override PayloadType Type => IsRequest ? PayloadType.CertificateRequest : PayloadType.Certificate;
    public override int BodyLength => 1 + Data.Length;

    public override void WriteBody(Span<byte> destination)
    {
        destination[0] = (byte)Encoding;
        Data.CopyTo(destination[1..]);
    }

    public static bool TryRead(PayloadType type, ReadOnlySpan<byte> body, int offset, out CertificatePayload payload, out ParseError error)
    {
        payload = null!;
        var isRequest = type == PayloadType.CertificateRequest;
        // A CERTREQ may be empty past its encoding ("any CA"); a CERT always carries data.
        if (body.Length < 1 || (!isRequest && body.Length == 1))
        {
            error = ParseError.Syntax(type, offset, $"{type} body of {body.Length} octets is too short");
            return false;
        }
        var encoding = (CertificateEncoding)body[0];
        if (isRequest && encoding == CertificateEncoding.X509Signature && (body.Length - 1) % CaKeyHashSize != 0)
        {
            error = ParseError.Syntax(type, offset + 1, $"X.509 certificate request of {body.Length - 1} octets is not a list of 20-octet hashes");
            return false;
        }
        payload = new CertificatePayload(isRequest, encoding, body[1..].ToArray());
        error = default;
        return true;
    }
}
