// Known-answer test vectors for the ciphers, transcribed from the published documents:
//   GCM spec  McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", revised 2005,
//             test cases 1-18 (only the 96-bit-IV cases are used here). The PDF itself is
//             not in the searchable corpora; the values were read from GNU Nettle
//             testsuite/gcm-test.c, which labels each vector with its spec test-case number.
//   RFC 3602  Frankel, Glenn & Kelly, "The AES-CBC Cipher Algorithm and Its Use with IPsec",
//             September 2003, section 4 (Test Vectors), Case #1 - Case #8.
//   RFC 8439  Nir & Langley, "ChaCha20 and Poly1305 for IETF Protocols", June 2018, section 2.8.2 and
//             Appendix A.5 (identical to RFC 7539 2.8.2 / A.5).
//   RFC 7634  Nir, "ChaCha20, Poly1305, and Their Use in the Internet Key Exchange Protocol (IKE) and
//             IPsec", August 2015, Appendix A (ESP example) and Appendix B (IKEv2 example).
// Where each copy was read is listed in Vectors/README.md. Every vector was recomputed with Python
// 'cryptography' 48 (OpenSSL): AES-GCM encrypt, AES-CBC encrypt/decrypt, ChaCha20-Poly1305
// encrypt/decrypt; IPv4 header checksums and length fields of the packet examples were also checked.
// Hex is lowercase, no separators (Convert.FromHexString); empty string = zero-length input.

using Xunit;

namespace S2SEndpoint.Ike.Tests.Vectors;

public static class CipherVectors
{
    /// <summary>
    /// GCM specification test cases with a 96-bit IV: 1-4 (AES-128), 7-10 (AES-192), 13-16 (AES-256).
    /// Cases 5, 6, 11, 12, 17, 18 (64-bit and 480-bit IVs) are deliberately omitted.
    /// Rows: (source, keyHex, ivHex, plaintextHex, aadHex, ciphertextHex, tagHex); tag is 128 bits.
    /// </summary>
    public static TheoryData<string, string, string, string, string, string, string> GcmSpec => new()
    {
        // AES-128
        {
            "GCM spec (McGrew-Viega 2005) Test Case 1",
            "00000000000000000000000000000000",
            "000000000000000000000000",
            "",
            "",
            "",
            "58e2fccefa7e3061367f1d57a4e7455a"
        },
        // AES-128
        {
            "GCM spec (McGrew-Viega 2005) Test Case 2",
            "00000000000000000000000000000000",
            "000000000000000000000000",
            "00000000000000000000000000000000",
            "",
            "0388dace60b6a392f328c2b971b2fe78",
            "ab6e47d42cec13bdf53a67b21257bddf"
        },
        // AES-128
        {
            "GCM spec (McGrew-Viega 2005) Test Case 3",
            "feffe9928665731c6d6a8f9467308308",
            "cafebabefacedbaddecaf888",
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" +
            "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
            "",
            "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e" +
            "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
            "4d5c2af327cd64a62cf35abd2ba6fab4"
        },
        // AES-128
        {
            "GCM spec (McGrew-Viega 2005) Test Case 4",
            "feffe9928665731c6d6a8f9467308308",
            "cafebabefacedbaddecaf888",
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" +
            "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
            "feedfacedeadbeeffeedfacedeadbeefabaddad2",
            "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e" +
            "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
            "5bc94fbc3221a5db94fae95ae7121a47"
        },
        // AES-192
        {
            "GCM spec (McGrew-Viega 2005) Test Case 7",
            "000000000000000000000000000000000000000000000000",
            "000000000000000000000000",
            "",
            "",
            "",
            "cd33b28ac773f74ba00ed1f312572435"
        },
        // AES-192
        {
            "GCM spec (McGrew-Viega 2005) Test Case 8",
            "000000000000000000000000000000000000000000000000",
            "000000000000000000000000",
            "00000000000000000000000000000000",
            "",
            "98e7247c07f0fe411c267e4384b0f600",
            "2ff58d80033927ab8ef4d4587514f0fb"
        },
        // AES-192
        {
            "GCM spec (McGrew-Viega 2005) Test Case 9",
            "feffe9928665731c6d6a8f9467308308feffe9928665731c",
            "cafebabefacedbaddecaf888",
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" +
            "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
            "",
            "3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c" +
            "7d773d00c144c525ac619d18c84a3f4718e2448b2fe324d9ccda2710acade256",
            "9924a7c8587336bfb118024db8674a14"
        },
        // AES-192
        {
            "GCM spec (McGrew-Viega 2005) Test Case 10",
            "feffe9928665731c6d6a8f9467308308feffe9928665731c",
            "cafebabefacedbaddecaf888",
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" +
            "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
            "feedfacedeadbeeffeedfacedeadbeefabaddad2",
            "3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c" +
            "7d773d00c144c525ac619d18c84a3f4718e2448b2fe324d9ccda2710",
            "2519498e80f1478f37ba55bd6d27618c"
        },
        // AES-256
        {
            "GCM spec (McGrew-Viega 2005) Test Case 13",
            "0000000000000000000000000000000000000000000000000000000000000000",
            "000000000000000000000000",
            "",
            "",
            "",
            "530f8afbc74536b9a963b4f1c4cb738b"
        },
        // AES-256
        {
            "GCM spec (McGrew-Viega 2005) Test Case 14",
            "0000000000000000000000000000000000000000000000000000000000000000",
            "000000000000000000000000",
            "00000000000000000000000000000000",
            "",
            "cea7403d4d606b6e074ec5d3baf39d18",
            "d0d1c8a799996bf0265b98b5d48ab919"
        },
        // AES-256
        {
            "GCM spec (McGrew-Viega 2005) Test Case 15",
            "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
            "cafebabefacedbaddecaf888",
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" +
            "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255",
            "",
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa" +
            "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
            "b094dac5d93471bdec1a502270e3cc6c"
        },
        // AES-256
        {
            "GCM spec (McGrew-Viega 2005) Test Case 16",
            "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
            "cafebabefacedbaddecaf888",
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" +
            "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
            "feedfacedeadbeeffeedfacedeadbeefabaddad2",
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa" +
            "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
            "76fc6ece0f4e1768cddf8853bb2d551b"
        },
    };

    /// <summary>
    /// RFC 3602 section 4, Case #1 - #4: AES-128-CBC encryption, no padding (whole blocks).
    /// Rows: (source, keyHex, ivHex, plaintextHex, ciphertextHex). Cases #1 and #3 give the plaintext as
    /// ASCII ("Single block msg", "This is a 48-byte message (exactly 3 AES blocks)"); the hex is its encoding.
    /// </summary>
    public static TheoryData<string, string, string, string, string> Rfc3602Cbc => new()
    {
        {
            "RFC 3602 4 Case #1",
            "06a9214036b8a15b512e03d534120006",
            "3dafba429d9eb430b422da802c9fac41",
            "53696e676c6520626c6f636b206d7367",
            "e353779c1079aeb82708942dbe77181a"
        },
        {
            "RFC 3602 4 Case #2",
            "c286696d887c9aa0611bbb3e2025a45a",
            "562e17996d093d28ddb3ba695a2e6f58",
            "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
            "d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1"
        },
        {
            "RFC 3602 4 Case #3",
            "6c3ea0477630ce21a2ce334aa746c2cd",
            "c782dc4c098c66cbd9cd27d825682c81",
            "5468697320697320612034382d62797465206d65737361676520286578616374" +
            "6c7920332041455320626c6f636b7329",
            "d0a02b3836451753d493665d33f0e8862dea54cdb293abc7506939276772f8d5" +
            "021c19216bad525c8579695d83ba2684"
        },
        {
            "RFC 3602 4 Case #4",
            "56e47a38c5598974bc46903dba290349",
            "8ce82eefbea0da3c44699ed7db51b7d9",
            "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf" +
            "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf",
            "c30e32ffedc0774e6aff6af0869f71aa0f3af07a9a31a9c684db207eb0ef8e4e" +
            "35907aa632c3ffdf868bb7b29d3d46ad83ce9f9a102ee99d49a53e87f4c3da55"
        },
    };

    /// <summary>
    /// RFC 3602 section 4, Case #5 - #8: sample ESP packets, AES-128-CBC, no integrity (no ICV).
    /// Rows: (source, keyHex, ivHex, spiHex, seqHex, plaintextHex, cipherPacketHex).
    ///
    /// Field mapping:
    ///  * plaintextHex = the RFC's "Original packet" (IPv4 header + data), i.e. the packet before IPsec.
    ///      - transport mode (#5, #6): only the upper-layer data (plaintext[20..], an ICMP message) is
    ///        encrypted; Next Header = 1 (ICMP, the original IP protocol field). The outer header in
    ///        cipherPacketHex keeps ID/addresses, protocol becomes 50, length/checksum are updated.
    ///      - tunnel mode (#7, #8): the whole original IP packet is encrypted; Next Header = 4 (IP-in-IP).
    ///  * ESP trailer (RFC 3602 / RFC 4303): payload || Padding 01 02 03 .. n || Pad Length (n) || Next Header,
    ///    padded to a multiple of 16. Padding lengths: #5 = 14, #6 = 2, #7 = 10, #8 = 10.
    ///  * cipherPacketHex = the RFC's "Post-encryption packet with SPI, Sequence number, IV", whole:
    ///      bytes [0,20)  outer IPv4 header (protocol 50)
    ///      bytes [20,24) SPI               (= spiHex)
    ///      bytes [24,28) Sequence Number   (= seqHex)
    ///      bytes [28,44) IV                (= ivHex, 16 bytes, sent in clear)
    ///      bytes [44,..) Encrypted data    (AES-CBC(key, iv, payload || padding || padLen || nextHeader))
    ///  * spiHex / seqHex are the 4-byte big-endian SPI and sequence number (RFC: "SPI: 4321",
    ///    "Sequence number: 1" etc.).
    /// </summary>
    public static TheoryData<string, string, string, string, string, string, string> Rfc3602EspPackets => new()
    {
        // transport mode, ICMP echo 192.168.123.3 -> 192.168.123.100, pad length 14, Next Header 1
        {
            "RFC 3602 4 Case #5",
            "90d382b410eeba7ad938c46cec1a82bf",
            "e96e8c08ab465763fd098d45dd3ff893",
            "00004321",
            "00000001",
            "4500005408f200004001f9fec0a87b03c0a87b6408000ebda70a00008e9c083d" +
            "b95b070008090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223" +
            "2425262728292a2b2c2d2e2f3031323334353637",
            "4500007c08f200004032f9a5c0a87b03c0a87b640000432100000001e96e8c08" +
            "ab465763fd098d45dd3ff893f663c25d325c18c6a9453e194e120849a4870b66" +
            "cc6b9965330013b4898dc856a4699e523a55db080b59ec3a8e4b7e52775b07d1" +
            "db34ed9c538ab50c551b874aa269add047ad2d5913ac19b7cfbad4a6"
        },
        // transport mode, ICMP echo 192.168.123.3 -> 192.168.123.100 (0x77 fill), pad length 2, Next Header 1
        {
            "RFC 3602 4 Case #6",
            "90d382b410eeba7ad938c46cec1a82bf",
            "69d08df7d203329db093fc4924e5bd80",
            "00004321",
            "00000008",
            "4500003008fe00004001fa16c0a87b03c0a87b640800b5e8a80a0500a69c083d" +
            "0b660e00777777777777777777777777",
            "4500004c08fe00004032f9c9c0a87b03c0a87b64000043210000000869d08df7" +
            "d203329db093fc4924e5bd80f51995881ec4e0c4488987ce742e8109689bb379" +
            "d2d750c0d915dca346a89f75"
        },
        // tunnel mode, inner ICMP echo 192.168.123.3 -> 192.168.123.200, pad length 10, Next Header 4
        {
            "RFC 3602 4 Case #7",
            "0123456789abcdef0123456789abcdef",
            "f4e765244f6407adf13dc1380f673f37",
            "00008765",
            "00000002",
            "45000054090400004001f988c0a87b03c0a87bc808009f76a90a0100b49c083d" +
            "02a2040008090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223" +
            "2425262728292a2b2c2d2e2f3031323334353637",
            "4500008c090500004032f91ec0a87b03c0a87bc80000876500000002f4e76524" +
            "4f6407adf13dc1380f673f37773b5241a4c449225e4f3ce5ed611b0c237ca96c" +
            "f74a93013c1b0ea1a0cf70f8e4ecaec78ac53aad7a0f022b859243c647752e94" +
            "a859352b8a4d4d2decd136e5c177f132ad3fbfb2201ac9904c74ee0a109e0ca1" +
            "e4dfe9d5a100b842f1c22f0d"
        },
        // tunnel mode, inner ICMP echo 192.168.123.3 -> 192.168.123.200 (0xff fill), pad length 10, Next Header 4
        {
            "RFC 3602 4 Case #8",
            "0123456789abcdef0123456789abcdef",
            "85d47224b5f3dd5d2101d4ea8dffab22",
            "00008765",
            "00000005",
            "45000044090c00004001f990c0a87b03c0a87bc80800d63caa0a0200c69c083d" +
            "a3de0300ffffffffffffffffffffffffffffffffffffffffffffffffffffffff" +
            "ffffffff",
            "4500007c090d00004032f926c0a87b03c0a87bc8000087650000000585d47224" +
            "b5f3dd5d2101d4ea8dffab2215b92683819596a8047232cc00f7048fe45318e1" +
            "1f8a0f62ede3c3fc61203bb50f980a08c9843fd3a1b06d5c07ff9639b7eb7dfb" +
            "3512e5de435e7207ed971ef3d2726d9b5ef6affc6d17a0decbb13892"
        },
    };

    /// <summary>
    /// AEAD_CHACHA20_POLY1305 (RFC 8439): section 2.8.2 example (encryption) and Appendix A.5 (decryption).
    /// Rows: (source, keyHex, nonceHex, aadHex, plaintextHex, ciphertextHex, tagHex). nonceHex is the full
    /// 12-byte nonce: for 2.8.2 it is the "32-bit fixed-common part" 07000000 || "IV" 4041424344454647;
    /// A.5 prints the 12-byte nonce directly. Tag is 16 bytes.
    /// </summary>
    public static TheoryData<string, string, string, string, string, string, string> Rfc8439 => new()
    {
        // plaintext: "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."
        {
            "RFC 8439 2.8.2",
            "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
            "070000004041424344454647",
            "50515253c0c1c2c3c4c5c6c7",
            "4c616469657320616e642047656e746c656d656e206f662074686520636c6173" +
            "73206f66202739393a204966204920636f756c64206f6666657220796f75206f" +
            "6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73" +
            "637265656e20776f756c642062652069742e",
            "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6" +
            "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36" +
            "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc" +
            "3ff4def08e4b7a9de576d26586cec64b6116",
            "1ae10b594f09e26a7e902ecbd0600691"
        },
        // decryption test vector; plaintext begins "Internet-Drafts are draft documents..."
        {
            "RFC 8439 A.5",
            "1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0",
            "000000000102030405060708",
            "f33388860000000000004e91",
            "496e7465726e65742d4472616674732061726520647261667420646f63756d65" +
            "6e74732076616c696420666f722061206d6178696d756d206f6620736978206d" +
            "6f6e74687320616e64206d617920626520757064617465642c207265706c6163" +
            "65642c206f72206f62736f6c65746564206279206f7468657220646f63756d65" +
            "6e747320617420616e792074696d652e20497420697320696e617070726f7072" +
            "6961746520746f2075736520496e7465726e65742d4472616674732061732072" +
            "65666572656e6365206d6174657269616c206f7220746f206369746520746865" +
            "6d206f74686572207468616e206173202fe2809c776f726b20696e2070726f67" +
            "726573732e2fe2809d",
            "64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb2" +
            "4c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf" +
            "332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855" +
            "9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4" +
            "b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e" +
            "af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a" +
            "0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a10" +
            "49e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29" +
            "a6ad5cb4022b02709b",
            "eead9d67890cbb22392336fea1851f38"
        },
    };

    /// <summary>Poly1305 one-time keys printed in RFC 8439 2.8.2 ("Poly1305 Key") and A.5 ("Poly1305 one-time key").</summary>
    public const string Rfc8439Section282Poly1305Key =
        "7bac2b252db447af09b67a55a4e955840ae1d6731075d9eb2a9375783ed553ff";

    /// <inheritdoc cref="Rfc8439Section282Poly1305Key"/>
    public const string Rfc8439AppendixA5Poly1305Key =
        "bdf04aa95ce4de8995b14bb6a18fecaf26478f50c054f563dbc0a21e261572aa";

    /// <summary>
    /// AEAD rows for the two RFC 7634 examples, same shape as <see cref="Rfc8439"/>:
    /// (source, keyHex, nonceHex (salt || IV), aadHex, plaintextHex, ciphertextHex, tagHex).
    /// </summary>
    public static TheoryData<string, string, string, string, string, string, string> Rfc7634Aead => new()
    {
        {
            "RFC 7634 Appendix A (ESP)",
            "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
            "a0a1a2a31011121314151617",
            "0102030400000005",
            "45000054a6f200004001e778c6336405c000020508005b7a3a080000553bec10" +
            "0007362708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223" +
            "2425262728292a2b2c2d2e2f303132333435363701020204",
            "24039428b97f417e3c13753a4f05087b67c352e6a7fab1b982d466ef407ae5c6" +
            "14ee8099d52844eb61aa95dfab4c02f72aa71e7c4c4f64c9befe2facc638e8f3" +
            "cbec163fac469b502773f6fb94e664da9165b82829f641e0",
            "76aaa8266b7fb0f7b11b369907e1ad43"
        },
        {
            "RFC 7634 Appendix B (IKEv2)",
            "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
            "a0a1a2a31011121314151617",
            "c0c1c2c3c4c5c6c7d0d1d2d3d4d5d6d72e202500000000090000004529000029",
            "0000000c000040010000000a00",
            "610394701f8d017f7c12924889",
            "6b71bfe25236efd7cdc67066906315b2"
        },
    };

    /// <summary>
    /// RFC 7634 worked examples. NOTE: the RFC 7634 text itself was not available in the searchable corpora;
    /// these bytes were read from independent transcriptions (OpenBSD regress chachapoly_test.c "Test vector
    /// from RFC7634 Appendix A/B", OpenDataPlane ipsec test_vectors.h pkt_ipv4_rfc7634(_esp), and others
    /// listed in README.md), which agree byte for byte, and were verified with ChaCha20-Poly1305.
    /// The field descriptions are therefore descriptions, not quotations of the RFC. Values marked
    /// DERIVED are concatenations of transcribed fields, not separately printed values.
    /// </summary>
    public static class Rfc7634
    {
        /// <summary>
        /// Appendix A, ESP example: tunnel-mode ESP SA with ENCR_CHACHA20_POLY1305 (transform 28).
        /// Nonce = Salt (last 4 KEYMAT bytes) || IV (8 bytes, carried in the packet) (RFC 7634 section 2).
        /// AAD (RFC 7634 AAD construction, as RFC 4106 for GCM): SPI || 32-bit Sequence Number = 8 bytes,
        /// here 01020304 || 00000005. (With Extended Sequence Numbers it would be SPI || high 32 bits ||
        /// low 32 bits = 12 bytes; not exercised by this example.) The AAD is NOT encrypted and is followed
        /// in the packet by the IV, then the ciphertext, then the 16-byte tag (ICV).
        /// </summary>
        public static class EspExample
        {
            /// <summary>KEYMAT (36 bytes): 32-byte ChaCha20 key followed by the 4-byte salt.</summary>
            public const string Keymat =
                "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f" +
                "a0a1a2a3";
            /// <summary>ChaCha20-Poly1305 key: first 32 bytes of KEYMAT.</summary>
            public const string Key =
                "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f";
            /// <summary>Salt: last 4 bytes of KEYMAT (the nonce prefix, never sent).</summary>
            public const string Salt =
                "a0a1a2a3";
            /// <summary>ESP SPI 0x01020304.</summary>
            public const string Spi =
                "01020304";
            /// <summary>ESP sequence number 5 (32-bit, big-endian).</summary>
            public const string SequenceNumber =
                "00000005";
            /// <summary>8-byte IV, sent in the ESP packet right after the sequence number.</summary>
            public const string Iv =
                "1011121314151617";
            /// <summary>12-byte ChaCha20 nonce = Salt || IV.</summary>
            public const string Nonce =
                "a0a1a2a31011121314151617";
            /// <summary>The IPv4 packet being protected (ICMP, 198.51.100.5 -> 192.0.2.5), 84 bytes; in tunnel mode it is the ESP payload.</summary>
            public const string SourcePacket =
                "45000054a6f200004001e778c6336405c000020508005b7a3a080000553bec10" +
                "0007362708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223" +
                "2425262728292a2b2c2d2e2f3031323334353637";
            /// <summary>AEAD plaintext: SourcePacket || Padding 01 02 || Pad Length 02 || Next Header 04 (IPv4-in-IP). 88 bytes.</summary>
            public const string Plaintext =
                "45000054a6f200004001e778c6336405c000020508005b7a3a080000553bec10" +
                "0007362708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223" +
                "2425262728292a2b2c2d2e2f303132333435363701020204";
            /// <summary>AAD = SPI || Sequence Number (8 bytes).</summary>
            public const string Aad =
                "0102030400000005";
            /// <summary>Ciphertext (88 bytes, same length as Plaintext).</summary>
            public const string Ciphertext =
                "24039428b97f417e3c13753a4f05087b67c352e6a7fab1b982d466ef407ae5c6" +
                "14ee8099d52844eb61aa95dfab4c02f72aa71e7c4c4f64c9befe2facc638e8f3" +
                "cbec163fac469b502773f6fb94e664da9165b82829f641e0";
            /// <summary>Poly1305 tag / ESP ICV (16 bytes).</summary>
            public const string Tag =
                "76aaa8266b7fb0f7b11b369907e1ad43";
            /// <summary>The ESP packet: SPI || Sequence Number || IV || Ciphertext || Tag (120 bytes).</summary>
            public const string EspPacket =
                "0102030400000005101112131415161724039428b97f417e3c13753a4f05087b" +
                "67c352e6a7fab1b982d466ef407ae5c614ee8099d52844eb61aa95dfab4c02f7" +
                "2aa71e7c4c4f64c9befe2facc638e8f3cbec163fac469b502773f6fb94e664da" +
                "9165b82829f641e076aaa8266b7fb0f7b11b369907e1ad43";
            /// <summary>Outer (tunnel) IPv4 header preceding EspPacket: 203.0.113.153 -> 203.0.113.5, protocol 50, total length 140.</summary>
            public const string OuterIpHeader =
                "4500008c234500004032de5bcb007199cb007105";
            /// <summary>The complete protected IPv4 packet: OuterIpHeader || EspPacket (140 bytes).</summary>
            public const string FullPacket =
                "4500008c234500004032de5bcb007199cb007105010203040000000510111213" +
                "1415161724039428b97f417e3c13753a4f05087b67c352e6a7fab1b982d466ef" +
                "407ae5c614ee8099d52844eb61aa95dfab4c02f72aa71e7c4c4f64c9befe2fac" +
                "c638e8f3cbec163fac469b502773f6fb94e664da9165b82829f641e076aaa826" +
                "6b7fb0f7b11b369907e1ad43";
        }

        /// <summary>
        /// Appendix B, IKEv2 example: an INFORMATIONAL request (exchange type 37, Message ID 9) whose
        /// Encrypted (SK, type 46) payload is protected with ChaCha20-Poly1305, same key/salt/IV as Appendix A.
        /// AAD (RFC 7634 IKEv2 section, as for the other AEADs in RFC 5282): everything from the first octet of the IKE
        /// header up to, but not including, the IV of the Encrypted payload, i.e.
        ///   IKE header (28 bytes: SPIi c0..c7, SPIr d0..d7, Next Payload 0x2e (SK), Version 0x20,
        ///   Exchange Type 0x25, Flags 0x00, Message ID 00000009, Length 00000045 = 69)
        ///   || Encrypted payload generic header (4 bytes: Next Payload 0x29 (Notify), C/reserved 0x00,
        ///   Payload Length 0x0029 = 41 = 4 + 8 IV + 13 ciphertext + 16 ICV).
        /// Plaintext = the inner payloads || Pad Length: a Notify payload (Next Payload 0, length 12,
        /// Protocol ID 0, SPI size 0, Notify type 0x4001 = 16385, i.e. SET_WINDOW_SIZE, data 0000000a) followed by
        /// Pad Length 0x00 (RFC 7634: sender SHOULD send no padding, Pad Length 0). Total 13 bytes.
        /// </summary>
        public static class IkeExample
        {
            /// <summary>SK_ei key: first 32 bytes of the 36-byte SK_e KEYMAT (same as Appendix A).</summary>
            public const string Key =
                "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f";
            /// <summary>Salt: last 4 bytes of the SK_e KEYMAT.</summary>
            public const string Salt =
                "a0a1a2a3";
            /// <summary>8-byte IV, first field of the Encrypted payload body.</summary>
            public const string Iv =
                "1011121314151617";
            /// <summary>12-byte ChaCha20 nonce = Salt || IV.</summary>
            public const string Nonce =
                "a0a1a2a31011121314151617";
            /// <summary>IKE header, 28 bytes (first 28 bytes of Aad).</summary>
            public const string IkeHeader =
                "c0c1c2c3c4c5c6c7d0d1d2d3d4d5d6d72e2025000000000900000045";
            /// <summary>Encrypted (SK) payload generic header, 4 bytes (last 4 bytes of Aad).</summary>
            public const string EncryptedPayloadHeader =
                "29000029";
            /// <summary>AAD = IkeHeader || EncryptedPayloadHeader (32 bytes).</summary>
            public const string Aad =
                "c0c1c2c3c4c5c6c7d0d1d2d3d4d5d6d72e202500000000090000004529000029";
            /// <summary>Plaintext: Notify payload (12 bytes) || Pad Length 00.</summary>
            public const string Plaintext =
                "0000000c000040010000000a00";
            /// <summary>Ciphertext (13 bytes).</summary>
            public const string Ciphertext =
                "610394701f8d017f7c12924889";
            /// <summary>Poly1305 tag = Integrity Checksum Data (16 bytes).</summary>
            public const string Tag =
                "6b71bfe25236efd7cdc67066906315b2";
            /// <summary>DERIVED: the whole IKE message = Aad || Iv || Ciphertext || Tag (69 bytes, matching the header Length 0x45).</summary>
            public const string Message =
                "c0c1c2c3c4c5c6c7d0d1d2d3d4d5d6d72e202500000000090000004529000029" +
                "1011121314151617610394701f8d017f7c129248896b71bfe25236efd7cdc670" +
                "66906315b2";
        }
    }
}
