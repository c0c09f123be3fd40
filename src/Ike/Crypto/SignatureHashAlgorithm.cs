namespace S2SEndpoint.Ike.Crypto;

/// <summary>
/// Hash algorithm identifiers of the SIGNATURE_HASH_ALGORITHMS notify (RFC 7427 3 and 4, IANA "Hash Algorithms";
/// Identity is RFC 8420 2, for signatures such as Ed25519 that hash inside).
/// </summary>
public enum SignatureHashAlgorithm : ushort
{
    Sha1 = 1,
    Sha256 = 2,
    Sha384 = 3,
    Sha512 = 4,
    Identity = 5,
}
