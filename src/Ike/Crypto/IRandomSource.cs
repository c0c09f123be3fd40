using System.Security.Cryptography;

namespace S2SEndpoint.Ike.Crypto;

/// <summary>
/// The one source of randomness for SPIs, nonces, IVs and private keys, injected so that tests can fix it.
/// </summary>
public interface IRandomSource
{
    void Fill(Span<byte> destination);
}

/// <summary>The operating system's CSPRNG.</summary>
public sealed class SystemRandomSource : IRandomSource
{
    public static SystemRandomSource Instance { get; } = new();

    public void Fill(Span<byte> destination) => RandomNumberGenerator.Fill(destination);
}
