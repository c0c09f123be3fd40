using System.Security.Cryptography;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Tests.Vectors;

namespace S2SEndpoint.Ike.Tests.Crypto;

/// <summary>
/// The SK ciphers against published vectors: the GCM specification's test cases, RFC 3602 AES-CBC,
/// RFC 8439 and RFC 7634 ChaCha20-Poly1305. Each vector is laid out as the datagram the cipher works on:
/// associated data, then the IV, then the text, then the ICV.
/// </summary>
public sealed class CipherKnownAnswerTests
{
    private static IkeSuite Suite(EncryptionTransform encryption, Integrity? integrity = null) =>
        new(encryption, Prf.HmacSha256, integrity, KeyExchangeMethod.Modp2048);

    [Theory]
    [MemberData(nameof(CipherVectors.GcmSpec), MemberType = typeof(CipherVectors))]
    public void AesGcm16_GcmSpecTestCase_OpensToPlaintext(string source, string key, string iv, string plaintext, string aad, string ciphertext, string tag)
    {
        // RFC 5282 / RFC 4106: nonce = salt (4) | IV (8); the vector's 96-bit IV splits the same way.
        var keyBytes = Convert.FromHexString(key);
        var nonce = Convert.FromHexString(iv);
        var suite = Suite(EncryptionTransform.AesGcm16(keyBytes.Length * 8));
        using var cipher = IkeCipher.Create(suite, [.. keyBytes, .. nonce[..4]], [], new SeededRandom(1));
        var aadBytes = Convert.FromHexString(aad);
        var datagram = Layout(aadBytes, nonce[4..], Convert.FromHexString(ciphertext), Convert.FromHexString(tag));

        Assert.True(cipher.TryOpen(datagram, aadBytes.Length, ciphertext.Length / 2), source);
        Assert.Equal(plaintext, Convert.ToHexStringLower(datagram.AsSpan(aadBytes.Length + 8, plaintext.Length / 2)));
    }

    [Theory]
    [MemberData(nameof(CipherVectors.GcmSpec), MemberType = typeof(CipherVectors))]
    public void AesGcm16_GcmSpecTestCase_TamperedTagIsRejected(string source, string key, string iv, string plaintext, string aad, string ciphertext, string tag)
    {
        _ = plaintext;
        var keyBytes = Convert.FromHexString(key);
        var nonce = Convert.FromHexString(iv);
        using var cipher = IkeCipher.Create(Suite(EncryptionTransform.AesGcm16(keyBytes.Length * 8)), [.. keyBytes, .. nonce[..4]], [], new SeededRandom(1));
        var aadBytes = Convert.FromHexString(aad);
        var tagBytes = Convert.FromHexString(tag);
        tagBytes[0] ^= 0x80;
        var datagram = Layout(aadBytes, nonce[4..], Convert.FromHexString(ciphertext), tagBytes);
        Assert.False(cipher.TryOpen(datagram, aadBytes.Length, ciphertext.Length / 2), source);
    }

    [Theory]
    [MemberData(nameof(CipherVectors.Rfc3602Cbc), MemberType = typeof(CipherVectors))]
    public void AesCbc_Rfc3602Case_SealProducesPublishedCiphertextAndIcv(string source, string key, string iv, string plaintext, string ciphertext)
    {
        // The vector's IV comes from the random source, as RFC 7296 3.14 has it for CBC.
        var integrityKey = new byte[32];
        var suite = Suite(EncryptionTransform.AesCbc(128), Integrity.HmacSha256_128);
        using var cipher = IkeCipher.Create(suite, Convert.FromHexString(key), integrityKey, FixedRandom.Chunks(iv));
        var header = Convert.FromHexString("00112233445566778899aabbccddeeff");
        var text = Convert.FromHexString(plaintext);
        var datagram = Layout(header, new byte[16], text, new byte[16]);

        cipher.Seal(datagram, header.Length, text.Length);

        Assert.Equal(iv, Convert.ToHexStringLower(datagram.AsSpan(header.Length, 16)));
        Assert.Equal(ciphertext, Convert.ToHexStringLower(datagram.AsSpan(header.Length + 16, text.Length)), ignoreCase: true);
        var expectedIcv = HMACSHA256.HashData(integrityKey, datagram.AsSpan(0, datagram.Length - 16))[..16];
        Assert.Equal(expectedIcv, datagram[^16..]);
        Assert.True(cipher.TryOpen(datagram, header.Length, text.Length), source);
        Assert.Equal(plaintext, Convert.ToHexStringLower(datagram.AsSpan(header.Length + 16, text.Length)), ignoreCase: true);
    }

    [Theory]
    [MemberData(nameof(CipherVectors.Rfc8439), MemberType = typeof(CipherVectors))]
    [MemberData(nameof(CipherVectors.Rfc7634Aead), MemberType = typeof(CipherVectors))]
    public void ChaCha20Poly1305_PublishedAead_OpensToPlaintext(string source, string key, string nonce, string aad, string plaintext, string ciphertext, string tag)
    {
        var nonceBytes = Convert.FromHexString(nonce);
        using var cipher = IkeCipher.Create(Suite(EncryptionTransform.ChaCha20Poly1305), [.. Convert.FromHexString(key), .. nonceBytes[..4]], [], new SeededRandom(1));
        var aadBytes = Convert.FromHexString(aad);
        var datagram = Layout(aadBytes, nonceBytes[4..], Convert.FromHexString(ciphertext), Convert.FromHexString(tag));
        Assert.True(cipher.TryOpen(datagram, aadBytes.Length, ciphertext.Length / 2), source);
        Assert.Equal(plaintext, Convert.ToHexStringLower(datagram.AsSpan(aadBytes.Length + 8, plaintext.Length / 2)), ignoreCase: true);
    }

    [Fact]
    public void SkProtection_Rfc7634AppendixB_OpensTheIkeExample()
    {
        // RFC 7634 Appendix B: an INFORMATIONAL message protected with ChaCha20-Poly1305.
        var datagram = Convert.FromHexString(CipherVectors.Rfc7634.IkeExample.Message);
        Assert.True(IkeMessage.TryParse(datagram, out var message, out var error), error.ToString());
        var keymat = Convert.FromHexString(CipherVectors.Rfc7634.IkeExample.Key + CipherVectors.Rfc7634.IkeExample.Salt);
        using var cipher = IkeCipher.Create(Suite(EncryptionTransform.ChaCha20Poly1305), keymat, [], new SeededRandom(1));

        Assert.True(SkProtection.TryOpen(message, cipher, out var inner, out error), error.ToString());

        var notify = Assert.IsType<NotifyPayload>(Assert.Single(inner));
        Assert.Equal(NotifyType.SetWindowSize, notify.NotifyType);
        Assert.Equal([0, 0, 0, 10], notify.Data);
    }

    private static byte[] Layout(byte[] aad, byte[] iv, byte[] text, byte[] icv) => [.. aad, .. iv, .. text, .. icv];
}
