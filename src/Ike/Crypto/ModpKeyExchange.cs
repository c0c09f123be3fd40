using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Agreement;
using Org.BouncyCastle.Crypto.Parameters;
using BigInteger = Org.BouncyCastle.Math.BigInteger;

namespace S2SEndpoint.Ike.Crypto;

/// <summary>
/// Finite-field Diffie-Hellman over the MODP groups 2 (RFC 2409 6.2), 5, 14, 15, 16 (RFC 3526) and 24
/// (RFC 5114 2.3), on BouncyCastle's big integers. Public values and g^ir are padded with zeros to the
/// length of the modulus (RFC 7296 3.4 and 2.14).
/// </summary>
public sealed class ModpKeyExchange : KeyExchange
{
    private readonly DHParameters _group;
    private readonly int _modulusLength;
    private BigInteger? _privateValue;

    internal ModpKeyExchange(KeyExchangeMethod method, IRandomSource random) : base(method)
    {
        _group = GroupOf(method);
        _modulusLength = (_group.P.BitLength + 7) / 8;
        _privateValue = DrawPrivateValue(random);
        PublicValue = Pad(_group.G.ModPow(_privateValue, _group.P));
    }

    public override byte[] PublicValue { get; }
    public override int PublicValueLength => _modulusLength;

    /// <summary>The group parameters; group 24 has a prime-order subgroup q that peers' values must lie in.</summary>
    public static DHParameters GroupOf(KeyExchangeMethod method) => method switch
    {
        KeyExchangeMethod.Modp1024 => DHStandardGroups.rfc2409_1024,
        KeyExchangeMethod.Modp1536 => DHStandardGroups.rfc3526_1536,
        KeyExchangeMethod.Modp2048 => DHStandardGroups.rfc3526_2048,
        KeyExchangeMethod.Modp3072 => DHStandardGroups.rfc3526_3072,
        KeyExchangeMethod.Modp4096 => DHStandardGroups.rfc3526_4096,
        KeyExchangeMethod.Modp2048S256 => Rfc5114Group24,
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "not a MODP group"),
    };

    // RFC 5114 2.3, "2048-bit MODP Group with 256-bit Prime Order Subgroup".
    private static readonly DHParameters Rfc5114Group24 = new(
        new BigInteger(Rfc5114.Group24P, 16),
        new BigInteger(Rfc5114.Group24G, 16),
        new BigInteger(Rfc5114.Group24Q, 16));

    /// <summary>
    /// The private exponent: uniform in [2, q-1] where the group has a prime-order subgroup, else a
    /// 512-bit exponent (twice the strength of the largest group here; NIST SP 800-56A 5.6.1.1).
    /// </summary>
    private BigInteger DrawPrivateValue(IRandomSource random)
    {
        const int SafePrimeExponentBits = 512;
        var upper = _group.Q is { } q && q.BitLength < _group.P.BitLength - 1 ? q : null;
        var bits = upper?.BitLength ?? Math.Min(SafePrimeExponentBits, _group.P.BitLength - 1);
        var buffer = new byte[(bits + 7) / 8];
        try
        {
            while (true)
            {
                random.Fill(buffer);
                var excess = (buffer.Length * 8) - bits;
                buffer[0] &= (byte)(0xFF >> excess);
                var x = new BigInteger(1, buffer);
                if (x.CompareTo(BigInteger.Two) >= 0 && (upper is null || x.CompareTo(upper) < 0))
                    return x;
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }

    public override bool TryDeriveSharedSecret(ReadOnlySpan<byte> peerPublicValue, out byte[] sharedSecret, out string reason)
    {
        ObjectDisposedException.ThrowIf(_privateValue is null, this);
        if (peerPublicValue.Length != _modulusLength)
            return Refuse($"{Method} public value is {peerPublicValue.Length} octets, must be {_modulusLength}", out sharedSecret, out reason);
        var y = new BigInteger(1, peerPublicValue.ToArray());
        var pMinusOne = _group.P.Subtract(BigInteger.One);
        // NIST SP 800-56A 5.6.2.3.1 (RFC 6989 2.1): 1 < y < p-1 rules out the trivial subgroups.
        if (y.CompareTo(BigInteger.One) <= 0 || y.CompareTo(pMinusOne) >= 0)
            return Refuse($"{Method} public value is outside 2..p-2", out sharedSecret, out reason);
        // RFC 6989 2.2: for a group with a small prime-order subgroup, y^q mod p must be 1.
        if (_group.Q is { } q && Method == KeyExchangeMethod.Modp2048S256 && !y.ModPow(q, _group.P).Equals(BigInteger.One))
            return Refuse($"{Method} public value is not in the prime-order subgroup", out sharedSecret, out reason);
        sharedSecret = Pad(y.ModPow(_privateValue, _group.P));
        reason = string.Empty;
        return true;
    }

    private byte[] Pad(BigInteger value)
    {
        var magnitude = value.ToByteArrayUnsigned();
        if (magnitude.Length == _modulusLength)
            return magnitude;
        var padded = new byte[_modulusLength];
        magnitude.CopyTo(padded, _modulusLength - magnitude.Length);
        return padded;
    }

    protected override void ReleasePrivateValue() => _privateValue = null;
}
