using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Tests.Support;

namespace S2SEndpoint.Ike.Tests.GoldenTests;

/// <summary>
/// Real exchanges between two strongSwan 5.9.8 peers (Debian package), captured by
/// interop/golden/capture.sh with the keys charon printed at log level 4: the codec reproduces every
/// datagram byte for byte, the key schedule reproduces charon's SKEYSEED and SK_* keys, SK payloads open
/// with them, the PSK AUTH values match, and so do the Child SA keys, with and without PFS, and the keys
/// of a rekeyed IKE SA.
/// </summary>
public sealed class StrongSwanGoldenTests
{
    public static TheoryData<string> Cases => GoldenCase.All;

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryDatagram_ReadThenWritten_IsByteIdentical(string name)
    {
        var golden = GoldenCase.Load(name);
        for (var n = 0; n < golden.MessageCount; n++)
        {
            var datagram = golden.Message(n);
            Assert.True(IkeMessage.TryParse(datagram, out var message, out var error), $"{name} msg.{n}: {error}");
            Assert.Equal(Convert.ToHexStringLower(datagram), Convert.ToHexStringLower(message.ToArray()));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void IkeSaInit_ChosenProposal_RendersAsTheConfiguredKeywords(string name)
    {
        var golden = GoldenCase.Load(name);
        var exchange = Exchange.Load(golden);
        Assert.Equal(golden.Text("ike_proposal"), ProposalKeywords.Format(exchange.ChosenIke));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void KeySchedule_FromCapturedNoncesAndSecret_MatchesCharonsKeys(string name)
    {
        var golden = GoldenCase.Load(name);
        var exchange = Exchange.Load(golden);

        Assert.Equal(golden.Text("nonce_i"), Convert.ToHexStringLower(exchange.Ni));
        Assert.Equal(golden.Text("nonce_r"), Convert.ToHexStringLower(exchange.Nr));
        var skeyseed = IkeKeys.ComputeSkeyseed(exchange.Suite.Prf, exchange.Ni, exchange.Nr, golden.Bytes("dh_shared_secret"));
        Assert.Equal(golden.Text("skeyseed"), Convert.ToHexStringLower(skeyseed));
        AssertKeys(golden, "", exchange.Keys);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SkPayloads_OpenedWithDerivedKeys_GiveCharonsPlaintext(string name)
    {
        var golden = GoldenCase.Load(name);
        var exchange = Exchange.Load(golden);
        var opened = 0;
        for (var n = 0; n < golden.MessageCount; n++)
        {
            if (!golden.Has($"msg.{n}.sk_plain"))
                continue;
            var inner = exchange.Open(n);
            Assert.Equal(golden.Text($"msg.{n}.sk_plain"), Convert.ToHexStringLower(PayloadChain.ToArray(inner)));
            opened++;
        }
        Assert.True(opened >= 4, $"{name}: only {opened} SK messages");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void PskAuth_BothDirections_MatchesTheAuthPayloads(string name)
    {
        var golden = GoldenCase.Load(name);
        var exchange = Exchange.Load(golden);
        var psk = golden.Bytes("psk");
        var prf = exchange.Suite.Prf;
        var request = exchange.Open(exchange.AuthRequestIndex);
        var response = exchange.Open(exchange.AuthRequestIndex + 1);

        var idi = request.OfType<IdentificationPayload>().Single(p => p.IsInitiator);
        var idr = response.OfType<IdentificationPayload>().Single(p => !p.IsInitiator);
        Assert.Equal(golden.Text("id_i_text"), idi.Identity.ToString());
        Assert.Equal(golden.Text("id_r_text"), idr.Identity.ToString());

        // RFC 7296 2.15: the initiator signs its IKE_SA_INIT request, Nr and prf(SK_pi, IDi').
        var octetsI = PskAuthentication.SignedOctets(prf, golden.Message(exchange.InitRequestIndex), exchange.Nr, exchange.Keys.SkPi, idi.BodyToArray());
        Assert.Equal(golden.Text("auth_i.octets"), Convert.ToHexStringLower(octetsI));
        var authI = request.OfType<AuthenticationPayload>().Single();
        Assert.Equal(AuthMethod.SharedKeyMessageIntegrityCode, authI.Method);
        Assert.Equal(Convert.ToHexStringLower(authI.Data), Convert.ToHexStringLower(PskAuthentication.ComputeAuth(prf, psk, octetsI)));
        Assert.True(PskAuthentication.Verify(prf, psk, octetsI, authI.Data));
        Assert.False(PskAuthentication.Verify(prf, "wrong-psk"u8, octetsI, authI.Data));

        var octetsR = PskAuthentication.SignedOctets(prf, golden.Message(exchange.InitRequestIndex + 1), exchange.Ni, exchange.Keys.SkPr, idr.BodyToArray());
        var authR = response.OfType<AuthenticationPayload>().Single();
        Assert.True(PskAuthentication.Verify(prf, psk, octetsR, authR.Data));
        Assert.Equal(golden.Text("auth_r.value"), Convert.ToHexStringLower(authR.Data));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ChildSaKeys_FromIkeAuth_MatchCharonsKeys(string name)
    {
        var golden = GoldenCase.Load(name);
        var exchange = Exchange.Load(golden);
        var response = exchange.Open(exchange.AuthRequestIndex + 1);
        var proposal = Assert.Single(response.OfType<SecurityAssociationPayload>().Single().Proposals);
        Assert.True(ChildSuite.TryFromProposal(proposal, out var suite, out var error), error);
        Assert.Equal(KeyExchangeMethod.None, suite.KeyExchange);
        Assert.Equal(golden.Text("child.spi_r"), Convert.ToHexStringLower(proposal.Spi));

        // RFC 7296 2.17: the first Child SA takes its keys from the IKE_SA_INIT nonces, without PFS.
        using var keys = ChildKeys.Derive(exchange.Suite.Prf, exchange.Keys.SkD, suite, [], exchange.Ni, exchange.Nr);
        AssertChildKeys(golden, "child.", keys);
    }

    [Fact]
    public void ChildRekeyWithPfs_KeysFromCreateChildSa_MatchCharonsKeys()
    {
        var golden = GoldenCase.Load("rekey-aes256-sha256-modp2048");
        var exchange = Exchange.Load(golden);
        var request = exchange.Open(4);
        var response = exchange.Open(5);
        Assert.Equal(NotifyType.RekeySa, request.OfType<NotifyPayload>().Single().NotifyType);
        var proposal = Assert.Single(response.OfType<SecurityAssociationPayload>().Single().Proposals);
        Assert.Equal("aes256gcm16-modp2048", ProposalKeywords.Format(proposal));
        Assert.True(ChildSuite.TryFromProposal(proposal, out var suite, out var error), error);

        var ni = request.OfType<NoncePayload>().Single().Data;
        var nr = response.OfType<NoncePayload>().Single().Data;
        Assert.Equal(golden.Text("rekey.child.nonce_i"), Convert.ToHexStringLower(ni));
        Assert.Equal(golden.Text("rekey.child.ke_i"), Convert.ToHexStringLower(request.OfType<KeyExchangePayload>().Single().BodyToArray()));

        // RFC 7296 2.17: KEYMAT = prf+(SK_d, g^ir (new) | Ni | Nr).
        using var keys = ChildKeys.Derive(exchange.Suite.Prf, exchange.Keys.SkD, suite, golden.Bytes("rekey.child.dh_shared_secret"), ni, nr);
        AssertChildKeys(golden, "rekey.child.", keys);
    }

    [Fact]
    public void IkeSaRekey_Section218_MatchesCharonsNewKeysAndOpensTheNewSasMessages()
    {
        var golden = GoldenCase.Load("rekey-aes256-sha256-modp2048");
        var exchange = Exchange.Load(golden);
        var request = exchange.Open(8);
        var response = exchange.Open(9);
        var proposal = Assert.Single(response.OfType<SecurityAssociationPayload>().Single().Proposals);
        Assert.True(IkeSuite.TryFromProposal(proposal, out var newSuite, out var error), error);
        var spiI = request.OfType<SecurityAssociationPayload>().Single().Proposals[0].Spi;
        var spiR = proposal.Spi;
        Assert.Equal(golden.Text("rekey.ike.spi_i"), Convert.ToHexStringLower(spiI));
        Assert.Equal(golden.Text("rekey.ike.spi_r"), Convert.ToHexStringLower(spiR));
        var ni = request.OfType<NoncePayload>().Single().Data;
        var nr = response.OfType<NoncePayload>().Single().Data;

        // RFC 7296 2.18: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) with the old SA's PRF.
        var skeyseed = IkeKeys.ComputeRekeySkeyseed(exchange.Suite.Prf, exchange.Keys.SkD, golden.Bytes("rekey.ike.dh_shared_secret"), ni, nr);
        Assert.Equal(golden.Text("rekey.ike.skeyseed"), Convert.ToHexStringLower(skeyseed));
        using var keys = IkeKeys.Derive(newSuite, skeyseed, ni, nr,
            System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(spiI), System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(spiR));
        AssertKeys(golden, "rekey.ike.", keys);

        // The final INFORMATIONAL exchange (message ID 0) runs on the new IKE SA.
        var last = golden.MessageCount - 2;
        Assert.True(IkeMessage.TryParse(golden.Message(last), out var message, out var lastError), lastError.ToString());
        Assert.Equal(0u, message.Header.MessageId);
        using var cipher = IkeCipher.Create(newSuite, keys.SkEi, keys.SkAi, new SeededRandom(1));
        Assert.True(SkProtection.TryOpen(message, cipher, out var inner, out var parseError), parseError.ToString());
        Assert.Equal(ProtocolId.Ike, inner.OfType<DeletePayload>().Single().Protocol);
    }

    private static void AssertKeys(GoldenCase golden, string prefix, IkeKeys keys)
    {
        Assert.Equal(golden.Text(prefix + "sk_d"), Convert.ToHexStringLower(keys.SkD));
        Assert.Equal(golden.Text(prefix + "sk_ai"), Convert.ToHexStringLower(keys.SkAi));
        Assert.Equal(golden.Text(prefix + "sk_ar"), Convert.ToHexStringLower(keys.SkAr));
        Assert.Equal(golden.Text(prefix + "sk_ei"), Convert.ToHexStringLower(keys.SkEi));
        Assert.Equal(golden.Text(prefix + "sk_er"), Convert.ToHexStringLower(keys.SkEr));
        Assert.Equal(golden.Text(prefix + "sk_pi"), Convert.ToHexStringLower(keys.SkPi));
        Assert.Equal(golden.Text(prefix + "sk_pr"), Convert.ToHexStringLower(keys.SkPr));
    }

    private static void AssertChildKeys(GoldenCase golden, string prefix, ChildKeys keys)
    {
        Assert.Equal(golden.Text(prefix + "encr_i"), Convert.ToHexStringLower(keys.EncryptionInitiatorToResponder));
        Assert.Equal(golden.Text(prefix + "integ_i"), Convert.ToHexStringLower(keys.IntegrityInitiatorToResponder));
        Assert.Equal(golden.Text(prefix + "encr_r"), Convert.ToHexStringLower(keys.EncryptionResponderToInitiator));
        Assert.Equal(golden.Text(prefix + "integ_r"), Convert.ToHexStringLower(keys.IntegrityResponderToInitiator));
    }

    /// <summary>The IKE SA of a capture, rebuilt from its IKE_SA_INIT exchange and charon's g^ir.</summary>
    private sealed class Exchange
    {
        private readonly GoldenCase _golden;

        private Exchange(GoldenCase golden) => _golden = golden;

        public int InitRequestIndex { get; private set; }
        public int AuthRequestIndex { get; private set; }
        public Proposal ChosenIke { get; private set; } = null!;
        public IkeSuite Suite { get; private set; } = null!;
        public byte[] Ni { get; private set; } = [];
        public byte[] Nr { get; private set; } = [];
        public IkeKeys Keys { get; private set; } = null!;
        public IkeHeader InitResponseHeader { get; private set; }

        public static Exchange Load(GoldenCase golden)
        {
            var exchange = new Exchange(golden);
            var messages = Enumerable.Range(0, golden.MessageCount).Select(n => Parse(golden, n)).ToList();
            exchange.InitRequestIndex = messages.FindIndex(m => m.Header.Exchange == ExchangeType.IkeSaInit && !m.Header.IsResponse);
            exchange.AuthRequestIndex = messages.FindIndex(m => m.Header.Exchange == ExchangeType.IkeAuth && !m.Header.IsResponse);
            var request = messages[exchange.InitRequestIndex];
            var response = messages[exchange.InitRequestIndex + 1];
            exchange.InitResponseHeader = response.Header;
            exchange.ChosenIke = Assert.Single(response.Find<SecurityAssociationPayload>()!.Proposals);
            Assert.True(IkeSuite.TryFromProposal(exchange.ChosenIke, out var suite, out var error), error);
            exchange.Suite = suite;
            exchange.Ni = request.Find<NoncePayload>()!.Data;
            exchange.Nr = response.Find<NoncePayload>()!.Data;
            var skeyseed = IkeKeys.ComputeSkeyseed(suite.Prf, exchange.Ni, exchange.Nr, golden.Bytes("dh_shared_secret"));
            exchange.Keys = IkeKeys.Derive(suite, skeyseed, exchange.Ni, exchange.Nr, response.Header.InitiatorSpi, response.Header.ResponderSpi);
            return exchange;
        }

        private static IkeMessage Parse(GoldenCase golden, int n)
        {
            Assert.True(IkeMessage.TryParse(golden.Message(n), out var message, out var error), $"msg.{n}: {error}");
            return message;
        }

        /// <summary>Opens message N of the original IKE SA with the keys of the side that sent it.</summary>
        public List<IkePayload> Open(int n)
        {
            var message = Parse(_golden, n);
            if (message.Header.InitiatorSpi != InitResponseHeader.InitiatorSpi || message.Header.ResponderSpi != InitResponseHeader.ResponderSpi)
                return OpenRekeyed(message, n);
            var fromInitiator = message.Header.IsFromInitiator;
            Assert.Equal(_golden.FromInitiator(n), fromInitiator);
            using var cipher = IkeCipher.Create(Suite, fromInitiator ? Keys.SkEi : Keys.SkEr, fromInitiator ? Keys.SkAi : Keys.SkAr, new SeededRandom(1));
            Assert.True(SkProtection.TryOpen(message, cipher, out var inner, out var error), $"msg.{n}: {error}");
            return inner;
        }

        private List<IkePayload> OpenRekeyed(IkeMessage message, int n)
        {
            Assert.Equal(_golden.Text("rekey.ike.spi_i"), message.Header.InitiatorSpi.ToString("x16", System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(_golden.Text("rekey.ike.spi_r"), message.Header.ResponderSpi.ToString("x16", System.Globalization.CultureInfo.InvariantCulture));
            var keys = new[] { "sk_ei", "sk_ai", "sk_er", "sk_ar" }.Select(k => _golden.Bytes("rekey.ike." + k)).ToArray();
            var fromInitiator = message.Header.IsFromInitiator;
            using var cipher = IkeCipher.Create(Suite, fromInitiator ? keys[0] : keys[2], fromInitiator ? keys[1] : keys[3], new SeededRandom(1));
            Assert.True(SkProtection.TryOpen(message, cipher, out var inner, out var error), $"msg.{n} (rekeyed SA): {error}");
            return inner;
        }
    }
}
