namespace S2SEndpoint.Ike.Messages;

/// <summary>Certificate encodings (RFC 7296 section 3.6), as used by CERT and CERTREQ.</summary>
public enum CertificateEncoding : byte
{
    Pkcs7WrappedX509 = 1,
    PgpCertificate = 2,
    DnsSignedKey = 3,
    X509Signature = 4,
    KerberosToken = 6,
    CertificateRevocationList = 7,
    AuthorityRevocationList = 8,
    SpkiCertificate = 9,
    X509Attribute = 10,
    RawRsaKey = 11,
    HashAndUrlX509Certificate = 12,
    HashAndUrlX509Bundle = 13,
    RawPublicKey = 15,
}
