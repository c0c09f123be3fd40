using S2SEndpoint.Ike.Crypto;

namespace S2SEndpoint.TestSupport;

/// <summary>
/// The one seeded randomness source: deterministic pseudo-random bytes for tests that need many values but no
/// particular ones (nonces, SPIs, private values of in-memory peers). One seed, one sequence, on every run.
/// </summary>
public sealed class SeededRandom(int seed) : IRandomSource
{
    // System.Random's early outputs for nearby seeds are alike; hashing the seed spreads them apart.
    private readonly Random _random = new(BitConverter.ToInt32(System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(seed))));

    public void Fill(Span<byte> destination) => _random.NextBytes(destination);
}
