using System.Globalization;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Tests.Vectors;

namespace S2SEndpoint.Ike.Tests.Crypto;

/// <summary>
/// ML-KEM as IKEv2 key exchange methods 35-37 (draft-ietf-ipsecme-ikev2-mlkem): NIST ACVP known answers
/// (FIPS 203), agreement between initiator and responder for every size, and refusal of bad KE data.
/// </summary>
public sealed class MlKemKeyExchangeTests
{
    public static TheoryData<KeyExchangeMethod, int, int> Sizes => new()
    {
        // draft-ietf-ipsecme-ikev2-mlkem 2 / FIPS 203 8 table 3: ek and ciphertext lengths.
        { KeyExchangeMethod.MlKem512, 800, 768 },
        { KeyExchangeMethod.MlKem768, 1184, 1088 },
        { KeyExchangeMethod.MlKem1024, 1568, 1568 },
    };

    public static TheoryData<KeyExchangeMethod> Methods => new()
    {
        KeyExchangeMethod.MlKem512, KeyExchangeMethod.MlKem768, KeyExchangeMethod.MlKem1024,
    };

    private static KeyExchangeMethod Parse(string method) => (KeyExchangeMethod)ushort.Parse(method, CultureInfo.InvariantCulture);

    [Theory]
    [MemberData(nameof(MlKemVectors.Encapsulation), MemberType = typeof(MlKemVectors))]
    public void TryEncapsulate_AcvpEncapsulation_CiphertextAndSecretMatch(string source, string method, string ek, string m, string c, string k)
    {
        Assert.True(MlKemKeyExchange.TryEncapsulate(Parse(method), Convert.FromHexString(ek), FixedRandom.Chunks(m),
            out var ciphertext, out var secret, out var reason), reason);
        Assert.Equal(c, Convert.ToHexString(ciphertext));
        Assert.Equal(k, Convert.ToHexString(secret));
        _ = source;
    }

    /// <summary>FIPS 203 7.1 ML-KEM.KeyGen: the initiator's encapsulation key from the seeds d then z it draws.</summary>
    [Theory]
    [MemberData(nameof(MlKemVectors.KeyGeneration), MemberType = typeof(MlKemVectors))]
    public void CreateInitiator_PublishedSeed_GivesThePublishedEncapsulationKey(string source, string method, string ek)
    {
        using var initiator = MlKemKeyExchange.CreateInitiator(Parse(method), FixedRandom.Stream(MlKemVectors.KeyGenerationSeed));
        Assert.Equal(ek, Convert.ToHexString(initiator.PublicValue));
        _ = source;
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void RoundTrip_InitiatorAndResponder_AgreeOnSecret(KeyExchangeMethod method, int ekLength, int ctLength)
    {
        using var initiator = MlKemKeyExchange.CreateInitiator(method, SystemRandomSource.Instance);
        Assert.Equal(ekLength, initiator.PublicValue.Length);
        Assert.Equal(ekLength, MlKemKeyExchange.EncapsulationKeyLength(method));
        Assert.Equal(ctLength, MlKemKeyExchange.CiphertextLength(method));

        Assert.True(MlKemKeyExchange.TryEncapsulate(method, initiator.PublicValue, SystemRandomSource.Instance,
            out var ciphertext, out var responderSecret, out var reason), reason);
        Assert.Equal(ctLength, ciphertext.Length);
        Assert.True(initiator.TryDecapsulate(ciphertext, out var initiatorSecret, out reason), reason);

        Assert.Equal(MlKemKeyExchange.SharedSecretLength, initiatorSecret.Length);
        Assert.Equal(responderSecret, initiatorSecret);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void CreateInitiator_SameSeeds_SameEncapsulationKey(KeyExchangeMethod method)
    {
        var seeds = new string('5', 128);
        using var a = MlKemKeyExchange.CreateInitiator(method, FixedRandom.Stream(seeds));
        using var b = MlKemKeyExchange.CreateInitiator(method, FixedRandom.Stream(seeds));
        Assert.Equal(a.PublicValue, b.PublicValue);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void TryEncapsulate_WrongLengthEncapsulationKey_Refuses(KeyExchangeMethod method)
    {
        using var initiator = MlKemKeyExchange.CreateInitiator(method, SystemRandomSource.Instance);
        var ek = initiator.PublicValue;
        foreach (var bad in new[] { ek[..^1], [.. ek, 0], [], ek[..^32] })
        {
            Assert.False(MlKemKeyExchange.TryEncapsulate(method, bad, SystemRandomSource.Instance,
                out var ciphertext, out var secret, out var reason));
            Assert.Empty(ciphertext);
            Assert.Empty(secret);
            Assert.Contains("octets", reason, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(KeyExchangeMethod.MlKem512, 0, 3329)]
    [InlineData(KeyExchangeMethod.MlKem512, 1, 0xFFF)]
    [InlineData(KeyExchangeMethod.MlKem768, 767, 3329)]
    [InlineData(KeyExchangeMethod.MlKem1024, 1023, 4000)]
    public void TryEncapsulate_CoefficientNotBelowModulus_FailsModulusCheck(KeyExchangeMethod method, int coefficient, int value)
    {
        using var initiator = MlKemKeyExchange.CreateInitiator(method, SystemRandomSource.Instance);
        var ek = SetCoefficient(initiator.PublicValue, coefficient, value);

        Assert.False(MlKemKeyExchange.TryEncapsulate(method, ek, SystemRandomSource.Instance, out var ciphertext, out var secret, out var reason));
        Assert.Empty(ciphertext);
        Assert.Empty(secret);
        Assert.Contains("modulus check", reason, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void TryEncapsulate_CoefficientJustBelowModulus_PassesModulusCheck(KeyExchangeMethod method)
    {
        using var initiator = MlKemKeyExchange.CreateInitiator(method, SystemRandomSource.Instance);
        var ek = SetCoefficient(initiator.PublicValue, 0, 3328);
        Assert.True(MlKemKeyExchange.TryEncapsulate(method, ek, SystemRandomSource.Instance, out _, out _, out var reason), reason);
    }

    /// <summary>FIPS 203 4.2.1 ByteEncode12: coefficient 2j in the low 12 bits of octets 3j..3j+2, 2j+1 in the high 12.</summary>
    private static byte[] SetCoefficient(byte[] encapsulationKey, int coefficient, int value)
    {
        var ek = (byte[])encapsulationKey.Clone();
        var at = coefficient / 2 * 3;
        var pair = ek[at] | (ek[at + 1] << 8) | (ek[at + 2] << 16);
        pair = coefficient % 2 == 0 ? (pair & ~0xFFF) | value : (pair & 0xFFF) | (value << 12);
        ek[at] = unchecked((byte)pair);
        ek[at + 1] = unchecked((byte)(pair >> 8));
        ek[at + 2] = unchecked((byte)(pair >> 16));
        return ek;
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void TryDecapsulate_WrongLengthCiphertext_Refuses(KeyExchangeMethod method)
    {
        using var initiator = MlKemKeyExchange.CreateInitiator(method, SystemRandomSource.Instance);
        Assert.True(MlKemKeyExchange.TryEncapsulate(method, initiator.PublicValue, SystemRandomSource.Instance, out var ciphertext, out _, out var reason), reason);
        foreach (var bad in new[] { ciphertext[..^1], [.. ciphertext, 0], [], initiator.PublicValue.Length == ciphertext.Length ? [] : initiator.PublicValue })
        {
            Assert.False(initiator.TryDecapsulate(bad, out var secret, out reason));
            Assert.Empty(secret);
            Assert.Contains("octets", reason, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData(KeyExchangeMethod.MlKem512, 0)]
    [InlineData(KeyExchangeMethod.MlKem512, 767)]
    [InlineData(KeyExchangeMethod.MlKem768, 500)]
    [InlineData(KeyExchangeMethod.MlKem1024, 1567)]
    public void TryDecapsulate_OneBitTamperedCiphertext_GivesDifferentSecret(KeyExchangeMethod method, int octet)
    {
        using var initiator = MlKemKeyExchange.CreateInitiator(method, SystemRandomSource.Instance);
        Assert.True(MlKemKeyExchange.TryEncapsulate(method, initiator.PublicValue, SystemRandomSource.Instance,
            out var ciphertext, out var responderSecret, out var reason), reason);
        ciphertext[octet] ^= 0x01;

        // FIPS 203 6.3: implicit rejection, a pseudorandom K̄ = J(z || c) instead of an error.
        Assert.True(initiator.TryDecapsulate(ciphertext, out var rejected, out reason), reason);
        Assert.Equal(MlKemKeyExchange.SharedSecretLength, rejected.Length);
        Assert.NotEqual(responderSecret, rejected);
        Assert.True(initiator.TryDecapsulate(ciphertext, out var again, out _));
        Assert.Equal(rejected, again);
    }

    [Fact]
    public void TryDecapsulate_AfterDispose_Throws()
    {
        var initiator = MlKemKeyExchange.CreateInitiator(KeyExchangeMethod.MlKem768, SystemRandomSource.Instance);
        Assert.True(MlKemKeyExchange.TryEncapsulate(KeyExchangeMethod.MlKem768, initiator.PublicValue, SystemRandomSource.Instance,
            out var ciphertext, out _, out var reason), reason);
        initiator.Dispose();
        initiator.Dispose();
        Assert.Throws<ObjectDisposedException>(() => initiator.TryDecapsulate(ciphertext, out _, out _));
    }

    [Theory]
    [InlineData(KeyExchangeMethod.Curve25519)]
    [InlineData(KeyExchangeMethod.Modp2048)]
    [InlineData(KeyExchangeMethod.None)]
    public void CreateInitiator_NotMlKem_Throws(KeyExchangeMethod method)
    {
        Assert.False(MlKemKeyExchange.IsMlKem(method));
        Assert.Throws<ArgumentOutOfRangeException>(() => MlKemKeyExchange.CreateInitiator(method, SystemRandomSource.Instance));
        Assert.Throws<ArgumentOutOfRangeException>(() => MlKemKeyExchange.TryEncapsulate(method, new byte[800], SystemRandomSource.Instance, out _, out _, out _));
    }

    [Theory]
    [InlineData(KeyExchangeMethod.MlKem512, 35, "mlkem512")]
    [InlineData(KeyExchangeMethod.MlKem768, 36, "mlkem768")]
    [InlineData(KeyExchangeMethod.MlKem1024, 37, "mlkem1024")]
    public void TransformIds_MlKem_HaveDraftValuesAndAreNegotiable(KeyExchangeMethod method, ushort id, string keyword)
    {
        Assert.Equal(id, (ushort)method);
        Assert.True(MlKemKeyExchange.IsMlKem(method));
        Assert.True(KeyExchange.IsSupported(method));
        Assert.Contains(keyword, ProposalKeywords.ValidKeywords(ProtocolId.Ike));
        Assert.True(ProposalKeywords.TryParse($"aes256-sha256-{keyword}", ProtocolId.Ike, out var proposal, out var error), error);
        Assert.Contains(new Transform(TransformType.KeyExchange, id), proposal.Transforms);
        Assert.True(ProposalKeywords.TryParse($"aes256-sha256-x25519-ke1_{keyword}", ProtocolId.Ike, out proposal, out error), error);
        Assert.Contains(new Transform(TransformType.AdditionalKeyExchange1, id), proposal.Transforms);
    }

    /// <summary>The KeyExchange abstraction: the initiator's public value is ek, the responder's the ciphertext.</summary>
    [Theory]
    [MemberData(nameof(Methods))]
    public void KeyExchangeCreate_BothRoles_AgreeOnTheSecret(KeyExchangeMethod method)
    {
        using var initiator = KeyExchange.Create(method, new SeededRandom(1));
        using var responder = KeyExchange.Create(method, new SeededRandom(2));
        var ek = initiator.PublicValue;
        Assert.Equal(MlKemKeyExchange.EncapsulationKeyLength(method), ek.Length);
        Assert.Equal(MlKemKeyExchange.EncapsulationKeyLength(method), responder.PublicValueLength);
        Assert.True(responder.TryDeriveSharedSecret(ek, out var responderSecret, out var reason), reason);
        Assert.Equal(MlKemKeyExchange.CiphertextLength(method), responder.PublicValue.Length);
        Assert.Equal(MlKemKeyExchange.CiphertextLength(method), initiator.PublicValueLength);
        Assert.True(initiator.TryDeriveSharedSecret(responder.PublicValue, out var initiatorSecret, out reason), reason);
        Assert.Equal(MlKemKeyExchange.SharedSecretLength, initiatorSecret.Length);
        Assert.Equal(responderSecret, initiatorSecret);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void KeyExchangeCreate_WrongLengthPeerValue_RefusesWithoutThrowing(KeyExchangeMethod method)
    {
        using var responder = KeyExchange.Create(method, new SeededRandom(2));
        Assert.False(responder.TryDeriveSharedSecret(new byte[MlKemKeyExchange.EncapsulationKeyLength(method) - 1], out _, out var reason));
        Assert.Contains("octets", reason, StringComparison.Ordinal);
        using var initiator = KeyExchange.Create(method, new SeededRandom(1));
        _ = initiator.PublicValue;
        Assert.False(initiator.TryDeriveSharedSecret(new byte[MlKemKeyExchange.CiphertextLength(method) + 1], out _, out reason));
        Assert.False(initiator.TryDeriveSharedSecret([], out _, out _));
    }
}
