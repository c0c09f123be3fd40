using System.Buffers.Binary;
using System.Security.Cryptography;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Tests.Crypto;

/// <summary>
/// The key update after each additional key exchange (RFC 9370 2.2.2) and the IntAuth of IKE_INTERMEDIATE messages
/// (RFC 9242 3.3), against the RFC formulas written out with .NET's HMAC: SKEYSEED(n) = prf(SK_d(n-1), SK(n) | Ni | Nr),
/// the seven keys = prf+(SKEYSEED(n), Ni | Nr | SPIi | SPIr), prf+ of RFC 7296 2.13.
/// </summary>
public sealed class IntermediateKeyScheduleTests
{
    private static readonly byte[] Ni = Convert.FromHexString("0102030405060708090a0b0c0d0e0f10");
    private static readonly byte[] Nr = Convert.FromHexString("a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4");
    private const ulong SpiI = 0x1122334455667788;
    private const ulong SpiR = 0x99aabbccddeeff00;

    [Fact]
    public void KeyUpdate_TwoAdditionalExchanges_MatchesTheRfc9370Formula()
    {
        Assert.True(ProposalKeywords.TryParse("aes256-sha256-x25519-ke1_mlkem768-ke2_ecp384", ProtocolId.Ike, out var proposal, out var error), error);
        Assert.True(IkeSuite.TryFromProposal(proposal, out var suite, out error), error);
        var spis = new byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(spis, SpiI);
        BinaryPrimitives.WriteUInt64BigEndian(spis.AsSpan(8), SpiR);
        byte[] seed = [.. Ni, .. Nr, .. spis];
        var gir = Convert.FromHexString("4f6e6520736861726564207365637265742066726f6d20783235353139212121");

        // IKE_SA_INIT: SKEYSEED = prf(Ni | Nr, g^ir).
        var keys = IkeKeys.Derive(suite, IkeKeys.ComputeSkeyseed(suite.Prf, Ni, Nr, gir), Ni, Nr, SpiI, SpiR);
        var skD = ReferencePrf.PrfPlus(ReferencePrf.HmacSha256([.. Ni, .. Nr], gir), seed, 32);
        Assert.Equal(skD, keys.SkD);

        foreach (var secretByte in new byte[] { 0x5a, 0xc3 })
        {
            var secret = Enumerable.Repeat(secretByte, 32).ToArray();
            var skeyseed = IkeKeys.ComputeRekeySkeyseed(suite.Prf, keys.SkD, secret, Ni, Nr);
            var expectedSkeyseed = ReferencePrf.HmacSha256(skD, [.. secret, .. Ni, .. Nr]);
            Assert.Equal(expectedSkeyseed, skeyseed);
            keys = IkeKeys.Derive(suite, skeyseed, Ni, Nr, SpiI, SpiR);
            // SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr: 32 each for HMAC-SHA-256, SHA-256-128 and AES-256-CBC.
            var stream = ReferencePrf.PrfPlus(expectedSkeyseed, seed, 7 * 32);
            Assert.Equal(stream[..32], keys.SkD);
            Assert.Equal(stream[32..64], keys.SkAi);
            Assert.Equal(stream[64..96], keys.SkAr);
            Assert.Equal(stream[96..128], keys.SkEi);
            Assert.Equal(stream[128..160], keys.SkEr);
            Assert.Equal(stream[160..192], keys.SkPi);
            Assert.Equal(stream[192..224], keys.SkPr);
            skD = stream[..32];
        }
    }

    [Fact]
    public void IntAuthData_IsHeaderAndSkHeaderAsIfUnencryptedThenInnerPayloads()
    {
        var header = new IkeHeader(SpiI, SpiR, PayloadType.EncryptedFragment, ExchangeType.IkeIntermediate, HeaderFlags.Initiator, 1, 999);
        var inner = Convert.FromHexString("00000008001f0000aabbccdd");
        var data = IntermediateAuth.Data(header, PayloadType.KeyExchange, inner);

        // RFC 9242 3.3.1 figure: the IKE header with Next Payload SK (46) and Length 28 + 4 + |P|, then SK's
        // generic header with the first inner payload and Length 4 + |P|, then P.
        Assert.Equal(Convert.FromHexString(
            "1122334455667788" + "99aabbccddeeff00" + "2e" + "20" + "2b" + "08" + "00000001" + "0000002c" +
            "22" + "00" + "0010" + "00000008001f0000aabbccdd"), data);
    }

    [Fact]
    public void IntAuthChain_IsPrfOfThePreviousLinkAndTheMessage()
    {
        var skP = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var m1 = Convert.FromHexString("0102");
        var m2 = Convert.FromHexString("030405");
        var first = IntermediateAuth.Next(Prf.HmacSha256, skP, [], m1);
        Assert.Equal(ReferencePrf.HmacSha256(skP, m1), first);
        Assert.Equal(ReferencePrf.HmacSha256(skP, [.. first, .. m2]), IntermediateAuth.Next(Prf.HmacSha256, skP, first, m2));
    }

    [Fact]
    public void IntAuthForAuth_IsIntAuthIThenIntAuthRThenTheAuthMessageId()
    {
        Assert.Empty(IntermediateAuth.ForAuth([], [], 1));
        Assert.Equal(Convert.FromHexString("aaaa" + "bbbb" + "00000003"), IntermediateAuth.ForAuth([0xaa, 0xaa], [0xbb, 0xbb], 3));
    }

    [Fact]
    public void PskSignedOctets_WithIntAuth_AppendsItAfterTheMacedId()
    {
        var prf = Prf.HmacSha256;
        var skP = new byte[32];
        var without = PskAuthentication.SignedOctets(prf, [1, 2], [3], skP, [4]);
        var with = PskAuthentication.SignedOctets(prf, [1, 2], [3], skP, [4], [9, 9, 9]);
        Assert.Equal([.. without, 9, 9, 9], with);
    }
}
