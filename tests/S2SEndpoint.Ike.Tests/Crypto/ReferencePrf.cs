using System.Security.Cryptography;

namespace S2SEndpoint.Ike.Tests.Crypto;

/// <summary>
/// The PRF and prf+ of RFC 7296 written out with .NET's HMAC-SHA-256, apart from the engine's <c>Prf</c>: the key
/// schedule tests compute the RFCs' formulas with them and compare.
/// </summary>
internal static class ReferencePrf
{
    public static byte[] HmacSha256(byte[] key, byte[] data) => HMACSHA256.HashData(key, data);

    /// <summary>RFC 7296 2.13: prf+ (K,S) = T1 | T2 | ..., T1 = prf (K, S | 0x01), Tn = prf (K, Tn-1 | S | n).</summary>
    public static byte[] PrfPlus(byte[] key, byte[] seed, int length)
    {
        var output = new List<byte>();
        byte[] t = [];
        for (byte n = 1; output.Count < length; n++)
        {
            t = HmacSha256(key, [.. t, .. seed, n]);
            output.AddRange(t);
        }
        return [.. output.Take(length)];
    }
}
