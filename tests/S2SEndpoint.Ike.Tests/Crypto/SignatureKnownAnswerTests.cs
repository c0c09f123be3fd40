using System.Security.Cryptography;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Exchanges;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Tests.Crypto;

/// <summary>
/// Known answers for certificate authentication: the octets signed (RFC 7296 2.15), the AlgorithmIdentifiers of
/// RFC 7427 appendix A (and RFC 8420 2 for Ed25519), and the deterministic signatures (RSA PKCS#1 v1.5, Ed25519)
/// against values computed independently with OpenSSL 3.0 on the build machine.
/// </summary>
public sealed class SignatureKnownAnswerTests
{
    // RealMessage1 = 00..1f, NonceRData = a0..af, SK_pi = 32 x 01, IDi' = 02 000000 "moon.s2s.test", prf HMAC-SHA256.
    // openssl dgst -sha256 -mac HMAC -macopt hexkey:0101...01 -binary idb   => MACedIDForI below.
    private const string SignedOctetsHex =
        "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f" + "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf" +
        "c9b051885232e4d9812518b20b1e4504812f07f5ee1c79613ebf5f1caabb65ef";

    /// <summary>A 1024-bit RSA key made with "openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024" (a test vector, nothing else).</summary>
    private const string RsaPkcs8 =
        "MIICeAIBADANBgkqhkiG9w0BAQEFAASCAmIwggJeAgEAAoGBAOQjrpUIIdzEia5C/ETKrhXFWtHcwtfOTXOdB4WYqPGINE71lCcp" +
        "+F70ZXxWIlXMObziLIWZ5XUa0faXgJCbUcYrHteW2f/UhelNwM9I5SrjyYaQ7dICF3B3JQj5ywjmYdrEYLfgUMUCQa/AVJcJGmBb" +
        "6WBGVNYuoYAbsFGjAKm9AgMBAAECgYEAquEPIxG0S2fquFv0GJK3UhdAr3BrgLlFyhMUTzzJTiB3Da1kCvGk13q3iSn7Dciqdo/y" +
        "SR+8frpYChvwcF/mHt54xjQ4THD3llQIeLgD9pWPa67/+JJOUbmzgvyyuzimcBVpG+ORE3bHDaHK6ZT0QIqZz82GacrslBwx7Knk" +
        "eQECQQD5TXJ76SI3bXCZHGu7qGnyuHKROYNg/eFfndbbBV50Y49rd5JLz5HyHAtl/EQwzVIF/htr2AqiEZkNlmSHdbinAkEA6kSv" +
        "9+cu1nuQAj/btKOlGxcUV0Hzv8VC83QwMy+DKw8ao4sZ1QVrGFpatgDRLUGYhYKpcjxsVbUfaoYFU9wy+wJBAI5H6C3V2URe/mMz" +
        "+DxqmsT/BcviUhvZ6XVjpMrtXoH4jFLeNC12MqpF3S+AcP6VP9nRs56x9yeV+Y7qpUc2JYMCQQDALIJxiSrJ9Win/7x6TXfGZkNg" +
        "ZRDQMsB+N8TGaGZgby56FESnk59Lxer9vGPbjSDR/OKFfH2ePUs9Nh2uskb7AkBjaOQ7e7Vbjdz5Z2NC24ydiOox/Te1rr/4Z8aU" +
        "kNMBIxYnE5bfQXq57nyUqmASjLMBRNyDq4xCBH/jQiigCs2j";

    [Fact]
    public void SignedOctets_InitiatorSide_IsRealMessageNonceAndMacedId()
    {
        var prf = Prf.HmacSha256;
        var idBody = new byte[] { 2, 0, 0, 0 }.Concat("moon.s2s.test"u8.ToArray()).ToArray();
        var octets = PskAuthentication.SignedOctets(prf, Enumerable.Range(0, 32).Select(i => (byte)i).ToArray(),
            Enumerable.Range(0xa0, 16).Select(i => (byte)i).ToArray(), Enumerable.Repeat((byte)1, 32).ToArray(), idBody);
        Assert.Equal(SignedOctetsHex, Convert.ToHexStringLower(octets));
    }

    /// <summary>RFC 7427 appendix A.1 (PKCS#1 1.5), A.3 (ECDSA), A.4.3 (RSASSA-PSS with SHA-256); RFC 8420 2 (Ed25519).</summary>
    [Theory]
    [InlineData(SignatureScheme.RsaPkcs1Sha1, "300d06092a864886f70d0101050500")]
    [InlineData(SignatureScheme.RsaPkcs1Sha256, "300d06092a864886f70d01010b0500")]
    [InlineData(SignatureScheme.RsaPkcs1Sha384, "300d06092a864886f70d01010c0500")]
    [InlineData(SignatureScheme.RsaPkcs1Sha512, "300d06092a864886f70d01010d0500")]
    [InlineData(SignatureScheme.EcdsaSha256, "300a06082a8648ce3d040302")]
    [InlineData(SignatureScheme.EcdsaSha384, "300a06082a8648ce3d040303")]
    [InlineData(SignatureScheme.EcdsaSha512, "300a06082a8648ce3d040304")]
    [InlineData(SignatureScheme.RsaPssSha256,
        "3041" + "06092a864886f70d01010a" + "3034" + "a00f300d06096086480165030402010500" +
        "a11c301a06092a864886f70d010108300d06096086480165030402010500" + "a203020120")]
    [InlineData(SignatureScheme.Ed25519, "300506032b6570")]
    public void AlgorithmIdentifier_EncodesAsRfc7427AppendixAAndDecodesBack(SignatureScheme scheme, string hex)
    {
        Assert.Equal(hex, Convert.ToHexStringLower(SignatureAlgorithmIdentifier.Encode(scheme)));
        Assert.True(SignatureAlgorithmIdentifier.TryDecode(Convert.FromHexString(hex), out var decoded, out var reason), reason);
        Assert.Equal(scheme, decoded);
    }

    [Theory]
    [InlineData(SignatureScheme.RsaPssSha384)]
    [InlineData(SignatureScheme.RsaPssSha512)]
    public void AlgorithmIdentifier_PssRoundTrips(SignatureScheme scheme)
    {
        Assert.True(SignatureAlgorithmIdentifier.TryDecode(SignatureAlgorithmIdentifier.Encode(scheme), out var decoded, out var reason), reason);
        Assert.Equal(scheme, decoded);
    }

    [Theory]
    // RSASSA-PSS with empty parameters means SHA-1 (RFC 4055 3.1): not supported.
    [InlineData("300b06092a864886f70d01010a", "hash 1.3.14.3.2.26")]
    // RSASSA-PSS with SHA-256 and a 20-octet salt.
    [InlineData("3041" + "06092a864886f70d01010a" + "3034" + "a00f300d06096086480165030402010500" +
        "a11c301a06092a864886f70d010108300d06096086480165030402010500" + "a203020114", "salt 20")]
    // dsa-with-sha256 (2.16.840.1.101.3.4.3.2).
    [InlineData("300b0609608648016503040302", "not supported")]
    [InlineData("300d06092a864886f70d01010b05", "not valid DER")]
    [InlineData("300d06092a864886f70d01010b050000", "trailing")]
    public void AlgorithmIdentifier_Unsupported_RefusedWithReason(string hex, string reason)
    {
        Assert.False(SignatureAlgorithmIdentifier.TryDecode(Convert.FromHexString(hex), out _, out var why));
        Assert.Contains(reason, why, StringComparison.Ordinal);
    }

    /// <summary>
    /// RSA PKCS#1 v1.5 is deterministic: "openssl dgst -sha256 -sign rsa1024.pem -binary signed" over the signed octets
    /// above gave this signature.
    /// </summary>
    [Fact]
    public void Sign_RsaPkcs1Sha256_MatchesOpenSsl()
    {
        using var rsa = RSA.Create();
        rsa.ImportPkcs8PrivateKey(Convert.FromBase64String(RsaPkcs8), out _);
        var signature = SigningKey.FromRsa(rsa).Sign(SignatureScheme.RsaPkcs1Sha256, Convert.FromHexString(SignedOctetsHex));
        Assert.Equal(
            "5b9b26b5fc3671aff250a1fb8e5b378cfe242c200fb8572f4a30d8d9f7cbadc002a94c3f56683de5f375cad66a8a5d64ba8745a6435cf1659918053879cbe24e" +
            "f66a728da8ba3aa1389776455bc444fcd7af546e0dc0396f25690dcbf02e1fae6ff708a8416e7d68b28c5540c51bde843463c5d495ec138ed8bd314b35d8436b",
            Convert.ToHexStringLower(signature));
    }

    /// <summary>
    /// Ed25519 is deterministic (RFC 8032 5.1.6): the key 01..20 as PKCS#8, "openssl pkeyutl -sign -rawin" over the signed
    /// octets gave this signature, and "openssl pkey -pubout" this subjectPublicKeyInfo.
    /// </summary>
    [Fact]
    public void Sign_Ed25519_MatchesOpenSsl()
    {
        var key = SigningKey.FromEd25519(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
        Assert.Equal("302a300506032b657003210079b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664", Convert.ToHexStringLower(key.SubjectPublicKeyInfo()));
        Assert.Equal(
            "00f703957d8f4925641b3676dfd240d3b2a4db426aff62e2331b4d58b6a33e7aeea7641ef341e92fc2e72c32fb4345822d699ce36ac1c31d0dc07a6f8950910c",
            Convert.ToHexStringLower(key.Sign(SignatureScheme.Ed25519, Convert.FromHexString(SignedOctetsHex))));
    }

    public static TheoryData<SigningKeyType, SignatureScheme, AuthMethod> Methods => new()
    {
        { SigningKeyType.Rsa, SignatureScheme.RsaPkcs1Sha1, AuthMethod.RsaDigitalSignature },
        { SigningKeyType.EcdsaP256, SignatureScheme.EcdsaSha256, AuthMethod.EcdsaSha256P256 },
        { SigningKeyType.EcdsaP384, SignatureScheme.EcdsaSha384, AuthMethod.EcdsaSha384P384 },
        { SigningKeyType.EcdsaP521, SignatureScheme.EcdsaSha512, AuthMethod.EcdsaSha512P521 },
        { SigningKeyType.Rsa, SignatureScheme.RsaPkcs1Sha256, AuthMethod.DigitalSignature },
        { SigningKeyType.Rsa, SignatureScheme.RsaPkcs1Sha384, AuthMethod.DigitalSignature },
        { SigningKeyType.Rsa, SignatureScheme.RsaPkcs1Sha512, AuthMethod.DigitalSignature },
        { SigningKeyType.Rsa, SignatureScheme.RsaPssSha256, AuthMethod.DigitalSignature },
        { SigningKeyType.Rsa, SignatureScheme.RsaPssSha384, AuthMethod.DigitalSignature },
        { SigningKeyType.Rsa, SignatureScheme.RsaPssSha512, AuthMethod.DigitalSignature },
        { SigningKeyType.EcdsaP256, SignatureScheme.EcdsaSha256, AuthMethod.DigitalSignature },
        { SigningKeyType.EcdsaP256, SignatureScheme.EcdsaSha512, AuthMethod.DigitalSignature },
        { SigningKeyType.EcdsaP384, SignatureScheme.EcdsaSha384, AuthMethod.DigitalSignature },
        { SigningKeyType.EcdsaP521, SignatureScheme.EcdsaSha512, AuthMethod.DigitalSignature },
        { SigningKeyType.Ed25519, SignatureScheme.Ed25519, AuthMethod.DigitalSignature },
    };

    /// <summary>Every method and scheme signs with a fixed key and verifies with its certificate; one flipped bit anywhere in the signature fails.</summary>
    [Theory]
    [MemberData(nameof(Methods))]
    public void SignAndVerify_EveryMethod_VerifiesAndRejectsATamper(SigningKeyType type, SignatureScheme scheme, AuthMethod method)
    {
        var ca = TestPki.CreateCa("C=CH, O=Lab, CN=KAT CA");
        var key = TestKey.Get(type, 1);
        var certificate = TestPki.Issue(ca, "C=CH, O=Lab, CN=signer", key);
        var octets = Convert.FromHexString(SignedOctetsHex);
        var auth = SignatureAuthenticator.Sign(key.Signing, scheme, method, octets);
        Assert.Equal(method, auth.Method);
        if (method == AuthMethod.DigitalSignature)
            Assert.Equal(SignatureAlgorithmIdentifier.Encode(scheme), auth.Data.AsSpan(1, auth.Data[0]).ToArray());
        else if (type != SigningKeyType.Rsa)
            // RFC 4754 7: r and s, each as long as the curve's order.
            Assert.Equal(type switch { SigningKeyType.EcdsaP256 => 64, SigningKeyType.EcdsaP384 => 96, _ => 132 }, auth.Data.Length);
        Assert.True(SignatureAuthenticator.VerifySignature(certificate, auth, octets, "signer", out var reason), reason);

        var tampered = (byte[])auth.Data.Clone();
        tampered[^1] ^= 0x01;
        Assert.False(SignatureAuthenticator.VerifySignature(certificate, new AuthenticationPayload(method, tampered), octets, "signer", out _));
        var otherOctets = (byte[])octets.Clone();
        otherOctets[0] ^= 0x80;
        Assert.False(SignatureAuthenticator.VerifySignature(certificate, auth, otherOctets, "signer", out reason));
        Assert.Contains("does not verify", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_EcdsaMethodOfAnotherCurve_RefusedWithReason()
    {
        var ca = TestPki.CreateCa("C=CH, O=Lab, CN=KAT CA");
        var key = TestKey.Get(SigningKeyType.EcdsaP256, 1);
        var certificate = TestPki.Issue(ca, "C=CH, O=Lab, CN=signer", key);
        var auth = new AuthenticationPayload(AuthMethod.EcdsaSha384P384, new byte[96]);
        Assert.False(SignatureAuthenticator.VerifySignature(certificate, auth, [1, 2, 3], "signer", out var reason));
        Assert.Contains("does not fit the certificate's EcdsaP256 key", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_Sha1UnderRfc7427_RefusedAsNotAnnounced()
    {
        var ca = TestPki.CreateCa("C=CH, O=Lab, CN=KAT CA");
        var key = TestKey.Get(SigningKeyType.Rsa, 1);
        var certificate = TestPki.Issue(ca, "C=CH, O=Lab, CN=signer", key);
        var auth = SignatureAuthenticator.Sign(key.Signing, SignatureScheme.RsaPkcs1Sha1, AuthMethod.DigitalSignature, [1, 2, 3]);
        Assert.False(SignatureAuthenticator.VerifySignature(certificate, auth, [1, 2, 3], "signer", out var reason));
        Assert.StartsWith("no acceptable signature hash", reason, StringComparison.Ordinal);
    }

    /// <summary>RFC 7427 4: the signer takes a hash the peer announced; without the notify, the classic methods (as strongSwan).</summary>
    [Theory]
    [InlineData(SigningKeyType.Rsa, false, null, SignatureScheme.RsaPkcs1Sha1, AuthMethod.RsaDigitalSignature)]
    [InlineData(SigningKeyType.EcdsaP256, false, null, SignatureScheme.EcdsaSha256, AuthMethod.EcdsaSha256P256)]
    [InlineData(SigningKeyType.EcdsaP384, false, null, SignatureScheme.EcdsaSha384, AuthMethod.EcdsaSha384P384)]
    [InlineData(SigningKeyType.EcdsaP521, false, null, SignatureScheme.EcdsaSha512, AuthMethod.EcdsaSha512P521)]
    [InlineData(SigningKeyType.Rsa, false, "2,3,4", SignatureScheme.RsaPkcs1Sha256, AuthMethod.DigitalSignature)]
    [InlineData(SigningKeyType.Rsa, true, "4", SignatureScheme.RsaPssSha512, AuthMethod.DigitalSignature)]
    [InlineData(SigningKeyType.EcdsaP384, false, "2,3,4", SignatureScheme.EcdsaSha384, AuthMethod.DigitalSignature)]
    [InlineData(SigningKeyType.EcdsaP384, false, "2", SignatureScheme.EcdsaSha256, AuthMethod.DigitalSignature)]
    [InlineData(SigningKeyType.EcdsaP521, false, "1,2,3,4,5", SignatureScheme.EcdsaSha512, AuthMethod.DigitalSignature)]
    [InlineData(SigningKeyType.Ed25519, false, "2,5", SignatureScheme.Ed25519, AuthMethod.DigitalSignature)]
    public void TryChoose_FollowsThePeersHashes(SigningKeyType type, bool pss, string? announced, SignatureScheme scheme, AuthMethod method)
    {
        Assert.True(SignatureAuthenticator.TryChoose(type, pss, Hashes(announced), out var chosen, out var chosenMethod, out var reason), reason);
        Assert.Equal(scheme, chosen);
        Assert.Equal(method, chosenMethod);
    }

    [Theory]
    [InlineData(SigningKeyType.Ed25519, null, "an Ed25519 key signs only with RFC 7427")]
    [InlineData(SigningKeyType.Ed25519, "2,3,4", "the peer announced SHA256, SHA384, SHA512, our Ed25519 key signs with IDENTITY")]
    [InlineData(SigningKeyType.Rsa, "1", "the peer announced SHA1, our Rsa key signs with SHA256, SHA384, SHA512")]
    [InlineData(SigningKeyType.EcdsaP256, "", "the peer announced none")]
    public void TryChoose_NoAcceptableHash_SaysSo(SigningKeyType type, string? announced, string reason)
    {
        Assert.False(SignatureAuthenticator.TryChoose(type, false, Hashes(announced), out _, out _, out var why));
        Assert.StartsWith("no acceptable signature hash", why, StringComparison.Ordinal);
        Assert.Contains(reason, why, StringComparison.Ordinal);
    }

    private static SignatureHashAlgorithm[]? Hashes(string? list) => list is null ? null
        : [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(h => (SignatureHashAlgorithm)ushort.Parse(h, System.Globalization.CultureInfo.InvariantCulture))];
}
