using System.Numerics;
using System.Security.Cryptography;

namespace S2SEndpoint.Ike.Crypto;

/// <summary>
/// Elliptic-curve Diffie-Hellman over the NIST prime curves, groups 19, 20 and 21 (RFC 5903), on .NET's
/// ECDiffieHellman. RFC 5903 7: the KE payload carries x | y, each the length of the field; the shared
/// secret is the x coordinate of the shared point.
/// </summary>
public sealed class EcpKeyExchange : KeyExchange
{
    private readonly CurveInfo _curve;
    private ECDiffieHellman? _key;

    internal EcpKeyExchange(KeyExchangeMethod method, IRandomSource random) : base(method)
    {
        _curve = CurveInfo.Of(method);
        var d = new byte[_curve.FieldLength];
        try
        {
            // Rejection sampling for a private scalar uniform in [1, n-1] (FIPS 186-5 A.4.2).
            while (true)
            {
                random.Fill(d);
                d[0] &= _curve.TopByteMask;
                var scalar = new BigInteger(d, isUnsigned: true, isBigEndian: true);
                if (!scalar.IsZero && scalar < _curve.Order)
                    break;
            }
            _key = ECDiffieHellman.Create(new ECParameters { Curve = _curve.Named, D = d });
        }
        finally
        {
            CryptographicOperations.ZeroMemory(d);
        }
        var q = _key.ExportParameters(false).Q;
        PublicValue = [.. q.X!, .. q.Y!];
    }

    public override byte[] PublicValue { get; }
    public override int PublicValueLength => 2 * _curve.FieldLength;

    public override bool TryDeriveSharedSecret(ReadOnlySpan<byte> peerPublicValue, out byte[] sharedSecret, out string reason)
    {
        ObjectDisposedException.ThrowIf(_key is null, this);
        if (peerPublicValue.Length != PublicValueLength)
            return Refuse($"{Method} public value is {peerPublicValue.Length} octets, must be {PublicValueLength}", out sharedSecret, out reason);
        var xBytes = peerPublicValue[.._curve.FieldLength];
        var yBytes = peerPublicValue[_curve.FieldLength..];
        var x = new BigInteger(xBytes, isUnsigned: true, isBigEndian: true);
        var y = new BigInteger(yBytes, isUnsigned: true, isBigEndian: true);
        // NIST SP 800-56A 5.6.2.3.4 (RFC 6989 2.3): coordinates in [0, p-1] and the point on the curve.
        // The point at infinity has no x | y encoding, and the cofactor of these curves is 1.
        if (x >= _curve.Prime || y >= _curve.Prime)
            return Refuse($"{Method} public value has a coordinate outside the field", out sharedSecret, out reason);
        var left = BigInteger.ModPow(y, 2, _curve.Prime);
        var right = BigInteger.Remainder((BigInteger.ModPow(x, 3, _curve.Prime) + (_curve.A * x) + _curve.B), _curve.Prime);
        if (right.Sign < 0)
            right += _curve.Prime;
        if (left != right)
            return Refuse($"{Method} public value is not a point on the curve", out sharedSecret, out reason);
        try
        {
            using var peer = ECDiffieHellman.Create(new ECParameters
            {
                Curve = _curve.Named,
                Q = new ECPoint { X = xBytes.ToArray(), Y = yBytes.ToArray() },
            });
            sharedSecret = _key.DeriveRawSecretAgreement(peer.PublicKey);
            reason = string.Empty;
            return true;
        }
        catch (CryptographicException e)
        {
            return Refuse($"{Method} public value refused by the crypto library: {e.Message}", out sharedSecret, out reason);
        }
    }

    protected override void ReleasePrivateValue()
    {
        _key?.Dispose();
        _key = null;
    }

    /// <summary>Field and group constants of one named curve, read once from the platform.</summary>
    private sealed class CurveInfo
    {
        private static readonly CurveInfo P256 = new(ECCurve.NamedCurves.nistP256);
        private static readonly CurveInfo P384 = new(ECCurve.NamedCurves.nistP384);
        private static readonly CurveInfo P521 = new(ECCurve.NamedCurves.nistP521);

        private CurveInfo(ECCurve named)
        {
            Named = named;
            using var probe = ECDiffieHellman.Create(named);
            var explicitCurve = probe.ExportExplicitParameters(false).Curve;
            Prime = new BigInteger(explicitCurve.Prime, isUnsigned: true, isBigEndian: true);
            A = new BigInteger(explicitCurve.A, isUnsigned: true, isBigEndian: true);
            B = new BigInteger(explicitCurve.B, isUnsigned: true, isBigEndian: true);
            Order = new BigInteger(explicitCurve.Order, isUnsigned: true, isBigEndian: true);
            FieldLength = explicitCurve.Prime!.Length;
            var orderBits = (int)Order.GetBitLength();
            TopByteMask = (byte)(0xFF >> ((FieldLength * 8) - orderBits));
        }

        public ECCurve Named { get; }
        public BigInteger Prime { get; }
        public BigInteger A { get; }
        public BigInteger B { get; }
        public BigInteger Order { get; }
        public int FieldLength { get; }
        public byte TopByteMask { get; }

        public static CurveInfo Of(KeyExchangeMethod method) => method switch
        {
            KeyExchangeMethod.Ecp256 => P256,
            KeyExchangeMethod.Ecp384 => P384,
            KeyExchangeMethod.Ecp521 => P521,
            _ => throw new ArgumentOutOfRangeException(nameof(method), method, "not an ECP group"),
        };
    }
}
