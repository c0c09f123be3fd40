using System.Security.Cryptography;

namespace S2SEndpoint.Ike.Crypto;

/// <summary>
/// A truncated HMAC integrity algorithm (RFC 2404 for HMAC-SHA1-96, RFC 4868 2.3 for HMAC-SHA-256-128,
/// -384-192 and -512-256): the HMAC output cut to its first <see cref="IcvSize"/> octets.
/// </summary>
public sealed class Integrity
{
    private const int MaxHashSize = 64;

    private Integrity(IntegrityAlgorithm algorithm, HashAlgorithmName hash, int keySize, int icvSize)
    {
        Algorithm = algorithm;
        Hash = hash;
        KeySize = keySize;
        IcvSize = icvSize;
    }

    public static Integrity HmacSha1_96 { get; } = new(IntegrityAlgorithm.HmacSha1_96, HashAlgorithmName.SHA1, 20, 12);
    public static Integrity HmacSha256_128 { get; } = new(IntegrityAlgorithm.HmacSha2_256_128, HashAlgorithmName.SHA256, 32, 16);
    public static Integrity HmacSha384_192 { get; } = new(IntegrityAlgorithm.HmacSha2_384_192, HashAlgorithmName.SHA384, 48, 24);
    public static Integrity HmacSha512_256 { get; } = new(IntegrityAlgorithm.HmacSha2_512_256, HashAlgorithmName.SHA512, 64, 32);

    public IntegrityAlgorithm Algorithm { get; }
    public HashAlgorithmName Hash { get; }
    /// <summary>RFC 4868 2.1.1: the key is the hash's output length; RFC 2404: 160 bits for SHA-1.</summary>
    public int KeySize { get; }
    public int IcvSize { get; }

    public static Integrity? For(IntegrityAlgorithm algorithm) => algorithm switch
    {
        IntegrityAlgorithm.HmacSha1_96 => HmacSha1_96,
        IntegrityAlgorithm.HmacSha2_256_128 => HmacSha256_128,
        IntegrityAlgorithm.HmacSha2_384_192 => HmacSha384_192,
        IntegrityAlgorithm.HmacSha2_512_256 => HmacSha512_256,
        _ => null,
    };

    /// <summary>Writes the truncated ICV of <paramref name="data"/> into <paramref name="icv"/>.</summary>
    public void Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> icv)
    {
        Span<byte> full = stackalloc byte[MaxHashSize];
        var written = CryptographicOperations.HmacData(Hash, key, data, full);
        full[..IcvSize].CopyTo(icv);
        CryptographicOperations.ZeroMemory(full[..written]);
    }

    /// <summary>Checks an ICV in constant time.</summary>
    public bool Verify(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> icv)
    {
        if (icv.Length != IcvSize)
            return false;
        Span<byte> expected = stackalloc byte[MaxHashSize];
        Compute(key, data, expected);
        return CryptographicOperations.FixedTimeEquals(expected[..IcvSize], icv);
    }
}
