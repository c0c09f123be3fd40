// RFC 4106 (AES-GCM in ESP) packets: the test cases of D. McGrew, "Test Cases for the use of Galois/Counter Mode
// (GCM) and Galois Message Authentication Code (GMAC) in IPsec ESP", draft-mcgrew-gcm-test-01, March 2009,
// section 4 (AES-GCM). RFC 4106 itself prints no test vectors; this draft is the one published set of whole
// RFC 4106 packets, and its cases reuse the GCM specification's keys and IVs (case 2 and case 7 use the key of the
// GCM spec's Test Cases 3/4 and 9/10 and its IV cafebabe facedbad decaf888, split into salt and explicit IV).
//
// The draft text is stored only as a first page in the searchable corpora; the values were read from a Python
// test-case list labelled "Test cases from https://tools.ietf.org/id/draft-mcgrew-gcm-test-01.html#aes-gcm" that
// keeps the draft's order (search-index file id 42521951028), cross-checked with OpenDataPlane test_vectors.h
// (key_mcgrew_gcm_2/3/4/12 and their salts; packets agree up to the trailer, which ODP rewrote for tunnel mode),
// with test files quoting case 1 and case 3 "#section-4" (ids 35135243498, 2540497495, 36976826510) and case 7
// "case #7" (ids 111494026, 1779357488). Every row was recomputed with Python 'cryptography' 48 (AES-GCM over
// the plaintext with AAD = SPI | sequence number, nonce = salt | IV) and reproduces the packet exactly.
//
// Note: the draft's plaintexts end in Next Header 1, not 4 or 41; as tunnel-mode packets they authenticate and
// decrypt, and are then refused as BadNextHeader.

namespace S2SEndpoint.Esp.Tests.Vectors;

public static class GcmEspVectors
{
    /// <summary>
    /// Rows: (source, keyHex (cipher key only), saltHex, spiHex, sequenceHex (8 hex digits: 32-bit sequence number,
    /// 16: ESN), ivHex, plaintextHex (payload, padding, Pad Length, Next Header), packetHex (SPI .. ICV)).
    /// </summary>
    public static TheoryData<string, string, string, string, string, string, string, string> Packets => new()
    {
        // AES-128, ESN: AAD = SPI | high 32 | low 32 (12 octets); only the low half is in the packet
        {
            "draft-mcgrew-gcm-test-01 4 Test Case 1",
            "4c80cdefbb5d10da906ac73c3613a634",
            "2e443b68",
            "00004321",
            "8765432100000000",
            "4956ed7e3b244cfe",
            "45000048699a000080114db7c0a80102c0a801010a9bf15638d3010000010000" +
            "00000000045f736970045f756470037369700963796265726369747902646b00" +
            "0021000101020201",
            "00004321000000004956ed7e3b244cfefecf537e729d5b07dc30df528dd22b76" +
            "8d1b98736696a6fd348509fa13ceac34cfa2436f14a3f3cf65925bf1f4a13c5d" +
            "15b21e1884f5ff6247aeabb786b93bce61bc17d768fd9732459018148f6cbe72" +
            "2fd04796562dfdb4"
        },
        // AES-128, the GCM spec's Test Case 3/4 key; salt | IV = the spec's IV
        {
            "draft-mcgrew-gcm-test-01 4 Test Case 2",
            "feffe9928665731c6d6a8f9467308308",
            "cafebabe",
            "0000a5f8",
            "0000000a",
            "facedbaddecaf888",
            "4500003e698f000080114dccc0a80102c0a801010a980035002a2343b2d00100" +
            "0001000000000000037369700963796265726369747902646b00000100010001",
            "0000a5f80000000afacedbaddecaf888deb22cd9b07c72c16e3a65beeb8df304" +
            "a5a5897d33ae530f1ba76d5d114d2a5c3de81827c10e9a4f51330d0eec416642" +
            "cfbb85a5b47e48a4ec3b9ba95d918bd183b70d3aa8bc6ee4c309e9d85a41ad4a"
        },
        // AES-256
        {
            "draft-mcgrew-gcm-test-01 4 Test Case 3",
            "abbccddef00112233445566778899aababbccddef00112233445566778899aab",
            "11223344",
            "4a2cbfe3",
            "00000002",
            "0102030405060708",
            "4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee000000000" +
            "7002400020bf0000020405b40101040201020201",
            "4a2cbfe3000000020102030405060708ff425c9b724599df7a3bcd510194e00d" +
            "6a78107f1b0b1cbf06efae9d65a5d763748a637985771d347f0545659f14e99d" +
            "ef842d8eb335f4eecfdbf831824b4c4915956c96"
        },
        // AES-128, all-zero key, salt and IV (SPI 0: never valid on the wire, RFC 4303 2.1; transform-level only)
        {
            "draft-mcgrew-gcm-test-01 4 Test Case 4",
            "00000000000000000000000000000000",
            "00000000",
            "00000000",
            "00000001",
            "0000000000000000",
            "4500003c99c500008001cb7a40679318010101010800075c0200440061626364" +
            "65666768696a6b6c6d6e6f7071727374757677616263646566676869" +
            "01020201",
            "00000000000000010000000000000000" +
            "4688daf2f973a392732909c331d56d60f694abaa414b5e7ff5fdcdfff5e9a284" +
            "456476492719ffb64de7d9dca1e1d894bc3bd57873ed4d181d19d4d5c8c18af3" +
            "f821d496eeb096e98ad2b69e4799c71d"
        },
        // AES-192, the GCM spec's Test Case 9/10 key
        {
            "draft-mcgrew-gcm-test-01 4 Test Case 7",
            "feffe9928665731c6d6a8f9467308308feffe9928665731c",
            "cafebabe",
            "0000a5f8",
            "0000000a",
            "facedbaddecaf888",
            "45000028a4ad4000400678800a01038f0a010612802306b8cb712602dd6bb03e" +
            "501016d075680001",
            "0000a5f80000000afacedbaddecaf888a5b1f8066029aea40e598b8122de0242" +
            "0938b3ab33f828e687b8858b5bfbdbd0315b27452144cc7795457b9652037f53" +
            "18027b5b4cd7a636"
        },
        // AES-256, ESN
        {
            "draft-mcgrew-gcm-test-01 4 Test Case 9",
            "abbccddef00112233445566778899aababbccddef00112233445566778899aab",
            "73616c74",
            "17405e67",
            "156f3126dd0db99b",
            "616e640169766563",
            "45080028732c00004006e9f90a0106120a01038f06b88023dd6bafbecb712602" +
            "50101f646d540001",
            "17405e67dd0db99b616e640169766563f2d69ecdbd5a0d5b8d5ef38bad4da58d" +
            "1f278fde98ef67549d524a3018d9a57ff4d3a31ce673119e451626c2415771e3" +
            "b7eebca614c89b35"
        },
        // AES-128, the last 32-bit sequence number, a payload of padding and trailer only
        {
            "draft-mcgrew-gcm-test-01 4 Test Case 12",
            "7d773d00c144c525ac619d18c84a3f47",
            "d9664267",
            "335467ae",
            "ffffffff",
            "43457e9182443bc6",
            "01020201",
            "335467aeffffffff43457e9182443bc6437f866bcb3f699fe9b0822bac961c45" +
            "04bef270"
        },
        // AES-256, ESN, the last 64-bit sequence number
        {
            "draft-mcgrew-gcm-test-01 4 Test Case 14",
            "6c6567616c697a656d6172696a75616e61616e64646f69746265666f72656961",
            "7475726e",
            "796b6963",
            "ffffffffffffffff",
            "333021696765746d",
            "45000030da3a00008001df3bc0a80005c0a800010800c6cd0200070061626364" +
            "65666768696a6b6c6d6e6f707172737401020201",
            "796b6963ffffffff333021696765746df97ab2aa356d8edce17644ac8c78e25d" +
            "d24dedbb29ebf1b64a274b39b49c3a864cd3d78ca4ae68a32b42458fb57dbe82" +
            "1dcc63b9d0937ba2945f669368661a329fb4c053"
        },
    };
}
