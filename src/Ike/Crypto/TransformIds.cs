namespace S2SEndpoint.Ike.Crypto;

// IANA "Internet Key Exchange Version 2 (IKEv2) Parameters", Transform Type 1 to 5 IDs.

/// <summary>Transform type 1, encryption algorithms (RFC 7296 3.3.2, RFC 5282, RFC 7634).</summary>
public enum EncryptionAlgorithm : ushort
{
    Null = 11,
    AesCbc = 12,
    AesCtr = 13,
    AesCcm8 = 14,
    AesCcm12 = 15,
    AesCcm16 = 16,
    AesGcm8 = 18,
    AesGcm12 = 19,
    AesGcm16 = 20,
    NullAuthAesGmac = 21,
    ChaCha20Poly1305 = 28,
}

/// <summary>Transform type 2, pseudorandom functions (RFC 7296 3.3.2, RFC 4868).</summary>
public enum PrfAlgorithm : ushort
{
    HmacMd5 = 1,
    HmacSha1 = 2,
    AesXcbc = 4,
    HmacSha2_256 = 5,
    HmacSha2_384 = 6,
    HmacSha2_512 = 7,
    AesCmac = 8,
}

/// <summary>Transform type 3, integrity algorithms (RFC 7296 3.3.2, RFC 4868).</summary>
public enum IntegrityAlgorithm : ushort
{
    None = 0,
    HmacMd5_96 = 1,
    HmacSha1_96 = 2,
    AesXcbc96 = 5,
    HmacSha2_256_128 = 12,
    HmacSha2_384_192 = 13,
    HmacSha2_512_256 = 14,
}

/// <summary>
/// Transform type 4, key exchange methods (RFC 7296, RFC 3526, RFC 5114, RFC 5903, RFC 8031,
/// draft-ietf-ipsecme-ikev2-mlkem). strongSwan 6 names the ML-KEM methods mlkem512, mlkem768 and mlkem1024.
/// </summary>
public enum KeyExchangeMethod : ushort
{
    None = 0,
    Modp768 = 1,
    Modp1024 = 2,
    Modp1536 = 5,
    Modp2048 = 14,
    Modp3072 = 15,
    Modp4096 = 16,
    Modp6144 = 17,
    Modp8192 = 18,
    Ecp256 = 19,
    Ecp384 = 20,
    Ecp521 = 21,
    Modp1024S160 = 22,
    Modp2048S224 = 23,
    Modp2048S256 = 24,
    Ecp192 = 25,
    Ecp224 = 26,
    Curve25519 = 31,
    Curve448 = 32,
    MlKem512 = 35,
    MlKem768 = 36,
    MlKem1024 = 37,
}

/// <summary>Transform type 5, extended sequence numbers (RFC 7296 3.3.2).</summary>
public enum SequenceNumbers : ushort
{
    NoEsn = 0,
    Esn = 1,
}
