using S2SEndpoint.Ike.Crypto;

namespace S2SEndpoint.Esp.Tests.Support;

/// <summary>
/// A random source that hands out fixed bytes in order, then zeros: known-answer tests use it to set IV masks and
/// CBC IVs, whatever size of batch the code under test asks for.
/// </summary>
internal sealed class FixedRandom(byte[] bytes) : IRandomSource
{
    private int _next;

    public static FixedRandom Hex(string hex) => new(Convert.FromHexString(hex));

    public void Fill(Span<byte> destination)
    {
        destination.Clear();
        var take = Math.Min(destination.Length, bytes.Length - _next);
        if (take > 0)
        {
            bytes.AsSpan(_next, take).CopyTo(destination);
            _next += take;
        }
    }
}

/// <summary>Deterministic pseudo-random bytes for tests that need many values but no particular ones.</summary>
internal sealed class SeededRandom(int seed) : IRandomSource
{
    private readonly Random _random = new(seed);

    public void Fill(Span<byte> destination) => _random.NextBytes(destination);
}
