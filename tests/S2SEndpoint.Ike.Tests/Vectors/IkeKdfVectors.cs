// NIST SP 800-135 (section 7.2, IKEv2) KDF known-answer vectors, as published by NIST's
// CAVS/ACVP programmes ("KDF135" component tests, IKEv2). The CAVS response file itself
// (ikev2.fax / .rsp from the KDF135 zip) was NOT available to the search tool; the vectors below
// were read where NIST's vectors are reproduced verbatim (see Source of each row and
// KexVectorsREADME.md). Every row was recomputed in Python (hmac/hashlib) before it was kept.
//
// CAVS "IKE v2" response-file layout (as parsed by libreswan testing/cavp/cavp_ikev2.c): group
// headers [SHA-1|SHA-224|SHA-256|SHA-384|SHA-512], [Ni length = ], [Nr length = ],
// [g^ir length = ], [DKM length = ], [Child SA DKM length = ] (lengths in bits), then per vector
// COUNT, Ni, Nr, g^ir, g^ir (new), SPIi, SPIr, SKEYSEED, DKM, DKM(Child SA), DKM(Child SA D-H),
// SKEYSEED(Rekey). The lengths below are in BYTES (bits / 8).
//
// What each value is (formulas as in RFC 7296 2.13-2.18 and SP 800-135 7.2, and as written in
// the comments of libreswan's CAVP driver testing/cavp/cavp_ikev2.c):
//   SKEYSEED          = prf(Ni | Nr, g^ir)
//   DKM               = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)            ("DKM length" bytes)
//   SK_d              = the first prf-output-length bytes of DKM (20 for SHA-1, 28 for SHA-224,
//                       32 for SHA-256, 48 for SHA-384, 64 for SHA-512); libreswan takes
//                       prf_key_size bytes of DKM, which is the same number for these PRFs
//   DKM(Child SA)     = prf+(SK_d, Ni | Nr)                              ("Child SA DKM length")
//   DKM(Child SA D-H) = prf+(SK_d, g^ir (new) | Ni | Nr)                 ("Child SA DKM length")
//   SKEYSEED(Rekey)   = prf(SK_d (old), g^ir (new) | Ni | Nr)
// with prf = HMAC-<hash> and prf+(K, S) = T1 | T2 | ..., T1 = prf(K, S | 0x01),
// Tn = prf(K, Tn-1 | S | n). Note the prf key for SKEYSEED is Ni | Nr (the nonces, not g^ir).
//
// Nullable columns: a row taken from a source that reproduces only part of a NIST vector has
// null in the columns that source does not carry (never a computed substitute).

namespace S2SEndpoint.Ike.Tests.Vectors;

/// <summary>One IKEv2 KDF known-answer vector (hex strings, lengths in bytes as decimal strings).</summary>
/// <param name="Source">Where the vector is published.</param>
/// <param name="Hash">Hash of the HMAC prf: SHA-1, SHA-224, SHA-256, SHA-384 or SHA-512.</param>
/// <param name="Ni">Initiator nonce.</param>
/// <param name="Nr">Responder nonce.</param>
/// <param name="Gir">g^ir, the D-H shared secret.</param>
/// <param name="GirNew">g^ir (new), the D-H shared secret of the rekey / child exchange.</param>
/// <param name="SpiI">Initiator SPI (8 bytes).</param>
/// <param name="SpiR">Responder SPI (8 bytes).</param>
/// <param name="DkmLengthBytes">Length of <paramref name="Dkm"/> in bytes.</param>
/// <param name="ChildDkmLengthBytes">Length of the child-SA DKMs in bytes; null when not published.</param>
/// <param name="Skeyseed">SKEYSEED = prf(Ni | Nr, g^ir).</param>
/// <param name="Dkm">DKM = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr).</param>
/// <param name="ChildDkm">DKM(Child SA) = prf+(SK_d, Ni | Nr); null when not published.</param>
/// <param name="ChildDhDkm">DKM(Child SA D-H) = prf+(SK_d, g^ir (new) | Ni | Nr); null when not published.</param>
/// <param name="SkeyseedRekey">SKEYSEED(Rekey) = prf(SK_d, g^ir (new) | Ni | Nr).</param>
public sealed record IkeKdfVector(
    string Source,
    string Hash,
    string Ni,
    string Nr,
    string Gir,
    string GirNew,
    string SpiI,
    string SpiR,
    string DkmLengthBytes,
    string? ChildDkmLengthBytes,
    string Skeyseed,
    string Dkm,
    string? ChildDkm,
    string? ChildDhDkm,
    string SkeyseedRekey)
{
    /// <summary>Keeps test names short in runners that print the argument.</summary>
    public override string ToString() => $"{Hash}: {Source}";
}

/// <summary>NIST SP 800-135 IKEv2 KDF known-answer vectors.</summary>
public static class IkeKdfVectors
{
    /// <summary>Every vector, complete or partial.</summary>
    public static TheoryData<IkeKdfVector> All
    {
        get
        {
            var data = new TheoryData<IkeKdfVector>();
            foreach (var v in Vectors)
            {
                data.Add(v);
            }

            return data;
        }
    }

    /// <summary>Only vectors that publish all five outputs (child-SA DKMs included).</summary>
    public static TheoryData<IkeKdfVector> Complete
    {
        get
        {
            var data = new TheoryData<IkeKdfVector>();
            foreach (var v in Vectors)
            {
                if (v.ChildDkm is not null && v.ChildDhDkm is not null)
                {
                    data.Add(v);
                }
            }

            return data;
        }
    }

    /// <summary>The vectors as a plain list.</summary>
    public static IReadOnlyList<IkeKdfVector> Vectors { get; } =
    [
        new IkeKdfVector(
            Source: "NIST CAVS SP 800-135 IKEv2 SHA-1 sample: inputs, SKEYSEED, DKM (132 bytes) and SKEYSEED(Rekey) as carried by NSS gtest header ike-sha1-vectors.h (ikeGxy #6, ikeV2Rekey #7, ikePlus #8; 'these vectors are from this NIST samples'); the full output set incl. DKM(Child SA) and DKM(Child SA D-H) as printed in libreswan libreswan-ikev2-cavs.c (CAVS test driver, comment with the run of these inputs)",
            Hash: "SHA-1",
            Ni: "32b50d5f4a3763f3",
            Nr: "9206a04b26564cb1",
            Gir: "4b2c1f971981a8ad8d0abeafabf38cf75fc8349c148142465ed9c8b516b8be52",
            GirNew: "863f3c9d06efd39d2b907b97f8699e5dd5251ef64a2a176f36ee40c87d4f9330",
            SpiI: "34c9e7c188868785",
            SpiR: "3ff77d760d2b2199",
            DkmLengthBytes: "132",
            ChildDkmLengthBytes: "132",
            Skeyseed: "a9a7b222b59f8f48645f28a1db5b5f5d7479cba7",
            Dkm: "a14293677cc80ff8f9cc0eee30d895da9d8f405666e30ef0dfcb63c634a46002a2a63080e514a062768b76606f9fa5e9"
                + "92204fc5a670bde3f10d6b027113936a5c55b648a194ae587b0088d52204b702c979fa280870d2ed41efa9c549fd1119"
                + "8af1670b143d384bd275c5f594cf266b05ebadca855e4249520a441a81157435a7a56cc4",
            ChildDkm: "8059e3ee8810e6c3a91bc8bcd2a7a41151b8d0e6ae239c7b38093ad85ef4c5811a8e7b5d1cdabd9560b2d5e092d1f24e"
                + "2d4b85eccdf0ad0dc9abd94b51ee71814ca6dbc8bb51b6309f5b9545c7eb35cf5580b1e521a8fe20754a2d883ba0c2cf"
                + "285f524aea6545b33106bc03e614296d319d41d4b50b3f510b1c0a22f3e664994d234cb4",
            ChildDhDkm: "bb43244c1860ad65ee1e211ffe8bb3661750c8f89cb9f547df7f4fa61d37301628190e38c66232eab4b3ab14c400a519"
                + "7dd3730ed4820a8a10394d51e1c0400052f63ebd36b0e7ef53aaed31eba4a5080d7d4b5666023a8bbb5ffb7857240f9a"
                + "05884d1b7d2f933708450b7b3288f1fc863ab49fa901227cffc06e27899c7054d56fd74c",
            SkeyseedRekey: "63e81194946ebd05df7df5ebf5d8750056bf1f1d"),
        new IkeKdfVector(
            Source: "NIST ACVP kdf135 IKEv2 sub-spec (usnistgov/ACVP artifacts/acvp_sub_kdf135_ikev2.txt, June 2016 draft), Appendices B/C, tc_id 2170",
            Hash: "SHA-1",
            Ni: "d6e106297cdbdfa858340842f7e8177a",
            Nr: "23a498f2862ca8d80049340797815f8d",
            Gir: "b1d49a782337e866e41a6626a561b423b7dd368c46292f610d554aff",
            GirNew: "897c7be2a35af41e844f9d80df7a70d88ed1f0d6ff916f95a069efe4",
            SpiI: "d49e0a11c35e989f",
            SpiR: "ab4192dfd0e37333",
            DkmLengthBytes: "132",
            ChildDkmLengthBytes: "132",
            Skeyseed: "59dbb66af31264f955fa72b6a3b0ff68b414e8f5",
            Dkm: "76a35ca17b3de68999c2e73fcf94ca793d88e5cfb9f509e1ae5c9c245338d3652446c967122ee98ac6ac75dec39edeea"
                + "8fbd2ca18e596d32e19f17b65caaa2af9697bfdcdc83e90bfdb89d7fdfbbb73e7f194de5eea717d8451b972a5e63e540"
                + "67a39e25db739660bcc768469e003c707399ae5c294f13630acf32a0853c3a8469d89f0c",
            ChildDkm: "c9d2e20781d56f0442258c69b2575667106af5ca805e8d507b68c50d2b724e8df833a47599ba97575251408ffb0cff81"
                + "ef7abe3fc7eb34ff37bfdb7ddc2d7d348ffada65957894be90d0cc982d2244f10c19f2027735f658a8089c0a1fb2557a"
                + "f6da312d5f1dd93b4ca5b35cc4377a092d00e816e97ce63cbd00f4df91ea2a4fd39fca53",
            ChildDhDkm: "6acfad2a4e95ec7f9c2cd084976d0a95ebaf99818396bb23304a84296c179b3dd31a83e396fb8a77c71264839315436b"
                + "eae2281593a62ba31c02475651b2fded0a1afdd2634909ca7762b149a25a9948a23ef9460a354b0928aadacf72f32766"
                + "67f730579f1a4d325ebf61f0c0badbecd08c9e0177472c5b4dccdc48393ce18d02ebfa92",
            SkeyseedRekey: "31bf324a192f519be4d9c157adc7d194b4167215"),
        new IkeKdfVector(
            Source: "NIST ACVP-Server crypto test usnistgov/ACVP-Server crypto/test/NIST.CVP.Crypto.IKEv2.Tests/IKEv2Tests.cs, TestName \"IKEv2 SHA2-224\"",
            Hash: "SHA-224",
            Ni: "1df77d01277c2e29deeaeb353e2c967b",
            Nr: "ebff4bf4945f9734db7b3af4aa7ed796",
            Gir: "e2fcb85717960683ff1700d05718b182a5b0be7133a02ad5b0a4a270",
            GirNew: "31c5534a6d2e30b97e4d12526166aae0cb8e1d40c630e506252074ca",
            SpiI: "48765233291b2a42",
            SpiR: "f5a3ee5d92548a2a",
            DkmLengthBytes: "132",
            ChildDkmLengthBytes: "132",
            Skeyseed: "18ba6f5e429fb65e1ec26d90f929d67b8727e30f049f20ae66d56c9a",
            Dkm: "370393be2f27d4b1dac17e8ab2ab1267985bdd38382a93a837caf1dbbe8cb0d313d2b6579eda3f552ae5e9a4d1f50d5e"
                + "9285d8a6d8afbd398de5ab977383443af2a776618c80c52314d05f5faefbef95e1bf04bbe3879fe41d6f6ffd6d6a13b8"
                + "853944f6c1201055abcec41005583a00269a301747f827e42eff906bf1f86d52fd3870c7",
            ChildDkm: "ab9ed337fd24bdfa7d493534ee958f0f187ed2927eb12e6ffc2b45b2469ec7f0420e325d865dda9e2dd86dc53b95f0ec"
                + "d45a09125359f652f5d64b1dfa8f2dfc6c08209cad70e841546e64eaa900e8132beeb7b65f994e8934dd6834478ecd03"
                + "658a691c4ab5bd1e27c5cff7eba343027065a17333574f914e334b1ef20b08e3293b29b0",
            ChildDhDkm: "87831a36e13eff758e1a961caa049cdf0696b9b939bc10a4f76857a04b6f0bfee01b2e54105d0a8bf2ae45bcc7f1e561"
                + "e7001e9f58e6a747a4d6b930410d8dff677fbb09e22cbb89d7e19f0b9b2c7043471e11a2bbed576e2da738e7875575e4"
                + "bfedfcf39730c36d78ce9656f50f0099786203128a20a80f5b4fbc145f12ccce3ff143dd",
            SkeyseedRekey: "e7b26b386ccbd433d333a872d90cbf99b14fdab6b0e8717f5ff3965a"),
        new IkeKdfVector(
            Source: "NIST ACVP-Server crypto test usnistgov/ACVP-Server crypto/test/NIST.CVP.Crypto.IKEv2.Tests/IKEv2Tests.cs, TestName \"IKEv2 SHA2-256\"",
            Hash: "SHA-256",
            Ni: "0a58fea9c1d4fee2e74e1aad6fb02dd5f318eb127465a112be8dc3c04d5dba62eae708f9dc1b2362afd6ba4bda3cf500"
                + "0f4979fbcbadbcfda9291593829c4e905c21db0c2ee15175ce77a8a0dadf25c7f175bc53fd91b636a9b3c50b203de9b9"
                + "d6dc463dcb4048f101e26498ceaed3afbcd931394a7e099392dfff82e5d6fa85c2e8a8ab90ad363a66795dc32798847e"
                + "405acd87988140f973058917273a6b0bafb962c75e2b1a21e79c08beeb82168bf8b4b57f3dce867bf7862a7b8acbc21b"
                + "e838021913daf64340c055ed17aaf7b6e1d0ca33ae890ddbdb83f4e615aad5e3bff58c3db70bac81a0dfbabe5391fc62"
                + "bca4659e22a0741e01d8d06e67d9bb41",
            Nr: "e4fdfa68df6171d9eaff8b7b5ad31e7c6098d259f3397c9854cbefe7449b0864c1df16ddece8b26567560f8d59182a44"
                + "c19149c2d0d72606a160021ade3d23c7c6936c91a4b6bec37adf38cfc84b851c68dcee06f81306f63abbefc07e231e30"
                + "58c49437a557df617eac01663593d2a3e594699284c0a35eae6931492ccb2a43db72a600a3899205d681d2b76b1280e4"
                + "56339bb10e0c584aecfdae31c77a4c40dbcb345f782ac32835d4c220c1e97254ded6a40075dd717b00b69c86a49e8017"
                + "73026536ae02d58a649827f1ba67610ee936dffd11c9d5a9156631916a0a0046ec0ba42f56f2a18de83d5d71a985b0cc"
                + "9eec2c06b3d907ca58454419f374069d",
            Gir: "9d469de41b4739c7dd01f19aa94f17e48150ae9dbede94832142db19",
            GirNew: "c2987b0767006c3b9aea491bfed1646a3d7194639492b8d45b23b383",
            SpiI: "c8de93111750e409",
            SpiR: "32d51b33508997fa",
            DkmLengthBytes: "384",
            ChildDkmLengthBytes: "384",
            Skeyseed: "eec13ac67c2e072abb684ab4e7b6ce3e7f400af8b96bed48e113497ed337f8d4",
            Dkm: "bc83518f63b762874ac57947cdfae33a8d9724df0b83ee4b6df38c23fc2ad829f4d70b5a68dd1f5a52416f09758638ae"
                + "df919c09a17c5298cdb703bb75b1005cba0109739aaa4efd2fe7534c95ad05e546e4419931270eddcab68ac1589d7fde"
                + "47f5b9e8d5b614cb24ec3caf515497a9e99ee6f1b318ff153b539ef071dcaff9b41945dcb780700d69e5dc888a91de19"
                + "5c52825badfd0ab4c33cec71ab5c2b4badefe5455455ce5d8ae91721a2091bcccc1514e69482c9c8da1d9f0f187eedda"
                + "916393570a8c0a8dfabc26d8ed31e8ea47662515972a22d11d692bc1fac6395aecd82a01ab78daafcd6f3070b1201f15"
                + "8a19331b5d21ceee66fccd2ea37bc07648b9539a52dbf797af53e31a0e8706dd86cf5081ebabd095f281d23c222dd3bc"
                + "5abf06869017ca8f751cafcc85abea6ba88c139d1f32a12f7f486cf57eae5d85551b97f3963616d8f597c70efa98c1e1"
                + "fa369fb77a80b1ec5fe533890672c4551172eab1b7fd68ad08c4d4c69f2a867302065ca730aa6915bc2cfb6d93820977",
            ChildDkm: "c725012285d56e53244a9baaaf95abfca543708d333a3f3a86ba660e00edd4d489bcd631819fda0413382edd9f53d1ed"
                + "718e056c2ad91d38de90f06cd434de70141d051c021e7ddd6e4137946b4770dca59a4decabdd866852eb557fdd995646"
                + "613ff2923f5f23aa58c8fbd5ad52cf2eac9bda97faad5596695f4a747a0f1cc6a1f78b2181138fb19ac24574d2e6b3a4"
                + "0d6e688abb919a27d793b76568ec66bd099f6f476b705c1472d774a1516a11311b887688f36649e24227640ea8d8666b"
                + "9f452217e7103b6f0a92b6adb8fbda650ba58d6ac13ac6f6b6361a5d1c44f1e9f22196c96295115c5d01a120e7265962"
                + "d20353a049286908da776c2165f706a16f43d85fcd319f89c4386340bcb8ed10df38345cb68af719abaf997e9789a5f1"
                + "9a392dcecd78168ba282f0b30555c7a47031a3156d12d7158aa41b863b8394d30fec63120e89cbc5750eed7786f7d596"
                + "1b1f2e6faca641ed776d2211bee757b68b77f94056172553715da9fbd1c9a8728f28a2f3c9714a4917490132562484cd",
            ChildDhDkm: "140a1f2a3c94318ece6edfa8c63f37d8d45982de8b6cbfe34011150db0253e34de3796d4aa579954a0bbf234794eb6e7"
                + "ece2a8f91100f5507df4ee8e66c7813d4c0ff64d484a3494c54b0d9c605ea24234a49a010ce5c352feb9e1060c8c7872"
                + "29466296cdc9d11bb9d221ed2bb39544572464254ec02a0fbe777b07402c775eb6d3e53cd16214c707f851942cc7da92"
                + "a811b6c5c82f29d9fc3751b0ebff9898fb14372402a6989ffb9cc32dfe7e2cea32fd882e09804d7fea34ce3b5eb6f303"
                + "e095c48a452b0a3eccada81af22195ebbaad289aeabdab074c94e751496bde39d868ebf1d693f36d1c3c672bbb59c9f7"
                + "7aeb68de57d77da231b7f13d6d277f600c3d3086c4de7b3a59127f4cb9c118935574f30e1b7c88b52c8c3531fdbd38ee"
                + "3d14c69e81803ced6e7501fa0180f6d110b648272002dc1ad5bf09dc83188011da1d48632e0d2453c8abdd8e9fd32a57"
                + "6aeb9ddfb0a024f674441c20a950d9bd8cd7b30933cc0d8e87b55e8aa9d913579b410417b3acc13c14bf73c457327873",
            SkeyseedRekey: "05f796c8df322a7e33283ae5fa2f376d8d5efa0ac3745fc548e430031424c121"),
        new IkeKdfVector(
            Source: "NIST CAVS SP 800-135 IKEv2 sample as carried by NSS gtest header ike-sha256-vectors.h (ikeGxy #6, ikeV2Rekey #7, ikePlus #8; 'these vectors are from this NIST samples'); child-SA DKMs not carried there",
            Hash: "SHA-256",
            Ni: "3f302be1abcb28e1",
            Nr: "8c332ee006064c9b",
            Gir: "0f4d257d7a58fc4545c7d7a88119eee5d5c9690c5b4c989171d3abbfd99d1d29",
            GirNew: "25f3b12d6f282739256e39bf54eda53b60ffcf379bb7bcc90c27b4c4c578616c",
            SpiI: "40dac39e1e1a8640",
            SpiR: "8619a1cf9a6e4c07",
            DkmLengthBytes: "132",
            ChildDkmLengthBytes: null,
            Skeyseed: "5f00d1bd2c58ec224b1e6b71fa0f19a1faa7a193952c444411b47c1a9d8ba6fe",
            Dkm: "0b137d669b0947d7d026d593f0305ad401ff0c471357d695778a9c7f4b4869ece98aca531188d16041b3bb936d2dbb3b"
                + "4993a6e768a809160de45d0283f273a6cdf6854379e31be72b8d3d1fa990cf9c5b015ca9f918a7df6253c958114a09d4"
                + "e1c19bdcd4db14b29d98db1a74ad405c588662c14a04d0d36aa4ab55e90f8986d12d4aad",
            ChildDkm: null,
            ChildDhDkm: null,
            SkeyseedRekey: "2d63f6debc92048b4fef3889c4c99ca67d6496e0fac14a2bca9a2d6566ff2398"),
        new IkeKdfVector(
            Source: "NIST CAVS SP 800-135 IKEv2 sample as carried by NSS gtest header ike-sha384-vectors.h (ikeGxy #6, ikeV2Rekey #7, ikePlus #8; 'these vectors are from this NIST samples'); child-SA DKMs not carried there",
            Hash: "SHA-384",
            Ni: "fd1b572a8e735591",
            Nr: "6013b0ef88dacd3d",
            Gir: "d3288cd87565101e88fe3bad918f31939d8dd26ff1071f8b2d7f447524e58d7c",
            GirNew: "3358f620539473aee8d07e779764c4c6a9aabddc79a28e136b3bac021dbde44a",
            SpiI: "2116ad07ce61f749",
            SpiR: "24880e55f11a65b7",
            DkmLengthBytes: "132",
            ChildDkmLengthBytes: null,
            Skeyseed: "69fe7a1ac94adaeb711295f5fe004b1a8d6a0b65d05692758ce8ad2f7a45f59d7d0b596f51f7dfcf3330061888f6a94f",
            Dkm: "4f904c2025c90c817ea5ff9b662a6fdb445a73b57cdf09eacd379b95e1f03cacb04cd6deeda4f952191dd9bc1f7a9502"
                + "471a648d74dc06d38112de48a42501f6b1a3ad55c2099cd9a648e5f17e5bf3e34bf9b5953decb768a34f875fe2b78dca"
                + "0c2fcca81ec1a412006dfaed38fa06882e61f4c148105fb8e231fdb33c4d484c001721d4",
            ChildDkm: null,
            ChildDhDkm: null,
            SkeyseedRekey: "e0548c1682e13bce454026b3b1bdf42985b24e4e7408095a7c529de38c3d1fcb04c9fe6868042a34c9614c6c99e3fcea"),
    ];
}
