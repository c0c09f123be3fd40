using System.Globalization;
using Org.BouncyCastle.Math;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Tests.Vectors;

namespace S2SEndpoint.Ike.Tests.Crypto;

/// <summary>
/// Key exchange methods against RFC 5903 (ECP) and RFC 7748 (X25519, X448), the MODP primes against the
/// RFC text, agreement between two parties for every method, and refusal of bad public values.
/// </summary>
public sealed class KeyExchangeTests
{
    private static KeyExchange WithPrivate(KeyExchangeMethod method, string privateHex) =>
        KeyExchange.Create(method, FixedRandom.Chunks(privateHex));

    [Theory]
    [MemberData(nameof(KeyExchangeVectors.Rfc5903), MemberType = typeof(KeyExchangeVectors))]
    public void Ecp_Rfc5903Section8_PublicValuesAndSharedSecretMatch(string source, string group, string i, string gi, string r, string gr, string girx)
    {
        var method = (KeyExchangeMethod)ushort.Parse(group, CultureInfo.InvariantCulture);
        using var initiator = WithPrivate(method, i);
        using var responder = WithPrivate(method, r);

        Assert.Equal(gi, Convert.ToHexString(initiator.PublicValue));
        Assert.Equal(gr, Convert.ToHexString(responder.PublicValue));
        Assert.True(initiator.TryDeriveSharedSecret(responder.PublicValue, out var s1, out var reason), reason);
        Assert.True(responder.TryDeriveSharedSecret(initiator.PublicValue, out var s2, out reason), reason);
        Assert.Equal(girx, Convert.ToHexString(s1));
        Assert.Equal(s1, s2);
        _ = source;
    }

    [Theory]
    [MemberData(nameof(KeyExchangeVectors.Rfc7748X25519), MemberType = typeof(KeyExchangeVectors))]
    public void X25519_Rfc7748Section52_ScalarMultMatches(string source, string scalar, string u, string output)
    {
        using var exchange = WithPrivate(KeyExchangeMethod.Curve25519, scalar);
        Assert.True(exchange.TryDeriveSharedSecret(Convert.FromHexString(u), out var result, out var reason), reason);
        Assert.Equal(output, Convert.ToHexStringLower(result));
        _ = source;
    }

    [Theory]
    [MemberData(nameof(KeyExchangeVectors.Rfc7748X448), MemberType = typeof(KeyExchangeVectors))]
    public void X448_Rfc7748Section52_ScalarMultMatches(string source, string scalar, string u, string output)
    {
        using var exchange = WithPrivate(KeyExchangeMethod.Curve448, scalar);
        Assert.True(exchange.TryDeriveSharedSecret(Convert.FromHexString(u), out var result, out var reason), reason);
        Assert.Equal(output, Convert.ToHexStringLower(result));
        _ = source;
    }

    [Theory]
    [MemberData(nameof(KeyExchangeVectors.Rfc7748X25519Iterated), MemberType = typeof(KeyExchangeVectors))]
    public void X25519_Rfc7748Section52_IteratedLadderMatches(string source, string iterations, string output) =>
        AssertIterated(KeyExchangeMethod.Curve25519, 32, iterations, output, source);

    [Theory]
    [MemberData(nameof(KeyExchangeVectors.Rfc7748X448Iterated), MemberType = typeof(KeyExchangeVectors))]
    public void X448_Rfc7748Section52_IteratedLadderMatches(string source, string iterations, string output) =>
        AssertIterated(KeyExchangeMethod.Curve448, 56, iterations, output, source);

    private static void AssertIterated(KeyExchangeMethod method, int size, string iterations, string output, string source)
    {
        // RFC 7748 5.2: k = u = the base point (9 for X25519, 5 for X448); each round k, u = X(k, u), k.
        var k = new byte[size];
        k[0] = method == KeyExchangeMethod.Curve25519 ? (byte)9 : (byte)5;
        var u = (byte[])k.Clone();
        for (var n = 0; n < int.Parse(iterations, CultureInfo.InvariantCulture); n++)
        {
            using var exchange = KeyExchange.Create(method, FixedRandom.Chunks(k));
            Assert.True(exchange.TryDeriveSharedSecret(u, out var next, out _), source);
            u = k;
            k = next;
        }
        Assert.Equal(output, Convert.ToHexStringLower(k), ignoreCase: true);
    }

    [Theory]
    [MemberData(nameof(KeyExchangeVectors.Rfc7748X25519Dh), MemberType = typeof(KeyExchangeVectors))]
    public void X25519_Rfc7748Section61_DiffieHellmanMatches(string source, string a, string aPub, string b, string bPub, string shared) =>
        AssertMontgomeryDh(KeyExchangeMethod.Curve25519, a, aPub, b, bPub, shared, source);

    [Theory]
    [MemberData(nameof(KeyExchangeVectors.Rfc7748X448Dh), MemberType = typeof(KeyExchangeVectors))]
    public void X448_Rfc7748Section62_DiffieHellmanMatches(string source, string a, string aPub, string b, string bPub, string shared) =>
        AssertMontgomeryDh(KeyExchangeMethod.Curve448, a, aPub, b, bPub, shared, source);

    private static void AssertMontgomeryDh(KeyExchangeMethod method, string a, string aPub, string b, string bPub, string shared, string source)
    {
        using var alice = WithPrivate(method, a);
        using var bob = WithPrivate(method, b);
        Assert.Equal(aPub, Convert.ToHexStringLower(alice.PublicValue), ignoreCase: true);
        Assert.Equal(bPub, Convert.ToHexStringLower(bob.PublicValue), ignoreCase: true);
        Assert.True(alice.TryDeriveSharedSecret(bob.PublicValue, out var k1, out _), source);
        Assert.True(bob.TryDeriveSharedSecret(alice.PublicValue, out var k2, out _), source);
        Assert.Equal(shared, Convert.ToHexStringLower(k1), ignoreCase: true);
        Assert.Equal(k1, k2);
    }

    public static TheoryData<KeyExchangeMethod, string> ModpGroups => new()
    {
        { KeyExchangeMethod.Modp1024, KeyExchangeVectors.ModpPrimes.Group2P },
        { KeyExchangeMethod.Modp1536, KeyExchangeVectors.ModpPrimes.Group5P },
        { KeyExchangeMethod.Modp2048, KeyExchangeVectors.ModpPrimes.Group14P },
        { KeyExchangeMethod.Modp3072, KeyExchangeVectors.ModpPrimes.Group15P },
        { KeyExchangeMethod.Modp4096, KeyExchangeVectors.ModpPrimes.Group16P },
        { KeyExchangeMethod.Modp2048S256, KeyExchangeVectors.ModpPrimes.Group24P },
    };

    [Theory]
    [MemberData(nameof(ModpGroups))]
    public void Modp_GroupPrime_MatchesRfcText(KeyExchangeMethod method, string primeHex)
    {
        // RFC 2409 6.2, RFC 3526 2-5, RFC 5114 2.3.
        var group = ModpKeyExchange.GroupOf(method);
        Assert.Equal(new BigInteger(primeHex, 16), group.P);
        if (method == KeyExchangeMethod.Modp2048S256)
        {
            Assert.Equal(new BigInteger(KeyExchangeVectors.ModpPrimes.Group24G, 16), group.G);
            Assert.Equal(new BigInteger(KeyExchangeVectors.ModpPrimes.Group24Q, 16), group.Q);
        }
        else
        {
            Assert.Equal(BigInteger.Two, group.G);
        }
    }

    public static TheoryData<KeyExchangeMethod> AllMethods => new(KeyExchange.Supported);

    /// <summary>The Diffie-Hellman methods, whose sides are alike (ML-KEM's roles are tested in MlKemKeyExchangeTests).</summary>
    public static TheoryData<KeyExchangeMethod> DiffieHellmanMethods => new(KeyExchange.Supported.Where(m => !MlKemKeyExchange.IsMlKem(m)));

    [Theory]
    [MemberData(nameof(DiffieHellmanMethods))]
    public void TwoParties_EveryMethod_AgreeOnTheSharedSecret(KeyExchangeMethod method)
    {
        using var a = KeyExchange.Create(method, new SeededRandom(1));
        using var b = KeyExchange.Create(method, new SeededRandom(2));
        Assert.Equal(a.PublicValueLength, a.PublicValue.Length);
        Assert.True(a.TryDeriveSharedSecret(b.PublicValue, out var s1, out var reason), reason);
        Assert.True(b.TryDeriveSharedSecret(a.PublicValue, out var s2, out reason), reason);
        Assert.Equal(s1, s2);
        Assert.NotEqual(a.PublicValue, b.PublicValue);
    }

    [Theory]
    [MemberData(nameof(AllMethods))]
    public void TryDeriveSharedSecret_WrongLength_Refuses(KeyExchangeMethod method)
    {
        using var a = KeyExchange.Create(method, new SeededRandom(1));
        using var b = KeyExchange.Create(method, new SeededRandom(2));
        Assert.False(a.TryDeriveSharedSecret(b.PublicValue.AsSpan(1), out _, out var reason));
        Assert.Contains("octets", reason, StringComparison.Ordinal);
        Assert.False(a.TryDeriveSharedSecret([.. b.PublicValue, 0], out _, out _));
        Assert.False(a.TryDeriveSharedSecret([], out _, out _));
    }

    [Theory]
    [InlineData(KeyExchangeMethod.Modp2048)]
    [InlineData(KeyExchangeMethod.Modp1024)]
    [InlineData(KeyExchangeMethod.Modp2048S256)]
    public void Modp_PublicValueOutsideRange_Refuses(KeyExchangeMethod method)
    {
        using var a = KeyExchange.Create(method, new SeededRandom(1));
        var p = ModpKeyExchange.GroupOf(method).P;
        var length = a.PublicValueLength;
        foreach (var bad in new[] { BigInteger.Zero, BigInteger.One, p.Subtract(BigInteger.One), p, p.Add(BigInteger.One) })
        {
            var bytes = bad.ToByteArrayUnsigned();
            if (bytes.Length > length)
                bytes = new byte[length].Select(_ => (byte)0xFF).ToArray();
            var padded = new byte[length];
            bytes.CopyTo(padded, length - bytes.Length);
            Assert.False(a.TryDeriveSharedSecret(padded, out _, out var reason), $"{method} accepted {bad}");
            Assert.NotEmpty(reason);
        }
    }

    [Fact]
    public void Modp2048S256_ValueOutsidePrimeOrderSubgroup_Refuses()
    {
        // RFC 6989 2.2: p - 2 has order (p-1)/... in general, not q; y^q mod p != 1.
        using var a = KeyExchange.Create(KeyExchangeMethod.Modp2048S256, new SeededRandom(1));
        var p = ModpKeyExchange.GroupOf(KeyExchangeMethod.Modp2048S256).P;
        var y = p.Subtract(BigInteger.Two).ToByteArrayUnsigned();
        Assert.False(a.TryDeriveSharedSecret(y, out _, out var reason));
        Assert.Contains("subgroup", reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(KeyExchangeMethod.Ecp256)]
    [InlineData(KeyExchangeMethod.Ecp384)]
    [InlineData(KeyExchangeMethod.Ecp521)]
    public void Ecp_PointNotOnCurve_Refuses(KeyExchangeMethod method)
    {
        using var a = KeyExchange.Create(method, new SeededRandom(1));
        using var b = KeyExchange.Create(method, new SeededRandom(2));
        var bad = (byte[])b.PublicValue.Clone();
        bad[^1] ^= 1;
        Assert.False(a.TryDeriveSharedSecret(bad, out _, out var reason));
        Assert.Contains("not a point on the curve", reason, StringComparison.Ordinal);
        Assert.False(a.TryDeriveSharedSecret(new byte[a.PublicValueLength], out _, out _));
        var outside = Enumerable.Repeat((byte)0xFF, a.PublicValueLength).ToArray();
        Assert.False(a.TryDeriveSharedSecret(outside, out _, out reason));
        Assert.Contains("outside the field", reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(KeyExchangeMethod.Curve25519, 32)]
    [InlineData(KeyExchangeMethod.Curve448, 56)]
    public void Montgomery_LowOrderPoint_Refuses(KeyExchangeMethod method, int size)
    {
        // RFC 7748 6.1 / RFC 8031 2.3: u = 0 and u = 1 give an all-zero shared secret.
        using var a = KeyExchange.Create(method, new SeededRandom(1));
        var zero = new byte[size];
        var one = new byte[size];
        one[0] = 1;
        Assert.False(a.TryDeriveSharedSecret(zero, out _, out var reason));
        Assert.Contains("low-order", reason, StringComparison.Ordinal);
        Assert.False(a.TryDeriveSharedSecret(one, out _, out _));
    }

    [Fact]
    public void Dispose_ThenDerive_Throws()
    {
        var a = KeyExchange.Create(KeyExchangeMethod.Curve25519, new SeededRandom(1));
        using var b = KeyExchange.Create(KeyExchangeMethod.Curve25519, new SeededRandom(2));
        a.Dispose();
        Assert.Throws<ObjectDisposedException>(() => a.TryDeriveSharedSecret(b.PublicValue, out _, out _));
    }
}
