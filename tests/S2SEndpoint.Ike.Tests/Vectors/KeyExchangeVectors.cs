// Published known-answer vectors for IKEv2 key exchange (KE payload / D-H) implementations.
//
// Documents:
//   RFC 5903  Elliptic Curve Groups modulo a Prime (ECP Groups) for IKE and IKEv2
//             (D. Fu, J. Solinas, June 2010), section 8 "Test Vectors": 8.1 256-bit
//             (group 19), 8.2 384-bit (group 20), 8.3 521-bit (group 21) random ECP
//             groups, including the KEi/KEr payloads printed there. The shared secret
//             is the x coordinate of g^ir only (RFC 5903 section 7 "ECP Key Exchange
//             Data Formats"; section 9 lists it as the change from RFC 4753).
//   RFC 7748  Elliptic Curves for Security (A. Langley, M. Hamburg, S. Turner, January
//             2016): 5.2 test vectors (X25519, X448, incl. iterated), 6.1 Curve25519 and
//             6.2 Curve448 Diffie-Hellman.
//   RFC 2409  The Internet Key Exchange (IKE), 6.2 Second Oakley Group (IKE group 2).
//   RFC 3526  More MODP Diffie-Hellman groups for IKE, sections 2-5 (groups 5, 14, 15, 16).
//   RFC 5114  Additional Diffie-Hellman Groups for Use with IETF Standards, 2.3 (group 24).
//
// Hex is as printed in the documents with the spaces removed (case kept as published).
// See KexVectorsREADME.md for where each value was read and how it was verified.

namespace S2SEndpoint.Ike.Tests.Vectors;

/// <summary>Published key-exchange known-answer vectors (RFC 5903, RFC 7748) and MODP group constants.</summary>
public static class KeyExchangeVectors
{
    /// <summary>
    /// RFC 5903 section 8 ECP test vectors. Columns: source, IKE group number, initiator private i,
    /// initiator KE data g^i (gix || giy, each the full field length), responder private r,
    /// responder KE data g^r (grx || gry), shared secret (girx, the x coordinate of g^ir only).
    /// </summary>
    public static TheoryData<string, string, string, string, string, string, string> Rfc5903 => new()
    {
        {
            "RFC 5903 section 8.1 (256-bit random ECP group, IKE group 19)",
            "19",
            "C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433",
            "DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C37725811805271A0461CDB8252D61F1C456FA3E59A"
            + "B1F45B33ACCF5F58389E0577B8990BB3",
            "C6EF9C5D78AE012A011164ACB397CE2088685D8F06BF9BE0B283AB46476BEE53",
            "D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF6356FBF3CA366CC23E8157854C13C58D6A"
            + "AC23F046ADA30F8353E74F33039872AB",
            "D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE"
        },
        {
            "RFC 5903 section 8.2 (384-bit random ECP group, IKE group 20)",
            "20",
            "099F3C7034D4A2C699884D73A375A67F7624EF7C6B3C0F160647B67414DCE655E35B538041E649EE3FAEF896783AB194",
            "667842D7D180AC2CDE6F74F37551F55755C7645C20EF73E31634FE72B4C55EE6DE3AC808ACB4BDB4C88732AEE95F41AA"
            + "9482ED1FC0EEB9CAFC4984625CCFC23F65032149E0E144ADA024181535A0F38EEB9FCFF3C2C947DAE69B4C634573A81C",
            "41CB0779B4BDB85D47846725FBEC3C9430FAB46CC8DC5060855CC9BDA0AA2942E0308312916B8ED2960E4BD55A7448FC",
            "E558DBEF53EECDE3D3FCCFC1AEA08A89A987475D12FD950D83CFA41732BC509D0D1AC43A0336DEF96FDA41D0774A3571"
            + "DCFBEC7AACF3196472169E838430367F66EEBE3C6E70C416DD5F0C68759DD1FFF83FA40142209DFF5EAAD96DB9E6386C",
            "11187331C279962D93D604243FD592CB9D0A926F422E47187521287E7156C5C4D603135569B9E9D09CF5D4A270F59746"
        },
        {
            "RFC 5903 section 8.3 (521-bit random ECP group, IKE group 21)",
            "21",
            "0037ADE9319A89F4DABDB3EF411AACCCA5123C61ACAB57B5393DCE47608172A095AA85A30FE1C2952C6771D937BA9777"
            + "F5957B2639BAB072462F68C27A57382D4A52",
            "0015417E84DBF28C0AD3C278713349DC7DF153C897A1891BD98BAB4357C9ECBEE1E3BF42E00B8E380AEAE57C2D107564"
            + "941885942AF5A7F4601723C4195D176CED3E017CAE20B6641D2EEB695786D8C946146239D099E18E1D5A514C739D7CB4"
            + "A10AD8A788015AC405D7799DC75E7B7D5B6CF2261A6A7F1507438BF01BEB6CA3926F9582",
            "0145BA99A847AF43793FDD0E872E7CDFA16BE30FDC780F97BCCC3F078380201E9C677D600B343757A3BDBF2A3163E4C2"
            + "F869CCA7458AA4A4EFFC311F5CB151685EB9",
            "00D0B3975AC4B799F5BEA16D5E13E9AF971D5E9B984C9F39728B5E5739735A219B97C356436ADC6E95BB0352F6BE64A6"
            + "C2912D4EF2D0433CED2B6171640012D9460F015C68226383956E3BD066E797B623C27CE0EAC2F551A10C2C724D985207"
            + "7B87220B6536C5C408A1D2AEBB8E86D678AE49CB57091F4732296579AB44FCD17F0FC56A",
            "01144C7D79AE6956BC8EDB8E7C787C4521CB086FA64407F97894E5E6B2D79B04D1427E73CA4BAA240A34786859810C06"
            + "B3C715A3A8CC3151F2BEE417996D19F3DDEA"
        },
    };

    /// <summary>
    /// The y coordinate of g^ir printed next to girx in RFC 5903 section 8 (not part of the shared
    /// secret; useful for checking full point arithmetic). Columns: source, group, giry.
    /// </summary>
    public static TheoryData<string, string, string> Rfc5903SharedPointY => new()
    {
        {
            "RFC 5903 section 8.1 giry",
            "19",
            "522BDE0AF0D8585B8DEF9C183B5AE38F50235206A8674ECB5D98EDB20EB153A2"
        },
        {
            "RFC 5903 section 8.2 giry",
            "20",
            "A2A9F38EF5CAFBE2347CF7EC24BDD5E624BC93BFA82771F40D1B65D06256A852C983135D4669F8792F2C1D55718AFBB4"
        },
        {
            "RFC 5903 section 8.3 giry",
            "21",
            "01B901E6B17DB2947AC017D853EF1C1674E5CFE59CDA18D078E05D1B5242ADAA9FFC3C63EA05EDB1E13CE5B3A8E50C3E"
            + "B622E8DA1B38E0BDD1F88569D6C99BAFFA43"
        },
    };

    /// <summary>
    /// The complete IKEv2 Key Exchange payloads (generic payload header, D-H group number,
    /// RESERVED, key exchange data) printed in RFC 5903 section 8. Columns: source, group,
    /// KEi payload bytes, KEr payload bytes. The group 21 KEr payload is printed with a lower-case
    /// "0000008c" length word in the RFC; it is kept verbatim, so compare hex case-insensitively.
    /// </summary>
    public static TheoryData<string, string, string, string> Rfc5903KePayloads => new()
    {
        {
            "RFC 5903 section 8.1 KEi/KEr payloads",
            "19",
            "0000004800130000DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C37725811805271A0461CDB8252"
            + "D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3",
            "0000004800130000D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF6356FBF3CA366CC23E"
            + "8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB"
        },
        {
            "RFC 5903 section 8.2 KEi/KEr payloads",
            "20",
            "0000006800140000667842D7D180AC2CDE6F74F37551F55755C7645C20EF73E31634FE72B4C55EE6DE3AC808ACB4BDB4"
            + "C88732AEE95F41AA9482ED1FC0EEB9CAFC4984625CCFC23F65032149E0E144ADA024181535A0F38EEB9FCFF3C2C947DA"
            + "E69B4C634573A81C",
            "0000006800140000E558DBEF53EECDE3D3FCCFC1AEA08A89A987475D12FD950D83CFA41732BC509D0D1AC43A0336DEF9"
            + "6FDA41D0774A3571DCFBEC7AACF3196472169E838430367F66EEBE3C6E70C416DD5F0C68759DD1FFF83FA40142209DFF"
            + "5EAAD96DB9E6386C"
        },
        {
            "RFC 5903 section 8.3 KEi/KEr payloads",
            "21",
            "0000008C001500000015417E84DBF28C0AD3C278713349DC7DF153C897A1891BD98BAB4357C9ECBEE1E3BF42E00B8E38"
            + "0AEAE57C2D107564941885942AF5A7F4601723C4195D176CED3E017CAE20B6641D2EEB695786D8C946146239D099E18E"
            + "1D5A514C739D7CB4A10AD8A788015AC405D7799DC75E7B7D5B6CF2261A6A7F1507438BF01BEB6CA3926F9582",
            "0000008c0015000000D0B3975AC4B799F5BEA16D5E13E9AF971D5E9B984C9F39728B5E5739735A219B97C356436ADC6E"
            + "95BB0352F6BE64A6C2912D4EF2D0433CED2B6171640012D9460F015C68226383956E3BD066E797B623C27CE0EAC2F551"
            + "A10C2C724D9852077B87220B6536C5C408A1D2AEBB8E86D678AE49CB57091F4732296579AB44FCD17F0FC56A"
        },
    };

    /// <summary>
    /// RFC 7748 section 5.2 X25519 single-step vectors. Columns: source, input scalar,
    /// input u-coordinate, output u-coordinate (all 32-byte little-endian strings as printed).
    /// The second vector's u-coordinate has its top bit set: it must be masked (RFC 7748 section 5).
    /// </summary>
    public static TheoryData<string, string, string, string> Rfc7748X25519 => new()
    {
        {
            "RFC 7748 section 5.2 X25519 vector 1",
            "a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
            "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
            "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"
        },
        {
            "RFC 7748 section 5.2 X25519 vector 2",
            "4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
            "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
            "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"
        },
    };

    /// <summary>
    /// RFC 7748 section 5.2 iterated X25519: k = u = 0900..00; each iteration sets k to X25519(k, u)
    /// and u to the old k. Columns: source, iterations, final k. The 1,000,000-iteration result is in
    /// <see cref="Rfc7748X25519IteratedMillion"/>.
    /// </summary>
    public static TheoryData<string, string, string> Rfc7748X25519Iterated => new()
    {
        {
            "RFC 7748 section 5.2 X25519 after 1 iteration",
            "1",
            "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079"
        },
        {
            "RFC 7748 section 5.2 X25519 after 1,000 iterations",
            "1000",
            "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51"
        },
    };

    /// <summary>
    /// RFC 7748 section 5.2 X25519 after 1,000,000 iterations. NOT TO BE RUN in the normal test
    /// suite (far too slow); kept for completeness and for an explicitly opted-in long test.
    /// </summary>
    public static TheoryData<string, string, string> Rfc7748X25519IteratedMillion => new()
    {
        {
            "RFC 7748 section 5.2 X25519 after 1,000,000 iterations (do not run in CI)",
            "1000000",
            "7c3911e0ab2586fd864497297e575e6f3bc601c0883c30df5f4dd2d24f665424"
        },
    };

    /// <summary>
    /// RFC 7748 section 6.1 Curve25519 Diffie-Hellman. Columns: source, Alice's private a,
    /// Alice's public X25519(a, 9), Bob's private b, Bob's public X25519(b, 9), shared secret K.
    /// </summary>
    public static TheoryData<string, string, string, string, string, string> Rfc7748X25519Dh => new()
    {
        {
            "RFC 7748 section 6.1 (Curve25519 Diffie-Hellman)",
            "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
            "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
            "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
            "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
            "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
        },
    };

    /// <summary>
    /// RFC 7748 section 5.2 X448 single-step vectors. Columns: source, input scalar,
    /// input u-coordinate, output u-coordinate (all 56-byte little-endian strings as printed).
    /// </summary>
    public static TheoryData<string, string, string, string> Rfc7748X448 => new()
    {
        {
            "RFC 7748 section 5.2 X448 vector 1",
            "3d262fddf9ec8e88495266fea19a34d28882acef045104d0d1aae121700a779c984c24f8cdd78fbff44943eba368f54b"
            + "29259a4f1c600ad3",
            "06fce640fa3487bfda5f6cf2d5263f8aad88334cbd07437f020f08f9814dc031ddbdc38c19c6da2583fa5429db94ada1"
            + "8aa7a7fb4ef8a086",
            "ce3e4ff95a60dc6697da1db1d85e6afbdf79b50a2412d7546d5f239fe14fbaadeb445fc66a01b0779d98223961111e21"
            + "766282f73dd96b6f"
        },
        {
            "RFC 7748 section 5.2 X448 vector 2",
            "203d494428b8399352665ddca42f9de8fef600908e0d461cb021f8c538345dd77c3e4806e25f46d3315c44e0a5b43712"
            + "82dd2c8d5be3095f",
            "0fbcc2f993cd56d3305b0b7d9e55d4c1a8fb5dbb52f8e9a1e9b6201b165d015894e56c4d3570bee52fe205e28a78b91c"
            + "dfbde71ce8d157db",
            "884a02576239ff7a2f2f63b2db6a9ff37047ac13568e1e30fe63c4a7ad1b3ee3a5700df34321d62077e63633c575c1c9"
            + "54514e99da7c179d"
        },
    };

    /// <summary>
    /// RFC 7748 section 5.2 iterated X448: k = u = 0500..00 (56 bytes). Columns: source, iterations,
    /// final k. The 1,000,000-iteration result is in <see cref="Rfc7748X448IteratedMillion"/>.
    /// </summary>
    public static TheoryData<string, string, string> Rfc7748X448Iterated => new()
    {
        {
            "RFC 7748 section 5.2 X448 after 1 iteration",
            "1",
            "3f482c8a9f19b01e6c46ee9711d9dc14fd4bf67af30765c2ae2b846a4d23a8cd0db897086239492caf350b51f833868b"
            + "9bc2b3bca9cf4113"
        },
        {
            "RFC 7748 section 5.2 X448 after 1,000 iterations",
            "1000",
            "aa3b4749d55b9daf1e5b00288826c467274ce3ebbdd5c17b975e09d4af6c67cf10d087202db88286e2b79fceea3ec353"
            + "ef54faa26e219f38"
        },
    };

    /// <summary>
    /// RFC 7748 section 5.2 X448 after 1,000,000 iterations. NOT TO BE RUN in the normal test suite.
    /// </summary>
    public static TheoryData<string, string, string> Rfc7748X448IteratedMillion => new()
    {
        {
            "RFC 7748 section 5.2 X448 after 1,000,000 iterations (do not run in CI)",
            "1000000",
            "077f453681caca3693198420bbe515cae0002472519b3e67661a7e89cab94695c8f4bcd66e61b9b9c946da8d524de3d6"
            + "9bd9d9d66b997e37"
        },
    };

    /// <summary>
    /// RFC 7748 section 6.2 Curve448 Diffie-Hellman. Columns: source, Alice's private a,
    /// Alice's public X448(a, 5), Bob's private b, Bob's public X448(b, 5), shared secret K.
    /// </summary>
    public static TheoryData<string, string, string, string, string, string> Rfc7748X448Dh => new()
    {
        {
            "RFC 7748 section 6.2 (Curve448 Diffie-Hellman)",
            "9a8f4925d1519f5775cf46b04b5800d4ee9ee8bae8bc5565d498c28dd9c9baf574a9419744897391006382a6f127ab1d"
            + "9ac2d8c0a598726b",
            "9b08f7cc31b7e3e67d22d5aea121074a273bd2b83de09c63faa73d2c22c5d9bbc836647241d953d40c5b12da88120d53"
            + "177f80e532c41fa0",
            "1c306a7ac2a0e2e0990b294470cba339e6453772b075811d8fad0d1d6927c120bb5ee8972b0d3e21374c9c921b09d1b0"
            + "366f10b65173992d",
            "3eb7a829b0cd20f5bcfc0b599b6feccf6da4627107bdb0d4f345b43027d8b972fc3e34fb4232a13ca706dcb57aec3dae"
            + "07bdc1c67bf33609",
            "07fff4181ac6cc95ec1c16a94a0f74d12da232ce40a77552281d282bb60c0b56fd2464c335543936521c24403085d59a"
            + "449a5037514a879d"
        },
    };

    /// <summary>
    /// MODP group constants exactly as printed in the RFCs (big-endian hex, spaces removed), so the
    /// project can test its own group tables against the published text. Groups 2, 5, 14, 15 and 16
    /// use generator 2 ("The generator is: 2." in RFC 2409 6.2 / RFC 3526).
    /// </summary>
    public static class ModpPrimes
    {
        /// <summary>RFC 2409 section 6.2, Second Oakley Group (1024-bit MODP, IKE group 2). 256 hex digits (128 bytes).</summary>
        public const string Group2P =
            "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
            + "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
            + "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
            + "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF";

        /// <summary>RFC 3526 section 2, 1536-bit MODP group (IKE group 5). 384 hex digits (192 bytes).</summary>
        public const string Group5P =
            "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
            + "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
            + "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
            + "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
            + "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
            + "9ED529077096966D670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF";

        /// <summary>RFC 3526 section 3, 2048-bit MODP group (IKE group 14). 512 hex digits (256 bytes).</summary>
        public const string Group14P =
            "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
            + "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
            + "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
            + "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
            + "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
            + "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
            + "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
            + "3995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF";

        /// <summary>RFC 3526 section 4, 3072-bit MODP group (IKE group 15). 768 hex digits (384 bytes).</summary>
        public const string Group15P =
            "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
            + "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
            + "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
            + "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
            + "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
            + "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
            + "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
            + "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33"
            + "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
            + "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
            + "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
            + "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF";

        /// <summary>RFC 3526 section 5, 4096-bit MODP group (IKE group 16). 1024 hex digits (512 bytes).</summary>
        public const string Group16P =
            "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
            + "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
            + "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
            + "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
            + "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
            + "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
            + "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
            + "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33"
            + "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
            + "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
            + "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
            + "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A92108011A723C12A787E6D7"
            + "88719A10BDBA5B2699C327186AF4E23C1A946834B6150BDA2583E9CA2AD44CE8"
            + "DBBBC2DB04DE8EF92E8EFC141FBECAA6287C59474E6BC05D99B2964FA090C3A2"
            + "233BA186515BE7ED1F612970CEE2D7AFB81BDD762170481CD0069127D5B05AA9"
            + "93B4EA988D8FDDC186FFB7DC90A6C08F4DF435C934063199FFFFFFFFFFFFFFFF";

        /// <summary>RFC 5114 section 2.3, 2048-bit MODP group with 256-bit prime order subgroup (IKE group 24): prime p. 512 hex digits (256 bytes).</summary>
        public const string Group24P =
            "87A8E61DB4B6663CFFBBD19C651959998CEEF608660DD0F25D2CEED4435E3B00"
            + "E00DF8F1D61957D4FAF7DF4561B2AA3016C3D91134096FAA3BF4296D830E9A7C"
            + "209E0C6497517ABD5A8A9D306BCF67ED91F9E6725B4758C022E0B1EF4275BF7B"
            + "6C5BFC11D45F9088B941F54EB1E59BB8BC39A0BF12307F5C4FDB70C581B23F76"
            + "B63ACAE1CAA6B7902D52526735488A0EF13C6D9A51BFA4AB3AD8347796524D8E"
            + "F6A167B5A41825D967E144E5140564251CCACB83E6B486F6B3CA3F7971506026"
            + "C0B857F689962856DED4010ABD0BE621C3A3960A54E710C375F26375D7014103"
            + "A4B54330C198AF126116D2276E11715F693877FAD7EF09CADB094AE91E1A1597";

        /// <summary>RFC 5114 section 2.3 (IKE group 24): generator g of the prime-order subgroup. 512 hex digits (256 bytes).</summary>
        public const string Group24G =
            "3FB32C9B73134D0B2E77506660EDBD484CA7B18F21EF205407F4793A1A0BA125"
            + "10DBC15077BE463FFF4FED4AAC0BB555BE3A6C1B0C6B47B1BC3773BF7E8C6F62"
            + "901228F8C28CBB18A55AE31341000A650196F931C77A57F2DDF463E5E9EC144B"
            + "777DE62AAAB8A8628AC376D282D6ED3864E67982428EBC831D14348F6F2F9193"
            + "B5045AF2767164E1DFC967C1FB3F2E55A4BD1BFFE83B9C80D052B985D182EA0A"
            + "DB2A3B7313D3FE14C8484B1E052588B9B7D2BBD2DF016199ECD06E1557CD0915"
            + "B3353BBB64E0EC377FD028370DF92B52C7891428CDC67EB6184B523D1DB246C3"
            + "2F63078490F00EF8D647D148D47954515E2327CFEF98C582664B4C0F6CC41659";

        /// <summary>RFC 5114 section 2.3 (IKE group 24): order q of the subgroup generated by g. 64 hex digits (32 bytes).</summary>
        public const string Group24Q =
            "8CF83642A709A097B447997640129DA299B1A47D1EB3750BA308B0FE64F5FBD3";
    }
}
