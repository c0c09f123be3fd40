namespace S2SEndpoint.Ike.Crypto;

/// <summary>
/// What one encryption transform needs: key and salt sizes, IV, block and ICV sizes, and whether it is
/// an AEAD. Salt is part of the key material for AEADs (RFC 5282 7.1, RFC 4106 8.1, RFC 7634 2 and 3).
/// </summary>
public sealed record EncryptionTransform(
    EncryptionAlgorithm Algorithm,
    int KeyBits,
    bool IsAead,
    int IvSize,
    int BlockSize,
    int IcvSize,
    int SaltSize,
    bool AllowedInIke,
    bool SendsKeyLength)
{
    public int KeySize => KeyBits / 8;

    /// <summary>Octets taken from the key stream for this transform: key plus salt.</summary>
    public int KeyMaterialSize => KeySize + SaltSize;

    public static EncryptionTransform AesCbc(int bits) => new(EncryptionAlgorithm.AesCbc, bits, false, 16, 16, 0, 0, true, true);

    /// <summary>AES-GCM with a 16-octet ICV: 4-octet salt, 8-octet explicit IV (RFC 5282 for IKE, RFC 4106 for ESP).</summary>
    public static EncryptionTransform AesGcm16(int bits) => new(EncryptionAlgorithm.AesGcm16, bits, true, 8, 4, 16, 4, true, true);

    /// <summary>RFC 7634 2: 256-bit key, 4-octet salt, 8-octet IV, 16-octet tag; no Key Length attribute.</summary>
    public static EncryptionTransform ChaCha20Poly1305 { get; } = new(EncryptionAlgorithm.ChaCha20Poly1305, 256, true, 8, 4, 16, 4, true, false);

    /// <summary>ENCR_NULL (RFC 2410), ESP only: the payload stays readable on the wire.</summary>
    public static EncryptionTransform Null { get; } = new(EncryptionAlgorithm.Null, 0, false, 0, 4, 0, 0, false, false);

    /// <summary>The transforms this build implements.</summary>
    public static IReadOnlyList<EncryptionTransform> Supported { get; } =
    [
        AesCbc(128), AesCbc(192), AesCbc(256),
        AesGcm16(128), AesGcm16(192), AesGcm16(256),
        ChaCha20Poly1305,
        Null,
    ];

    /// <summary>Finds the transform for a wire ID and Key Length attribute; null when unsupported.</summary>
    public static EncryptionTransform? Find(ushort id, ushort? keyLength)
    {
        foreach (var t in Supported)
        {
            if ((ushort)t.Algorithm != id)
                continue;
            // RFC 7296 3.3.5: the Key Length attribute "MUST NOT be used with transforms that use a fixed-length key";
            // a variable-length cipher (AES) without one is not acceptable either.
            if (t.SendsKeyLength ? keyLength == t.KeyBits : keyLength is null)
                return t;
        }
        return null;
    }
}
