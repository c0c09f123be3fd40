namespace S2SEndpoint.Ike.Crypto;

/// <summary>
/// One side of a key exchange (RFC 7296 2.14 and 3.4): a fresh private value, the public value that goes
/// in the KE payload, and the shared secret g^ir computed from the peer's public value. The peer's value
/// comes off the wire: it is checked (length, range, on the curve, not the identity) before use.
/// </summary>
public abstract class KeyExchange : IDisposable
{
    protected KeyExchange(KeyExchangeMethod method) => Method = method;

    public KeyExchangeMethod Method { get; }

    /// <summary>The public value exactly as the KE payload carries it.</summary>
    public abstract byte[] PublicValue { get; }

    /// <summary>The length of a valid public value of this method.</summary>
    public abstract int PublicValueLength { get; }

    /// <summary>
    /// Checks the peer's public value and computes the shared secret, or returns false with a reason.
    /// </summary>
    public abstract bool TryDeriveSharedSecret(ReadOnlySpan<byte> peerPublicValue, out byte[] sharedSecret, out string reason);

    /// <summary>The methods this build implements, in the order of preference used for logs and docs.</summary>
    public static IReadOnlyList<KeyExchangeMethod> Supported { get; } =
    [
        KeyExchangeMethod.Curve25519, KeyExchangeMethod.Curve448,
        KeyExchangeMethod.Ecp256, KeyExchangeMethod.Ecp384, KeyExchangeMethod.Ecp521,
        KeyExchangeMethod.Modp2048, KeyExchangeMethod.Modp3072, KeyExchangeMethod.Modp4096,
        KeyExchangeMethod.Modp1536, KeyExchangeMethod.Modp1024, KeyExchangeMethod.Modp2048S256,
        KeyExchangeMethod.MlKem768, KeyExchangeMethod.MlKem1024, KeyExchangeMethod.MlKem512,
    ];

    public static bool IsSupported(KeyExchangeMethod method) => Supported.Contains(method);

    /// <summary>Creates a key exchange whose private value is drawn from <paramref name="random"/>.</summary>
    public static KeyExchange Create(KeyExchangeMethod method, IRandomSource random) => method switch
    {
        KeyExchangeMethod.Modp1024 or KeyExchangeMethod.Modp1536 or KeyExchangeMethod.Modp2048 or
        KeyExchangeMethod.Modp3072 or KeyExchangeMethod.Modp4096 or KeyExchangeMethod.Modp2048S256
            => new ModpKeyExchange(method, random),
        KeyExchangeMethod.Ecp256 or KeyExchangeMethod.Ecp384 or KeyExchangeMethod.Ecp521
            => new EcpKeyExchange(method, random),
        KeyExchangeMethod.Curve25519 or KeyExchangeMethod.Curve448
            => new MontgomeryKeyExchange(method, random),
        KeyExchangeMethod.MlKem512 or KeyExchangeMethod.MlKem768 or KeyExchangeMethod.MlKem1024
            => new MlKemMethod(method, random),
        _ => throw new NotSupportedException($"key exchange method {method} ({(ushort)method}) is not implemented"),
    };

    protected static bool Refuse(string message, out byte[] sharedSecret, out string reason)
    {
        sharedSecret = [];
        reason = message;
        return false;
    }

    /// <summary>Zeroes and drops the private value; the exchange cannot derive a secret afterwards.</summary>
    public void Dispose()
    {
        ReleasePrivateValue();
        GC.SuppressFinalize(this);
    }

    protected abstract void ReleasePrivateValue();
}
