using System.Security.Cryptography;

namespace S2SEndpoint.Ike.Crypto;

/// <summary>
/// An HMAC pseudorandom function (RFC 7296 2.13, RFC 2104, RFC 4868 2.1) and prf+ built on it.
/// </summary>
public sealed class Prf
{
    private Prf(PrfAlgorithm algorithm, HashAlgorithmName hash, int outputSize)
    {
        Algorithm = algorithm;
        Hash = hash;
        OutputSize = outputSize;
    }

    public static Prf HmacSha1 { get; } = new(PrfAlgorithm.HmacSha1, HashAlgorithmName.SHA1, 20);
    public static Prf HmacSha256 { get; } = new(PrfAlgorithm.HmacSha2_256, HashAlgorithmName.SHA256, 32);
    public static Prf HmacSha384 { get; } = new(PrfAlgorithm.HmacSha2_384, HashAlgorithmName.SHA384, 48);
    public static Prf HmacSha512 { get; } = new(PrfAlgorithm.HmacSha2_512, HashAlgorithmName.SHA512, 64);

    public PrfAlgorithm Algorithm { get; }
    public HashAlgorithmName Hash { get; }
    public int OutputSize { get; }

    /// <summary>RFC 7296 2.14: SK_d, SK_pi and SK_pr are "the preferred key length of the PRF", its output size for HMAC.</summary>
    public int KeySize => OutputSize;

    public static Prf? For(PrfAlgorithm algorithm) => algorithm switch
    {
        PrfAlgorithm.HmacSha1 => HmacSha1,
        PrfAlgorithm.HmacSha2_256 => HmacSha256,
        PrfAlgorithm.HmacSha2_384 => HmacSha384,
        PrfAlgorithm.HmacSha2_512 => HmacSha512,
        _ => null,
    };

    public void Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> destination) =>
        CryptographicOperations.HmacData(Hash, key, data, destination);

    public byte[] Compute(ReadOnlySpan<byte> key, ReadOnlySpan<byte> data)
    {
        var output = new byte[OutputSize];
        Compute(key, data, output);
        return output;
    }

    /// <summary>
    /// RFC 7296 2.13: prf+ (K,S) = T1 | T2 | T3 | T4 | ... where T1 = prf (K, S | 0x01),
    /// T2 = prf (K, T1 | S | 0x02), ... "This formula ... can be iterated up to 255 times."
    /// </summary>
    public byte[] PrfPlus(ReadOnlySpan<byte> key, ReadOnlySpan<byte> seed, int length)
    {
        const int MaxIterations = 255;
        var iterations = (length + OutputSize - 1) / OutputSize;
        if (iterations > MaxIterations)
            throw new ArgumentOutOfRangeException(nameof(length), length, $"prf+ yields at most {MaxIterations * OutputSize} octets with {Algorithm}");
        var output = new byte[iterations * OutputSize];
        var input = new byte[OutputSize + seed.Length + 1];
        var previous = ReadOnlySpan<byte>.Empty;
        for (var i = 1; i <= iterations; i++)
        {
            previous.CopyTo(input);
            seed.CopyTo(input.AsSpan(previous.Length));
            input[previous.Length + seed.Length] = (byte)i;
            var block = output.AsSpan((i - 1) * OutputSize, OutputSize);
            Compute(key, input.AsSpan(0, previous.Length + seed.Length + 1), block);
            previous = block;
        }
        CryptographicOperations.ZeroMemory(input);
        if (output.Length == length)
            return output;
        var trimmed = output.AsSpan(0, length).ToArray();
        CryptographicOperations.ZeroMemory(output);
        return trimmed;
    }
}
