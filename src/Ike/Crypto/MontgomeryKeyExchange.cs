using System.Security.Cryptography;
using Org.BouncyCastle.Math.EC.Rfc7748;

namespace S2SEndpoint.Ike.Crypto;

/// <summary>
/// X25519 and X448 (RFC 7748, used in IKEv2 as groups 31 and 32 by RFC 8031), on BouncyCastle.
/// RFC 8031 2: the public value is the 32- or 56-octet u-coordinate; 2.3: a shared secret of all zeros
/// (a low-order peer point) MUST be refused.
/// </summary>
public sealed class MontgomeryKeyExchange : KeyExchange
{
    private readonly bool _is25519;
    private byte[]? _privateKey;

    internal MontgomeryKeyExchange(KeyExchangeMethod method, IRandomSource random) : base(method)
    {
        _is25519 = method == KeyExchangeMethod.Curve25519;
        if (!_is25519 && method != KeyExchangeMethod.Curve448)
            throw new ArgumentOutOfRangeException(nameof(method), method, "not a Montgomery curve");
        _privateKey = new byte[_is25519 ? X25519.ScalarSize : X448.ScalarSize];
        random.Fill(_privateKey);
        PublicValue = new byte[PublicValueLength];
        // Clamping (RFC 7748 5, decodeScalar) happens inside the scalar multiplication.
        if (_is25519)
            X25519.ScalarMultBase(_privateKey, PublicValue);
        else
            X448.ScalarMultBase(_privateKey, PublicValue);
    }

    public override byte[] PublicValue { get; }
    public override int PublicValueLength => _is25519 ? X25519.PointSize : X448.PointSize;

    public override bool TryDeriveSharedSecret(ReadOnlySpan<byte> peerPublicValue, out byte[] sharedSecret, out string reason)
    {
        ObjectDisposedException.ThrowIf(_privateKey is null, this);
        if (peerPublicValue.Length != PublicValueLength)
            return Refuse($"{Method} public value is {peerPublicValue.Length} octets, must be {PublicValueLength}", out sharedSecret, out reason);
        var secret = new byte[PublicValueLength];
        var ok = _is25519
            ? X25519.CalculateAgreement(_privateKey, peerPublicValue, secret)
            : X448.CalculateAgreement(_privateKey, peerPublicValue, secret);
        if (!ok)
            return Refuse($"{Method} public value is a low-order point (the shared secret would be all zeros)", out sharedSecret, out reason);
        sharedSecret = secret;
        reason = string.Empty;
        return true;
    }

    protected override void ReleasePrivateValue()
    {
        if (_privateKey is not null)
            CryptographicOperations.ZeroMemory(_privateKey);
        _privateKey = null;
    }
}
