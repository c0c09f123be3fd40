using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Tests.Crypto;

/// <summary>strongSwan's proposal keywords, both ways, through the SA payload's bytes.</summary>
public sealed class ProposalKeywordsTests
{
    public static TheoryData<ProtocolId, string> Keywords => new()
    {
        { ProtocolId.Ike, "aes256-sha256-modp2048" },
        { ProtocolId.Ike, "aes128-sha1-modp1024" },
        { ProtocolId.Ike, "aes256gcm16-prfsha384-ecp384" },
        { ProtocolId.Ike, "chacha20poly1305-prfsha256-x25519" },
        { ProtocolId.Ike, "aes192-sha384-modp3072" },
        { ProtocolId.Ike, "aes128gcm16-prfsha256-ecp256" },
        { ProtocolId.Ike, "aes192gcm16-prfsha512-ecp521" },
        { ProtocolId.Ike, "aes256-sha512-modp4096" },
        { ProtocolId.Ike, "aes128-sha256-modp1536" },
        { ProtocolId.Ike, "aes128-sha256-modp2048s256" },
        { ProtocolId.Ike, "aes256-sha256-prfsha1-x448" },
        { ProtocolId.Ike, "aes128-aes256-sha1-sha256-modp2048-ecp256" },
        { ProtocolId.Esp, "aes256gcm16" },
        { ProtocolId.Esp, "aes256-sha256" },
        { ProtocolId.Esp, "aes128-sha1" },
        { ProtocolId.Esp, "chacha20poly1305" },
        { ProtocolId.Esp, "null-sha256" },
        { ProtocolId.Esp, "aes256gcm16-modp2048" },
        { ProtocolId.Esp, "aes192-sha384-ecp384" },
        { ProtocolId.Esp, "aes128gcm16-esn" },
        { ProtocolId.Esp, "aes256-sha512-x25519-esn-noesn" },
        { ProtocolId.Ike, "aes256gcm16-prfsha384-x25519-ke1_mlkem768" },
        { ProtocolId.Ike, "aes256-sha256-x25519-ke1_ecp384-ke2_modp3072" },
        { ProtocolId.Ike, "aes256gcm16-prfsha512-ecp384-ke1_mlkem1024-ke1_none-ke3_mlkem512-ke7_x448" },
        { ProtocolId.Ike, "aes128gcm16-prfsha256-mlkem768" },
        { ProtocolId.Ike, "aes256-sha256-mlkem1024-mlkem512" },
        { ProtocolId.Esp, "aes256gcm16-x25519-ke1_mlkem768-ke1_none" },
    };

    [Theory]
    [InlineData("aes256-sha256-x25519-ke8_mlkem768")]
    [InlineData("aes256-sha256-x25519-ke0_mlkem768")]
    [InlineData("aes256-sha256-x25519-ke1_")]
    [InlineData("aes256-sha256-x25519-ke1_aes256")]
    [InlineData("aes256-sha256-x25519-ke1mlkem768")]
    [InlineData("aes256-sha256-ke1_mlkem768")]
    public void Parse_BadAdditionalKeyExchange_FailsNamingTheSyntax(string keywords)
    {
        Assert.False(ProposalKeywords.TryParse(keywords, ProtocolId.Ike, out _, out var error));
        Assert.Contains("ke", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_AdditionalKeyExchanges_GiveTransformTypes6To12WithNoneAsZero()
    {
        Assert.True(ProposalKeywords.TryParse("aes256gcm16-prfsha384-x25519-ke2_ecp384-ke1_mlkem768-ke1_none", ProtocolId.Ike, out var p, out var error), error);
        Assert.Equal(
            [
                new Transform(TransformType.AdditionalKeyExchange1, (ushort)KeyExchangeMethod.MlKem768),
                new Transform(TransformType.AdditionalKeyExchange1, 0),
                new Transform(TransformType.AdditionalKeyExchange2, (ushort)KeyExchangeMethod.Ecp384),
            ],
            p.Transforms.Where(t => (byte)t.Type >= 6));
        Assert.Equal(6, (byte)TransformType.AdditionalKeyExchange1);
        Assert.Equal(12, (byte)TransformType.AdditionalKeyExchange7);
    }

    [Theory]
    [MemberData(nameof(Keywords))]
    public void Keywords_ThroughSaPayloadBytes_RoundTrip(ProtocolId protocol, string keywords)
    {
        Assert.True(ProposalKeywords.TryParse(keywords, protocol, out var proposal, out var error), error);
        var sa = new SecurityAssociationPayload([proposal]);
        Assert.True(SecurityAssociationPayload.TryRead(sa.BodyToArray(), 0, out var read, out var parseError), parseError.ToString());
        Assert.Equal(sa.BodyToArray(), read.BodyToArray());
        Assert.Equal(keywords, ProposalKeywords.Format(Assert.Single(read.Proposals)));
    }

    [Fact]
    public void Parse_Aes256Sha256Modp2048_GivesTheRfcTransforms()
    {
        Assert.True(ProposalKeywords.TryParse("aes256-sha256-modp2048", ProtocolId.Ike, out var p, out _));
        Assert.Equal(
            [
                new Transform(TransformType.Encryption, 12, 256),
                new Transform(TransformType.Integrity, 12),
                new Transform(TransformType.Prf, 5),
                new Transform(TransformType.KeyExchange, 14),
            ],
            p.Transforms);
        Assert.True(IkeSuite.TryFromProposal(p, out var suite, out var error), error);
        Assert.Equal(32, suite.EncryptionKeySize);
        Assert.Equal(32, suite.IntegrityKeySize);
    }

    [Fact]
    public void Parse_EspWithoutEsnKeyword_AddsNoEsn()
    {
        Assert.True(ProposalKeywords.TryParse("aes256gcm16", ProtocolId.Esp, out var p, out _));
        Assert.Equal([new Transform(TransformType.Encryption, 20, 256), new Transform(TransformType.SequenceNumbers, 0)], p.Transforms);
        Assert.True(ChildSuite.TryFromProposal(p, out var suite, out var error), error);
        Assert.Equal(36, suite.EncryptionKeySize);
        Assert.False(suite.ExtendedSequenceNumbers);
    }

    [Fact]
    public void Parse_ChaCha20Poly1305_SendsNoKeyLengthAttribute()
    {
        // RFC 7634 2: "the Key Length attribute MUST NOT be sent" for ENCR_CHACHA20_POLY1305.
        Assert.True(ProposalKeywords.TryParse("chacha20poly1305-prfsha256-x25519", ProtocolId.Ike, out var p, out _));
        Assert.Null(p.OfType(TransformType.Encryption).Single().KeyLength);
    }

    [Fact]
    public void Parse_EspGroup_MeansPfs()
    {
        Assert.True(ProposalKeywords.TryParse("aes256gcm16-modp2048", ProtocolId.Esp, out var p, out _));
        Assert.True(ChildSuite.TryFromProposal(p, out var suite, out _));
        Assert.Equal(KeyExchangeMethod.Modp2048, suite.KeyExchange);
    }

    [Theory]
    [InlineData(ProtocolId.Ike, "aes257-sha256-modp2048", "'aes257'")]
    [InlineData(ProtocolId.Ike, "aes256-sha256-modp2049", "'modp2049'")]
    [InlineData(ProtocolId.Ike, "null-sha256-modp2048", "'null'")]
    [InlineData(ProtocolId.Esp, "aes256-prfsha256", "'prfsha256'")]
    [InlineData(ProtocolId.Ike, "aes256-sha256-modp2048-esn", "'esn'")]
    public void Parse_UnknownKeyword_NamesItAndListsTheValidOnes(ProtocolId protocol, string text, string named)
    {
        Assert.False(ProposalKeywords.TryParse(text, protocol, out _, out var error));
        Assert.Contains(named, error, StringComparison.Ordinal);
        Assert.Contains("valid: aes128, aes128gcm16", error, StringComparison.Ordinal);
        Assert.Contains("x25519", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ProtocolId.Ike, "", "empty")]
    [InlineData(ProtocolId.Ike, "sha256-modp2048", "no encryption algorithm")]
    [InlineData(ProtocolId.Ike, "aes256-modp2048", "needs an integrity algorithm")]
    [InlineData(ProtocolId.Ike, "aes256gcm16-sha256-modp2048", "AEAD cipher with an integrity algorithm")]
    [InlineData(ProtocolId.Ike, "aes256gcm16-ecp384", "needs a PRF")]
    [InlineData(ProtocolId.Ike, "aes256-sha256", "key exchange method")]
    [InlineData(ProtocolId.Ike, "aes256-aes256gcm16-sha256-modp2048", "mixes AEAD and non-AEAD")]
    [InlineData(ProtocolId.Esp, "aes256", "needs an integrity algorithm")]
    [InlineData(ProtocolId.Esp, "null", "needs an integrity algorithm")]
    public void Parse_IncompleteProposal_SaysWhatIsMissing(ProtocolId protocol, string text, string expected)
    {
        Assert.False(ProposalKeywords.TryParse(text, protocol, out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Aliases_GiveTheCanonicalKeywords()
    {
        Assert.True(ProposalKeywords.TryParse("AES-SHA-Curve25519", ProtocolId.Ike, out var p, out _));
        Assert.Equal("aes128-sha1-x25519", ProposalKeywords.Format(p));
        Assert.True(ProposalKeywords.TryParse("aes256gcm128-prfsha256-curve448", ProtocolId.Ike, out p, out _));
        Assert.Equal("aes256gcm16-prfsha256-x448", ProposalKeywords.Format(p));
    }

    [Fact]
    public void ParseList_CommaSeparated_NumbersProposalsFromOne()
    {
        Assert.True(ProposalKeywords.TryParseList("aes256gcm16-prfsha384-ecp384, aes256-sha256-modp2048", ProtocolId.Ike, out var list, out var error), error);
        Assert.Equal([1, 2], list.Select(p => (int)p.Number));
        Assert.False(ProposalKeywords.TryParseList("aes256-sha256-modp2048,bogus", ProtocolId.Ike, out _, out error));
        Assert.Contains("'bogus'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void IkeSuite_ProposalWithTwoCiphers_IsNotAChosenProposal()
    {
        Assert.True(ProposalKeywords.TryParse("aes128-aes256-sha256-modp2048", ProtocolId.Ike, out var p, out _));
        Assert.False(IkeSuite.TryFromProposal(p, out _, out var error));
        Assert.Contains("more than one", error, StringComparison.Ordinal);
    }

    [Fact]
    public void IkeSuite_UnknownTransformAttribute_IsRefused()
    {
        var p = new Proposal(1, ProtocolId.Ike, [],
        [
            new Transform(TransformType.Encryption, 12, 256) { OtherAttributes = [new TransformAttribute(99, true, 1, [])] },
            new Transform(TransformType.Prf, 5), new Transform(TransformType.Integrity, 12), new Transform(TransformType.KeyExchange, 14),
        ]);
        Assert.False(IkeSuite.TryFromProposal(p, out _, out var error));
        Assert.Contains("attributes", error, StringComparison.Ordinal);
    }

    [Fact]
    public void EncryptionTransform_AesWithoutKeyLength_IsNotFound()
    {
        // RFC 7296 3.3.5: AES is variable-length and must carry the Key Length attribute.
        Assert.Null(EncryptionTransform.Find((ushort)EncryptionAlgorithm.AesCbc, null));
        Assert.Null(EncryptionTransform.Find((ushort)EncryptionAlgorithm.ChaCha20Poly1305, 256));
        Assert.NotNull(EncryptionTransform.Find((ushort)EncryptionAlgorithm.AesGcm16, 192));
    }

    /// <summary>A peer's offer may name any transform: formatting it for a log line or NO_PROPOSAL_CHOSEN never throws.</summary>
    [Fact]
    public void Format_AnyTransformIdOfAnyType_NeverThrows()
    {
        foreach (var type in new[] { TransformType.Encryption, TransformType.Prf, TransformType.Integrity, TransformType.KeyExchange, TransformType.SequenceNumbers, (TransformType)6, (TransformType)255 })
        {
            for (var id = 0; id <= ushort.MaxValue; id += id < 300 ? 1 : 997)
            {
                foreach (var keyLength in new ushort?[] { null, 128 })
                {
                    foreach (var protocol in new[] { ProtocolId.Ike, ProtocolId.Esp })
                    {
                        Assert.NotNull(ProposalKeywords.Format(new Proposal(1, protocol, [], [new Transform(type, (ushort)id, keyLength)])));
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData((ushort)1, "integrity1")]
    [InlineData((ushort)5, "integrity5")]
    public void Format_IntegrityWithoutAKeyword_WritesItsNumber(ushort id, string expected)
    {
        var proposal = new Proposal(1, ProtocolId.Ike, [], [
            new Transform(TransformType.Encryption, (ushort)EncryptionAlgorithm.AesCbc, 128),
            new Transform(TransformType.Integrity, id),
            new Transform(TransformType.Prf, (ushort)PrfAlgorithm.HmacSha1),
            new Transform(TransformType.KeyExchange, (ushort)KeyExchangeMethod.Modp1024)]);
        Assert.Equal($"aes128-{expected}-prfsha1-modp1024", ProposalKeywords.Format(proposal));
    }
}
