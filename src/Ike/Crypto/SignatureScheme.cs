namespace S2SEndpoint.Ike.Crypto;

/// <summary>
/// A signature algorithm with its hash, as RFC 7427's Digital Signature method names it by an AlgorithmIdentifier
/// (<see cref="SignatureAlgorithmIdentifier"/>); the classic methods use RsaPkcs1Sha1 (method 1, RFC 7296 3.8) and
/// EcdsaSha256/384/512 on P-256/384/521 (methods 9, 10 and 11, RFC 4754).
/// </summary>
public enum SignatureScheme
{
    RsaPkcs1Sha1,
    RsaPkcs1Sha256,
    RsaPkcs1Sha384,
    RsaPkcs1Sha512,
    /// <summary>RSASSA-PSS (RFC 8017 8.1) with MGF1 of the same hash and a salt as long as the hash (RFC 4055 3.1).</summary>
    RsaPssSha256,
    RsaPssSha384,
    RsaPssSha512,
    EcdsaSha256,
    EcdsaSha384,
    EcdsaSha512,
    /// <summary>PureEdDSA over the signed octets themselves (RFC 8032 5.1, RFC 8420).</summary>
    Ed25519,
}
