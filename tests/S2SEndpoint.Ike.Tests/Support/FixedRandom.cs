using S2SEndpoint.Ike.Crypto;

namespace S2SEndpoint.Ike.Tests.Support;

/// <summary>A random source that hands out fixed bytes: known-answer tests use it to set private keys and IVs.</summary>
internal sealed class FixedRandom(params byte[][] chunks) : IRandomSource
{
    private readonly Queue<byte[]> _chunks = new(chunks);

    public static FixedRandom Hex(params string[] chunks) => new([.. chunks.Select(Convert.FromHexString)]);

    public void Fill(Span<byte> destination)
    {
        if (_chunks.Count == 0)
            throw new InvalidOperationException("FixedRandom ran out of bytes");
        var next = _chunks.Dequeue();
        if (next.Length != destination.Length)
            throw new InvalidOperationException($"FixedRandom chunk of {next.Length} octets asked for {destination.Length}");
        next.CopyTo(destination);
    }
}

/// <summary>Deterministic pseudo-random bytes for tests that need many values but no particular ones.</summary>
internal sealed class SeededRandom(int seed) : IRandomSource
{
    // System.Random's early outputs for nearby seeds are alike; hashing the seed spreads them apart.
    private readonly Random _random = new(BitConverter.ToInt32(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(seed))));

    public void Fill(Span<byte> destination) => _random.NextBytes(destination);
}
