using S2SEndpoint.Esp.Tests.Support;
using S2SEndpoint.Esp.Tests.Vectors;
using S2SEndpoint.Esp.Transforms;
using S2SEndpoint.Ike.Crypto;

namespace S2SEndpoint.Esp.Tests.KnownAnswer;

/// <summary>
/// The ESP integrity step against its published authenticators: RFC 4868 2.7.2 for HMAC-SHA-256-128, -384-192 and
/// -512-256 (the key is the hash's length, as in ESP), and RFC 2202 for HMAC-SHA-1-96 (RFC 2404: the first 96 bits).
/// </summary>
public sealed class IntegrityTests
{
    [Theory]
    [MemberData(nameof(HmacVectors.Rfc4868Auth), MemberType = typeof(HmacVectors))]
    public void Icv_Rfc4868AuthenticatorTestCase_IsThePublishedValue(string source, string hash, string key, string data, string truncatedMac)
    {
        _ = source;
        var integrity = hash switch
        {
            "SHA256" => Integrity.HmacSha256_128,
            "SHA384" => Integrity.HmacSha384_192,
            _ => Integrity.HmacSha512_256,
        };

        Assert.Equal(truncatedMac, Icv(integrity, key, data));
    }

    /// <summary>RFC 2202 cases with a 160-bit key, the only length ESP keys HMAC-SHA1-96 with (RFC 2404 3): 1, 3 and 5.</summary>
    public static TheoryData<string, string, string, string> Rfc2202With160BitKeys()
    {
        var data = new TheoryData<string, string, string, string>();
        foreach (var row in HmacVectors.Rfc2202HmacSha1)
        {
            if (((string)row[1]).Length == Integrity.HmacSha1_96.KeySize * 2)
                data.Add((string)row[0], (string)row[1], (string)row[2], (string)row[3]);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Rfc2202With160BitKeys))]
    public void Icv_Rfc2202TestCase_IsTheFirst96Bits(string source, string key, string data, string mac)
    {
        _ = source;
        Assert.Equal(mac[..(Integrity.HmacSha1_96.IcvSize * 2)], Icv(Integrity.HmacSha1_96, key, data));
    }

    private static string Icv(Integrity integrity, string key, string data)
    {
        using var transform = (CbcHmacTransform)EspTransform.Create(EncryptionTransform.Null, integrity, false, [], Convert.FromHexString(key), new SeededRandom(1));
        var full = new byte[64];
        transform.ComputeMac(Convert.FromHexString(data), 0, full);
        return Convert.ToHexStringLower(full.AsSpan(0, integrity.IcvSize));
    }
}
