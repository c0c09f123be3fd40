using System.Buffers.Binary;
using System.Globalization;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Tests.Vectors;

namespace S2SEndpoint.Ike.Tests.Crypto;

/// <summary>
/// The IKEv2 key derivation against NIST's SP 800-135 IKEv2 KDF vectors (CAVS/ACVP, see
/// Vectors/KexVectorsREADME.md): SKEYSEED, DKM = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr), the Child SA
/// KEYMAT with and without PFS, and the rekeyed SKEYSEED. strongSwan's own keys are checked in
/// GoldenTests/StrongSwanGoldenTests.
/// </summary>
public sealed class KeyScheduleTests
{
    private static Prf? PrfFor(string hash) => hash switch
    {
        "SHA-1" => Prf.HmacSha1,
        "SHA-256" => Prf.HmacSha256,
        "SHA-384" => Prf.HmacSha384,
        "SHA-512" => Prf.HmacSha512,
        _ => null, // SHA-224 has no IKEv2 PRF transform.
    };

    public static TheoryData<IkeKdfVector> Vectors =>
        new(IkeKdfVectors.Vectors.Where(v => PrfFor(v.Hash) is not null));

    public static TheoryData<IkeKdfVector> CompleteVectors =>
        new(IkeKdfVectors.Vectors.Where(v => PrfFor(v.Hash) is not null && v.ChildDkm is not null && v.ChildDhDkm is not null));

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Skeyseed_Nist80035Vector_Matches(IkeKdfVector v)
    {
        var prf = PrfFor(v.Hash)!;
        var skeyseed = IkeKeys.ComputeSkeyseed(prf, Hex(v.Ni), Hex(v.Nr), Hex(v.Gir));
        Assert.Equal(v.Skeyseed, Convert.ToHexString(skeyseed), ignoreCase: true);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Dkm_Nist80035Vector_IsPrfPlusOfSkeyseedAndTheSevenKeysAreItsPrefix(IkeKdfVector v)
    {
        var prf = PrfFor(v.Hash)!;
        var seed = (byte[])[.. Hex(v.Ni), .. Hex(v.Nr), .. Hex(v.SpiI), .. Hex(v.SpiR)];
        var dkm = prf.PrfPlus(Hex(v.Skeyseed), seed, int.Parse(v.DkmLengthBytes, CultureInfo.InvariantCulture));
        Assert.Equal(v.Dkm, Convert.ToHexString(dkm), ignoreCase: true);

        // IkeKeys.Derive cuts SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr from the same stream.
        var suite = new IkeSuite(EncryptionTransform.AesCbc(128), prf, Integrity.HmacSha1_96, KeyExchangeMethod.Modp2048);
        using var keys = IkeKeys.Derive(suite, Hex(v.Skeyseed), Hex(v.Ni), Hex(v.Nr),
            BinaryPrimitives.ReadUInt64BigEndian(Hex(v.SpiI)), BinaryPrimitives.ReadUInt64BigEndian(Hex(v.SpiR)));
        var joined = (byte[])[.. keys.SkD, .. keys.SkAi, .. keys.SkAr, .. keys.SkEi, .. keys.SkEr, .. keys.SkPi, .. keys.SkPr];
        var known = Math.Min(joined.Length, dkm.Length);
        Assert.Equal(dkm[..known], joined[..known]);
    }

    [Theory]
    [MemberData(nameof(CompleteVectors))]
    public void ChildKeymat_Nist80035Vector_WithAndWithoutPfs(IkeKdfVector v)
    {
        var prf = PrfFor(v.Hash)!;
        var skD = Hex(v.Dkm)[..prf.KeySize];
        var length = int.Parse(v.ChildDkmLengthBytes!, CultureInfo.InvariantCulture);
        var plain = prf.PrfPlus(skD, [.. Hex(v.Ni), .. Hex(v.Nr)], length);
        var pfs = prf.PrfPlus(skD, [.. Hex(v.GirNew), .. Hex(v.Ni), .. Hex(v.Nr)], length);
        Assert.Equal(v.ChildDkm, Convert.ToHexString(plain), ignoreCase: true);
        Assert.Equal(v.ChildDhDkm, Convert.ToHexString(pfs), ignoreCase: true);

        // ChildKeys.Derive takes its four keys from the front of the same KEYMAT, initiator's first.
        var suite = new ChildSuite(EncryptionTransform.AesCbc(128), Integrity.HmacSha1_96, KeyExchangeMethod.None, false);
        using var keys = ChildKeys.Derive(prf, skD, suite, Hex(v.GirNew), Hex(v.Ni), Hex(v.Nr));
        var joined = (byte[])[.. keys.EncryptionInitiatorToResponder, .. keys.IntegrityInitiatorToResponder, .. keys.EncryptionResponderToInitiator, .. keys.IntegrityResponderToInitiator];
        var known = Math.Min(joined.Length, pfs.Length);
        Assert.Equal(pfs[..known], joined[..known]);
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void RekeySkeyseed_Nist80035Vector_Matches(IkeKdfVector v)
    {
        var prf = PrfFor(v.Hash)!;
        var skD = Hex(v.Dkm)[..prf.KeySize];
        var skeyseed = IkeKeys.ComputeRekeySkeyseed(prf, skD, Hex(v.GirNew), Hex(v.Ni), Hex(v.Nr));
        Assert.Equal(v.SkeyseedRekey, Convert.ToHexString(skeyseed), ignoreCase: true);
    }

    [Fact]
    public void IkeKeys_AeadSuite_HasNoIntegrityKeysAndSaltedEncryptionKeys()
    {
        // RFC 5282 7.1: with AES-GCM, SK_ai/SK_ar are empty and SK_ei/SK_er carry key | 4-octet salt.
        var suite = new IkeSuite(EncryptionTransform.AesGcm16(256), Prf.HmacSha384, null, KeyExchangeMethod.Ecp384);
        using var keys = IkeKeys.Derive(suite, new byte[48], new byte[32], new byte[32], 1, 2);
        Assert.Empty(keys.SkAi);
        Assert.Empty(keys.SkAr);
        Assert.Equal(36, keys.SkEi.Length);
        Assert.Equal(48, keys.SkPi.Length);
    }

    private static byte[] Hex(string hex) => Convert.FromHexString(hex);
}
