using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using S2SEndpoint.Ike.Crypto;

namespace S2SEndpoint.Ike.Sa;

/// <summary>
/// Stateless cookies for IKE_SA_INIT under load (RFC 7296 2.6):
///   Cookie = &lt;VersionIDofSecret&gt; | Hash(Ni | IPi | SPIi | &lt;secret&gt;)
/// The secret changes from time to time; a cookie made with the previous secret is still accepted.
/// </summary>
internal sealed class CookieJar(IRandomSource random)
{
    private const int SecretSize = 32;
    private uint _version;
    private byte[] _secret = NewSecret(random);
    private byte[] _previous = [];

    private static byte[] NewSecret(IRandomSource random)
    {
        var s = new byte[SecretSize];
        random.Fill(s);
        return s;
    }

    public void Rotate()
    {
        _previous = _secret;
        _secret = NewSecret(random);
        _version = unchecked(_version + 1);
    }

    public byte[] Make(ReadOnlySpan<byte> ni, IPAddress initiator, ulong spiI) => Make(_version, _secret, ni, initiator, spiI);

    public bool Verify(ReadOnlySpan<byte> cookie, ReadOnlySpan<byte> ni, IPAddress initiator, ulong spiI)
    {
        if (cookie.Length != 4 + 32)
            return false;
        var version = BinaryPrimitives.ReadUInt32BigEndian(cookie);
        var secret = version == _version ? _secret : version == unchecked(_version - 1) && _previous.Length > 0 ? _previous : null;
        return secret is not null && CryptographicOperations.FixedTimeEquals(Make(version, secret, ni, initiator, spiI), cookie);
    }

    private static byte[] Make(uint version, byte[] secret, ReadOnlySpan<byte> ni, IPAddress initiator, ulong spiI)
    {
        var address = initiator.GetAddressBytes();
        var input = new byte[ni.Length + address.Length + 8 + secret.Length];
        ni.CopyTo(input);
        address.CopyTo(input, ni.Length);
        BinaryPrimitives.WriteUInt64BigEndian(input.AsSpan(ni.Length + address.Length), spiI);
        secret.CopyTo(input, ni.Length + address.Length + 8);
        var cookie = new byte[4 + 32];
        BinaryPrimitives.WriteUInt32BigEndian(cookie, version);
        SHA256.HashData(input, cookie.AsSpan(4));
        return cookie;
    }
}
