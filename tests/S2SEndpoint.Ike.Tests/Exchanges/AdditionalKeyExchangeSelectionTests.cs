using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Exchanges;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Tests.Exchanges;

/// <summary>Proposal selection with RFC 9370's additional key exchanges (ADDKE1 to ADDKE7), NONE making one optional.</summary>
public sealed class AdditionalKeyExchangeSelectionTests
{
    private static IReadOnlyList<Proposal> Ike(string keywords)
    {
        Assert.True(ProposalKeywords.TryParseList(keywords, ProtocolId.Ike, out var list, out var error), error);
        return list;
    }

    [Theory]
    // Both sides the same: the hybrid proposal.
    [InlineData("aes256gcm16-prfsha384-x25519-ke1_mlkem768", "aes256gcm16-prfsha384-x25519-ke1_mlkem768", "aes256gcm16-prfsha384-x25519-ke1_mlkem768")]
    // Our configured order wins within a type.
    [InlineData("aes256gcm16-prfsha384-x25519-ke1_mlkem1024-ke1_mlkem768", "aes256gcm16-prfsha384-x25519-ke1_mlkem768-ke1_mlkem1024", "aes256gcm16-prfsha384-x25519-ke1_mlkem1024")]
    // The peer's ADDKE1 is optional and we configured none: chosen without it.
    [InlineData("aes256gcm16-prfsha384-x25519", "aes256gcm16-prfsha384-x25519-ke1_mlkem768-ke1_none", "aes256gcm16-prfsha384-x25519")]
    // Our ADDKE1 is optional and the peer offers none.
    [InlineData("aes256gcm16-prfsha384-x25519-ke1_mlkem768-ke1_none", "aes256gcm16-prfsha384-x25519", "aes256gcm16-prfsha384-x25519")]
    // Both list NONE first on our side: NONE is chosen and left out.
    [InlineData("aes256gcm16-prfsha384-x25519-ke1_none-ke1_mlkem768", "aes256gcm16-prfsha384-x25519-ke1_mlkem768-ke1_none", "aes256gcm16-prfsha384-x25519")]
    // Several.
    [InlineData("aes256-sha256-x25519-ke1_ecp384-ke2_mlkem1024", "aes256-sha256-x25519-ke1_ecp384-ke2_mlkem1024", "aes256-sha256-x25519-ke1_ecp384-ke2_mlkem1024")]
    // A method is used once: x25519 as ADDKE1 after x25519 as KE is skipped for the next one.
    [InlineData("aes256-sha256-x25519-ke1_x25519-ke1_ecp256", "aes256-sha256-x25519-ke1_x25519-ke1_ecp256", "aes256-sha256-x25519-ke1_ecp256")]
    public void Select_AdditionalKeyExchanges_MatchLikeOtherTypesWithNoneOptional(string configured, string offered, string expected)
    {
        var chosen = ProposalSelection.Select(Ike(configured), Ike(offered), []);
        Assert.NotNull(chosen);
        Assert.Equal(expected, ProposalKeywords.Format(chosen));
        Assert.NotNull(ProposalSelection.MatchChoice(Ike(offered), chosen));
        Assert.True(IkeSuite.TryFromProposal(chosen, out _, out var error), error);
    }

    [Theory]
    // The peer requires ADDKE1 and we have none.
    [InlineData("aes256gcm16-prfsha384-x25519", "aes256gcm16-prfsha384-x25519-ke1_mlkem768")]
    // We require ADDKE1 and the peer has none.
    [InlineData("aes256gcm16-prfsha384-x25519-ke1_mlkem768", "aes256gcm16-prfsha384-x25519")]
    // Different methods.
    [InlineData("aes256gcm16-prfsha384-x25519-ke1_mlkem768", "aes256gcm16-prfsha384-x25519-ke1_mlkem1024")]
    // Same methods under different types.
    [InlineData("aes256gcm16-prfsha384-x25519-ke1_mlkem768", "aes256gcm16-prfsha384-x25519-ke2_mlkem768")]
    public void Select_AdditionalKeyExchangeMismatch_ChoosesNothing(string configured, string offered) =>
        Assert.Null(ProposalSelection.Select(Ike(configured), Ike(offered), []));

    [Fact]
    public void MatchChoice_ResponderDropsARequiredAdditionalKeyExchange_IsRefused()
    {
        var offered = Ike("aes256gcm16-prfsha384-x25519-ke1_mlkem768");
        Assert.Null(ProposalSelection.MatchChoice(offered, Ike("aes256gcm16-prfsha384-x25519")[0]));
        Assert.Null(ProposalSelection.MatchChoice(offered, Ike("aes256gcm16-prfsha384-x25519-ke1_mlkem1024")[0]));
    }

    [Fact]
    public void AdditionalKeyExchanges_InTypeOrderWithoutNone()
    {
        var p = Ike("aes256-sha256-x25519-ke3_mlkem512-ke1_ecp384-ke2_none")[0];
        Assert.Equal([KeyExchangeMethod.Ecp384, KeyExchangeMethod.MlKem512], ProposalSelection.AdditionalKeyExchanges(p));
        Assert.True(ProposalSelection.HasAdditionalKeyExchanges(p));
        Assert.Equal("aes256-sha256-x25519", ProposalKeywords.Format(ProposalSelection.WithoutAdditionalKeyExchanges(p)));
    }

    [Fact]
    public void ChildSuite_AdditionalKeyExchange_IsAccepted()
    {
        Assert.True(ProposalKeywords.TryParse("aes256gcm16-x25519-ke1_mlkem768", ProtocolId.Esp, out var p, out var error), error);
        Assert.True(ChildSuite.TryFromProposal(p, out var suite, out error), error);
        Assert.Equal(KeyExchangeMethod.Curve25519, suite.KeyExchange);
    }

    [Fact]
    public void ChildSuite_AdditionalKeyExchangeWithoutAFirstOne_IsRefusedCleanly()
    {
        Assert.True(ProposalKeywords.TryParse("aes256gcm16-x25519-ke1_mlkem768", ProtocolId.Esp, out var p, out var error), error);
        // A peer's proposal, which no keywords spell: ADDKE1 without a first key exchange.
        p = new Proposal(p.Number, p.Protocol, p.Spi, [.. p.Transforms.Where(t => t.Type != TransformType.KeyExchange)]);
        Assert.False(ChildSuite.TryFromProposal(p, out _, out error));
        Assert.Contains("first key exchange", error, StringComparison.Ordinal);
    }
}
