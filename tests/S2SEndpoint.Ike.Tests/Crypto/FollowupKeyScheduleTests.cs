using System.Buffers.Binary;
using System.Security.Cryptography;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Tests.Crypto;

/// <summary>
/// The keys after additional key exchanges in IKE_FOLLOWUP_KE (RFC 9370 2.2.4), against the RFC formulas written out with
/// .NET's HMAC (the order strongSwan's keymat_v2.c uses too: the first secret, the nonces, then the additional secrets):
///   KEYMAT = prf+(SK_d, SK(0) | Ni | Nr | SK(1) | ... | SK(n))
///   SKEYSEED = prf(SK_d (old), SK(0) | Ni | Nr | SK(1) | ... | SK(n))
/// with prf+ of RFC 7296 2.13.
/// </summary>
public sealed class FollowupKeyScheduleTests
{
    private static readonly byte[] Ni = Convert.FromHexString("0102030405060708090a0b0c0d0e0f10");
    private static readonly byte[] Nr = Convert.FromHexString("a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4");
    private static readonly byte[] SkD = Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    private static readonly byte[] Sk0 = Enumerable.Repeat((byte)0x11, 32).ToArray();
    private static readonly byte[] Sk1 = Enumerable.Repeat((byte)0x22, 48).ToArray();
    private static readonly byte[] Sk2 = Enumerable.Repeat((byte)0x33, 32).ToArray();

    [Fact]
    public void ChildKeymat_TwoAdditionalKeyExchanges_MatchesTheRfc9370Formula()
    {
        Assert.True(ProposalKeywords.TryParse("aes256gcm16-x25519-ke1_ecp384-ke2_mlkem768", ProtocolId.Esp, out var proposal, out var error), error);
        Assert.True(ChildSuite.TryFromProposal(proposal, out var suite, out error), error);
        using var keys = ChildKeys.Derive(Prf.HmacSha256, SkD, suite, Sk0, Ni, Nr, [.. Sk1, .. Sk2]);

        // AES-256-GCM: 32 octets of key and 4 of salt each way, no integrity key.
        var keymat = ReferencePrf.PrfPlus(SkD, [.. Sk0, .. Ni, .. Nr, .. Sk1, .. Sk2], 2 * 36);
        Assert.Equal(keymat[..36], keys.EncryptionInitiatorToResponder);
        Assert.Equal(keymat[36..72], keys.EncryptionResponderToInitiator);
        Assert.Empty(keys.IntegrityInitiatorToResponder);
    }

    [Fact]
    public void ChildKeymat_NoAdditionalKeyExchange_IsTheRfc7296Formula()
    {
        Assert.True(ProposalKeywords.TryParse("aes128-sha256-modp2048", ProtocolId.Esp, out var proposal, out var error), error);
        Assert.True(ChildSuite.TryFromProposal(proposal, out var suite, out error), error);
        using var keys = ChildKeys.Derive(Prf.HmacSha256, SkD, suite, Sk0, Ni, Nr);
        var keymat = ReferencePrf.PrfPlus(SkD, [.. Sk0, .. Ni, .. Nr], 2 * (16 + 32));
        Assert.Equal(keymat[..16], keys.EncryptionInitiatorToResponder);
        Assert.Equal(keymat[16..48], keys.IntegrityInitiatorToResponder);
        Assert.Equal(keymat[48..64], keys.EncryptionResponderToInitiator);
        Assert.Equal(keymat[64..96], keys.IntegrityResponderToInitiator);
    }

    [Fact]
    public void IkeRekeySkeyseed_TwoAdditionalKeyExchanges_MatchesTheRfc9370Formula()
    {
        var skeyseed = IkeKeys.ComputeRekeySkeyseed(Prf.HmacSha256, SkD, Sk0, Ni, Nr, [.. Sk1, .. Sk2]);
        Assert.Equal(ReferencePrf.HmacSha256(SkD, [.. Sk0, .. Ni, .. Nr, .. Sk1, .. Sk2]), skeyseed);

        // The new SA's keys follow from SKEYSEED as after any IKE SA rekey (RFC 7296 2.18).
        Assert.True(ProposalKeywords.TryParse("aes256-sha256-x25519-ke1_ecp384-ke2_mlkem768", ProtocolId.Ike, out var proposal, out var error), error);
        Assert.True(IkeSuite.TryFromProposal(proposal, out var suite, out error), error);
        const ulong spiI = 0x0102030405060708, spiR = 0x1112131415161718;
        using var keys = IkeKeys.Derive(suite, skeyseed, Ni, Nr, spiI, spiR);
        var spis = new byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(spis, spiI);
        BinaryPrimitives.WriteUInt64BigEndian(spis.AsSpan(8), spiR);
        var stream = ReferencePrf.PrfPlus(skeyseed, [.. Ni, .. Nr, .. spis], 7 * 32);
        Assert.Equal(stream[..32], keys.SkD);
        Assert.Equal(stream[96..128], keys.SkEi);
    }
}
