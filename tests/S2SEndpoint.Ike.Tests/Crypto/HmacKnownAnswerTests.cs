using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Tests.Vectors;

namespace S2SEndpoint.Ike.Tests.Crypto;

/// <summary>HMAC PRFs and truncated integrity algorithms against RFC 2202, RFC 4231 and RFC 4868.</summary>
public sealed class HmacKnownAnswerTests
{
    private static Prf PrfFor(string hash) => hash switch
    {
        "SHA1" => Prf.HmacSha1,
        "SHA256" => Prf.HmacSha256,
        "SHA384" => Prf.HmacSha384,
        "SHA512" => Prf.HmacSha512,
        _ => throw new ArgumentOutOfRangeException(nameof(hash), hash, null),
    };

    private static Integrity IntegrityFor(string hash) => hash switch
    {
        "SHA1" => Integrity.HmacSha1_96,
        "SHA256" => Integrity.HmacSha256_128,
        "SHA384" => Integrity.HmacSha384_192,
        "SHA512" => Integrity.HmacSha512_256,
        _ => throw new ArgumentOutOfRangeException(nameof(hash), hash, null),
    };

    [Theory]
    [MemberData(nameof(HmacVectors.Rfc2202HmacSha1), MemberType = typeof(HmacVectors))]
    public void PrfHmacSha1_Rfc2202_MatchesPublishedDigest(string source, string key, string data, string mac)
    {
        var output = Prf.HmacSha1.Compute(Convert.FromHexString(key), Convert.FromHexString(data));
        Assert.True(Convert.FromHexString(mac).AsSpan().SequenceEqual(output), source);
    }

    [Theory]
    [MemberData(nameof(HmacVectors.Rfc2202HmacSha1), MemberType = typeof(HmacVectors))]
    public void IntegrityHmacSha1_96_Rfc2202_IsFirst12OctetsOfDigest(string source, string key, string data, string mac)
    {
        var icv = new byte[12];
        Integrity.HmacSha1_96.Compute(Convert.FromHexString(key), Convert.FromHexString(data), icv);
        Assert.True(Convert.FromHexString(mac)[..12].AsSpan().SequenceEqual(icv), source);
    }

    [Theory]
    [MemberData(nameof(HmacVectors.Rfc4231), MemberType = typeof(HmacVectors))]
    public void Prf_Rfc4231_MatchesPublishedMac(string source, string hash, string key, string data, string mac)
    {
        var output = PrfFor(hash).Compute(Convert.FromHexString(key), Convert.FromHexString(data));
        Assert.True(Convert.FromHexString(mac).AsSpan().SequenceEqual(output), source);
    }

    [Theory]
    [MemberData(nameof(HmacVectors.Rfc4231Truncated), MemberType = typeof(HmacVectors))]
    public void Prf_Rfc4231Case5_TruncatedOutputMatches(string source, string hash, string key, string data, string mac128)
    {
        var output = PrfFor(hash).Compute(Convert.FromHexString(key), Convert.FromHexString(data));
        Assert.True(Convert.FromHexString(mac128).AsSpan().SequenceEqual(output.AsSpan(0, 16)), source);
    }

    [Theory]
    [MemberData(nameof(HmacVectors.Rfc4868Prf), MemberType = typeof(HmacVectors))]
    public void Prf_Rfc4868Section271_MatchesPublishedOutput(string source, string hash, string key, string data, string expected)
    {
        var output = PrfFor(hash).Compute(Convert.FromHexString(key), Convert.FromHexString(data));
        Assert.True(Convert.FromHexString(expected).AsSpan().SequenceEqual(output), source);
    }

    [Theory]
    [MemberData(nameof(HmacVectors.Rfc4868Auth), MemberType = typeof(HmacVectors))]
    public void Integrity_Rfc4868Section272_TruncatedIcvMatchesAndVerifies(string source, string hash, string key, string data, string expected)
    {
        var integrity = IntegrityFor(hash);
        var keyBytes = Convert.FromHexString(key);
        var dataBytes = Convert.FromHexString(data);
        var icv = new byte[integrity.IcvSize];
        integrity.Compute(keyBytes, dataBytes, icv);
        Assert.True(Convert.FromHexString(expected).AsSpan().SequenceEqual(icv), source);
        Assert.True(integrity.Verify(keyBytes, dataBytes, icv));
        icv[^1] ^= 1;
        Assert.False(integrity.Verify(keyBytes, dataBytes, icv));
    }

    [Fact]
    public void PrfPlus_FirstBlocks_FollowRfc7296Section213()
    {
        // RFC 7296 2.13: T1 = prf(K, S | 0x01), T2 = prf(K, T1 | S | 0x02).
        var key = Convert.FromHexString("000102030405060708090a0b0c0d0e0f");
        var seed = Convert.FromHexString("a0a1a2a3");
        var prf = Prf.HmacSha256;
        var t1 = prf.Compute(key, [.. seed, 0x01]);
        var t2 = prf.Compute(key, [.. t1, .. seed, 0x02]);
        var stream = prf.PrfPlus(key, seed, 40);
        Assert.Equal([.. t1, .. t2[..8]], stream);
    }

    [Fact]
    public void PrfPlus_MoreThan255Blocks_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Prf.HmacSha1.PrfPlus(new byte[20], [], (255 * 20) + 1));
        Assert.Equal(255 * 20, Prf.HmacSha1.PrfPlus(new byte[20], [], 255 * 20).Length);
    }
}
