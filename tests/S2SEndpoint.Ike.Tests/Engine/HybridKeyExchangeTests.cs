using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Tests.Engine;

/// <summary>
/// Hybrid (post-quantum) IKE SAs between two engines: IKE_SA_INIT, one IKE_INTERMEDIATE exchange per additional key
/// exchange (RFC 9370 2.2.2, RFC 9242), then IKE_AUTH over IntAuth; loss, duplication and fragmentation at every step;
/// fallback to a responder without RFC 9370; rekeys of a hybrid SA.
/// </summary>
public sealed class HybridKeyExchangeTests
{
    internal static EngineHarness Harness(string ikeA, string? ikeB = null, Func<IkeSaConfig, IkeSaConfig>? both = null, string esp = "aes256gcm16") => new(
        a => (both ?? (c => c))(EngineHarness.Config("moon", EngineHarness.AddressA, EngineHarness.AddressB, "moon.s2s.test", "sun.s2s.test", "10.1.0.0/24", "10.2.0.0/24", ikeA, esp)),
        b => (both ?? (c => c))(EngineHarness.Config("sun", EngineHarness.AddressB, EngineHarness.AddressA, "sun.s2s.test", "moon.s2s.test", "10.2.0.0/24", "10.1.0.0/24", ikeB ?? ikeA, esp)));

    /// <summary>The messages on the wire, a fragmented one once.</summary>
    private static List<IkeHeader> Headers(EngineHarness h) =>
        [.. h.Net.Wire.Select(w => EstablishmentTests.Parse(w.Datagram.Data).Header).DistinctBy(x => (x.Exchange, x.MessageId, x.IsResponse))];

    private static void AssertIkeKeysEqual(EngineHarness h)
    {
        var a = h.A.Established!;
        var b = h.B.Established!;
        Assert.Equal(a.Keys!.SkD, b.Keys!.SkD);
        Assert.Equal(a.Keys.SkEi, b.Keys.SkEi);
        Assert.Equal(a.Keys.SkPr, b.Keys.SkPr);
    }

    [Theory]
    [InlineData("aes256gcm16-prfsha384-x25519-ke1_mlkem768", 1)]
    [InlineData("aes256-sha256-x25519-ke1_ecp384-ke2_mlkem1024", 2)]
    [InlineData("aes128gcm16-prfsha256-ecp256-ke1_mlkem512-ke2_x25519-ke3_modp2048", 3)]
    public void Initiate_AdditionalKeyExchanges_OneIntermediateExchangeEachThenAuth(string ike, int additional)
    {
        var h = Harness(ike);
        h.Establish();

        Assert.Equal(ike, ProposalKeywords.Format(h.A.Established!.Proposal!));
        Assert.Equal(ike, ProposalKeywords.Format(h.B.Established!.Proposal!));
        AssertIkeKeysEqual(h);
        var headers = Headers(h);
        Assert.Equal(4 + (2 * additional), headers.Count);
        Assert.Equal(ExchangeType.IkeSaInit, headers[0].Exchange);
        for (var n = 1; n <= additional; n++)
        {
            Assert.All(headers.GetRange(2 * n, 2), x => Assert.Equal(ExchangeType.IkeIntermediate, x.Exchange));
            Assert.All(headers.GetRange(2 * n, 2), x => Assert.Equal((uint)n, x.MessageId));
        }
        Assert.All(headers.GetRange(2 + (2 * additional), 2), x => Assert.Equal(ExchangeType.IkeAuth, x.Exchange));
        Assert.All(headers.GetRange(2 + (2 * additional), 2), x => Assert.Equal((uint)(additional + 1), x.MessageId));
        Assert.Contains(ike, Assert.Single(h.A.EventsOf<IkeSaEstablished>()).Proposal, StringComparison.Ordinal);
    }

    [Fact]
    public void Initiate_OtherSideInitiatesHybridSa_Establishes()
    {
        var h = Harness("aes256-sha256-x25519-ke1_ecp384-ke2_mlkem1024");
        h.B.Engine.Initiate("sun");
        h.Pump();
        h.AssertEstablished();
        AssertIkeKeysEqual(h);
        Assert.True(h.B.Established!.IsOriginalInitiator);
        Assert.Equal(2, h.A.Established!.AdditionalKeyExchangesDone);
    }

    [Fact]
    public void Initiate_InvalidKePayloadFirst_RetriesThenRunsIntermediate()
    {
        var h = Harness("aes256gcm16-prfsha384-x25519-ke1_mlkem768, aes256gcm16-prfsha384-ecp256-ke1_mlkem768", "aes256gcm16-prfsha384-ecp256-ke1_mlkem768");
        h.Establish();
        Assert.Equal("aes256gcm16-prfsha384-ecp256-ke1_mlkem768", ProposalKeywords.Format(h.A.Established!.Proposal!));
        var retry = EstablishmentTests.Parse(h.Net.Wire[2].Datagram.Data);
        Assert.Equal(ExchangeType.IkeSaInit, retry.Header.Exchange);
        Assert.Contains(retry.Payloads.OfType<NotifyPayload>(), n => n.NotifyType == NotifyType.IntermediateExchangeSupported);
        Assert.Equal(1, h.B.Established!.AdditionalKeyExchangesDone);
        AssertIkeKeysEqual(h);
    }

    [Fact]
    public void Initiate_MlKem1024AsTheOnlyKeyExchange_EstablishesWithoutIntermediate()
    {
        var h = Harness("aes256gcm16-prfsha512-mlkem1024");
        h.Establish();
        AssertIkeKeysEqual(h);
        Assert.Equal(4, h.Net.Wire.Count);
        var init = EstablishmentTests.Parse(h.Net.Wire[0].Datagram.Data);
        var ke = Assert.Single(init.Payloads.OfType<KeyExchangePayload>());
        Assert.Equal(MlKemKeyExchange.EncapsulationKeyLength(KeyExchangeMethod.MlKem1024), ke.Data.Length);
        Assert.Equal(MlKemKeyExchange.CiphertextLength(KeyExchangeMethod.MlKem1024),
            Assert.Single(EstablishmentTests.Parse(h.Net.Wire[1].Datagram.Data).Payloads.OfType<KeyExchangePayload>()).Data.Length);
        Assert.DoesNotContain(init.Payloads.OfType<NotifyPayload>(), n => n.NotifyType == NotifyType.IntermediateExchangeSupported);
    }

    [Fact]
    public void Initiate_MlKemEncapsulationKeyOfWrongLength_ResponderAnswersInvalidSyntax()
    {
        var h = Harness("aes256gcm16-prfsha512-mlkem768");
        h.Net.Filter = (from, d) =>
        {
            var m = EstablishmentTests.Parse(d.Data);
            if (from != h.A || m.Header.Exchange != ExchangeType.IkeSaInit)
                return [d];
            var payloads = m.Payloads.Select(p => p is KeyExchangePayload ke ? new KeyExchangePayload(ke.Group, ke.Data[..^4]) : p).ToList();
            return [d with { Data = new IkeMessage(m.Header, payloads).ToArray() }];
        };
        h.A.Engine.Initiate("moon");
        h.Pump();
        Assert.Empty(h.A.Engine.Sas);
        Assert.Empty(h.B.Engine.Sas);
        Assert.Contains(h.B.EventsOf<NegotiationFailed>(), f => f.Notify == NotifyType.InvalidSyntax && f.Detail.Contains("1180 octets", StringComparison.Ordinal));
        Assert.Contains(h.A.EventsOf<NegotiationFailed>(), f => f.Notify == NotifyType.InvalidSyntax && f.ReceivedFromPeer);
    }

    [Fact]
    public void Initiate_HybridSa_IntermediateSupportedSentByBothSides()
    {
        var h = Harness("aes256gcm16-prfsha384-x25519-ke1_mlkem768");
        h.Establish();
        foreach (var i in new[] { 0, 1 })
            Assert.Contains(EstablishmentTests.Parse(h.Net.Wire[i].Datagram.Data).Payloads.OfType<NotifyPayload>(), n => n.NotifyType == NotifyType.IntermediateExchangeSupported);
    }

    [Fact]
    public void Initiate_ResponderWithoutAdditionalKeyExchanges_FallsBackToThePlainProposal()
    {
        var h = Harness("aes256gcm16-prfsha384-x25519-ke1_mlkem768, aes256gcm16-prfsha384-x25519", "aes256gcm16-prfsha384-x25519");
        h.Establish();
        Assert.Equal("aes256gcm16-prfsha384-x25519", ProposalKeywords.Format(h.A.Established!.Proposal!));
        AssertIkeKeysEqual(h);
        Assert.Equal(4, h.Net.Wire.Count);
        // A responder that chose no additional key exchange does not announce IKE_INTERMEDIATE.
        Assert.DoesNotContain(EstablishmentTests.Parse(h.Net.Wire[1].Datagram.Data).Payloads.OfType<NotifyPayload>(), n => n.NotifyType == NotifyType.IntermediateExchangeSupported);
    }

    [Fact]
    public void Initiate_OptionalAdditionalKeyExchangeDeclined_EstablishesWithoutIntermediate()
    {
        var h = Harness("aes256gcm16-prfsha384-x25519-ke1_mlkem768-ke1_none", "aes256gcm16-prfsha384-x25519");
        h.Establish();
        Assert.Equal("aes256gcm16-prfsha384-x25519", ProposalKeywords.Format(h.A.Established!.Proposal!));
        Assert.Equal(4, h.Net.Wire.Count);
    }

    [Fact]
    public void Initiate_ResponderChoosesAdditionalKeyExchangeWithoutIntermediateSupport_FailsCleanly()
    {
        var h = Harness("aes256gcm16-prfsha384-x25519-ke1_mlkem768");
        // The responder's INTERMEDIATE_EXCHANGE_SUPPORTED is lost on the way (a peer that picks ADDKE without announcing it).
        h.Net.Filter = (from, d) => from == h.B && EstablishmentTests.Parse(d.Data).Header.Exchange == ExchangeType.IkeSaInit
            ? [d with { Data = WithoutIntermediateSupported(d.Data) }]
            : [d];
        h.A.Engine.Initiate("moon");
        h.Pump();
        Assert.Empty(h.A.Engine.Sas);
        var failed = Assert.Single(h.A.EventsOf<NegotiationFailed>());
        Assert.Contains("INTERMEDIATE_EXCHANGE_SUPPORTED", failed.Detail, StringComparison.Ordinal);
        Assert.Null(h.B.Established);
    }

    [Fact]
    public void Initiate_InitiatorOffersAdditionalKeyExchangeWithoutIntermediateSupport_ResponderRefuses()
    {
        var h = Harness("aes256gcm16-prfsha384-x25519-ke1_mlkem768");
        h.Net.Filter = (from, d) => from == h.A && EstablishmentTests.Parse(d.Data).Header.Exchange == ExchangeType.IkeSaInit
            ? [d with { Data = WithoutIntermediateSupported(d.Data) }]
            : [d];
        h.A.Engine.Initiate("moon");
        h.Pump();
        Assert.Empty(h.A.Engine.Sas);
        Assert.Empty(h.B.Engine.Sas);
        Assert.Contains(h.B.EventsOf<NegotiationFailed>(), f => f.Detail.Contains("INTERMEDIATE_EXCHANGE_SUPPORTED", StringComparison.Ordinal));
        Assert.Contains(h.A.EventsOf<NegotiationFailed>(), f => f.Notify == NotifyType.NoProposalChosen);
    }

    /// <summary>Rewrites an IKE_SA_INIT message without its INTERMEDIATE_EXCHANGE_SUPPORTED notify.</summary>
    private static byte[] WithoutIntermediateSupported(byte[] datagram)
    {
        var m = EstablishmentTests.Parse(datagram);
        var kept = m.Payloads.Where(p => p is not NotifyPayload { NotifyType: NotifyType.IntermediateExchangeSupported }).ToList();
        return new IkeMessage(m.Header, kept).ToArray();
    }

    public static TheoryData<int, string> Faults()
    {
        var data = new TheoryData<int, string>();
        // Two additional key exchanges: IKE_SA_INIT, two IKE_INTERMEDIATE and IKE_AUTH, eight datagrams.
        for (var step = 0; step < 8; step++)
        {
            data.Add(step, "lost");
            data.Add(step, "duplicated");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Faults))]
    public void Initiate_DatagramLostOrDuplicatedAtEveryStep_Establishes(int step, string fault)
    {
        var h = Harness("aes256-sha256-x25519-ke1_ecp384-ke2_mlkem1024");
        var seen = 0;
        h.Net.Filter = (_, d) => seen++ != step ? [d] : fault == "lost" ? [] : [d, d];
        h.A.Engine.Initiate("moon");
        h.Pump();
        h.Run(TimeSpan.FromSeconds(30));
        h.AssertEstablished();
        AssertIkeKeysEqual(h);
        Assert.Single(h.A.Engine.Sas);
        Assert.Single(h.B.Engine.Sas);
        Assert.Empty(h.A.EventsOf<NegotiationFailed>());
        Assert.Empty(h.B.EventsOf<NegotiationFailed>());
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(0)]
    [InlineData(1)]
    public void Initiate_SmallFragmentSize_IntermediateMessagesFragmentAndEstablish(int lostFragment)
    {
        var h = Harness("aes256gcm16-prfsha384-x25519-ke1_mlkem1024", both: c => c with { FragmentSize = 576 });
        var lost = false;
        h.Net.Filter = (_, d) =>
        {
            var m = EstablishmentTests.Parse(d.Data);
            if (!lost && lostFragment >= 0 && m.Header.Exchange == ExchangeType.IkeIntermediate && m.Header.IsResponse == (lostFragment == 1) &&
                m.Payloads[^1] is EncryptedFragmentPayload { FragmentNumber: 2 })
            {
                lost = true;
                return [];
            }
            return [d];
        };
        h.A.Engine.Initiate("moon");
        h.Pump();
        h.Run(TimeSpan.FromSeconds(30));
        h.AssertEstablished();
        AssertIkeKeysEqual(h);
        var intermediate = h.Net.Wire.Select(w => EstablishmentTests.Parse(w.Datagram.Data)).Where(m => m.Header.Exchange == ExchangeType.IkeIntermediate).ToList();
        Assert.All(intermediate, m => Assert.IsType<EncryptedFragmentPayload>(m.Payloads[^1]));
        Assert.Contains(intermediate, m => m.Header.IsResponse);
        Assert.All(h.Net.Wire, w => Assert.True(w.Datagram.Data.Length <= 576));
    }

    [Fact]
    public void HybridSa_ChildRekeyAndIkeRekey_StillWork()
    {
        var h = Harness("aes256gcm16-prfsha384-x25519-ke1_mlkem768", esp: "aes256gcm16-x25519-ke1_mlkem768-ke1_none");
        h.Establish();
        var firstChild = h.A.Established!.Children[0].InboundSpi;

        h.A.Engine.Rekey("moon");
        h.Pump();
        h.AssertEstablished();
        Assert.NotEqual(firstChild, h.A.Established!.Children[0].InboundSpi);
        Assert.Equal("aes256gcm16-x25519-ke1_mlkem768", ProposalKeywords.Format(h.A.Established!.Children[0].Proposal));

        var oldSpi = h.A.Established!.InitiatorSpi;
        h.A.Engine.RekeyIke("moon");
        h.Pump();
        h.Run(TimeSpan.FromSeconds(5));
        h.AssertEstablished();
        Assert.NotEqual(oldSpi, h.A.Established!.InitiatorSpi);
        Assert.Single(h.A.Engine.Sas);
        Assert.Single(h.B.Engine.Sas);
        // The rekeyed SA ran its additional key exchange in IKE_FOLLOWUP_KE (RFC 9370 2.2.4).
        Assert.Equal("aes256gcm16-prfsha384-x25519-ke1_mlkem768", ProposalKeywords.Format(h.A.Established!.Proposal!));
        AssertIkeKeysEqual(h);

        h.A.Engine.Rekey("moon");
        h.Pump();
        h.AssertEstablished();
    }

    [Fact]
    public void HybridSa_ResponderInitiatesChildRekey_Works()
    {
        var h = Harness("aes256gcm16-prfsha384-x25519-ke1_mlkem768", esp: "aes256gcm16-mlkem768");
        h.Establish();
        h.B.Engine.Rekey("sun");
        h.Pump();
        h.AssertEstablished();
        Assert.Equal("aes256gcm16-mlkem768", ProposalKeywords.Format(h.B.Established!.Children[0].Proposal));
    }

    /// <summary>
    /// Rewrites the inner payloads of an unfragmented IKE_INTERMEDIATE message on the wire, opening it with the receiver's
    /// keys and sealing it again with the sender's: a peer that sends what it should not.
    /// </summary>
    private static byte[] Rewrite(Side receiver, byte[] datagram, Func<List<IkePayload>, List<IkePayload>> change)
    {
        var sa = receiver.Engine.Sas.Single();
        var m = EstablishmentTests.Parse(datagram);
        Assert.True(SkProtection.TryOpen(m, sa.InboundCipher!, out var payloads, out var error), error.ToString());
        var keys = sa.Keys!;
        var fromInitiator = m.Header.IsFromInitiator;
        var cipher = IkeCipher.Create(sa.Suite!, fromInitiator ? keys.SkEi : keys.SkEr, fromInitiator ? keys.SkAi : keys.SkAr, new SeededRandom(9));
        return SkProtection.Seal(m.Header, change(payloads), cipher);
    }

    public static TheoryData<string, string> BadRequests => new()
    {
        { "missing", "lacks the KE payload" },
        { "group", "carries KE method 19" },
        { "short", "encapsulation key is 1183 octets" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public void Intermediate_BadKeInRequest_ResponderAnswersInvalidSyntaxAndBothSasEnd(string bad, string reason)
    {
        var h = Harness("aes256gcm16-prfsha384-x25519-ke1_mlkem768", both: c => c with { Fragmentation = false });
        h.Net.Filter = (from, d) => from == h.A && EstablishmentTests.Parse(d.Data).Header.Exchange == ExchangeType.IkeIntermediate
            ? [d with { Data = Rewrite(h.B, d.Data, p => Spoil(p, bad)) }]
            : [d];
        h.A.Engine.Initiate("moon");
        h.Pump();
        Assert.Empty(h.A.Engine.Sas);
        Assert.Empty(h.B.Engine.Sas);
        Assert.Contains(h.B.EventsOf<NegotiationFailed>(), f => f.Notify == NotifyType.InvalidSyntax && f.Detail.Contains(reason, StringComparison.Ordinal));
        Assert.Contains(h.A.EventsOf<NegotiationFailed>(), f => f.Notify == NotifyType.InvalidSyntax && f.ReceivedFromPeer);
        Assert.Contains("IKE_INTERMEDIATE", Assert.Single(h.A.EventsOf<IkeSaClosed>()).Reason, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> BadResponses => new()
    {
        { "missing", "lacks the KE payload" },
        { "group", "carries KE method 19" },
        { "short", "ciphertext is 1087 octets" },
    };

    [Theory]
    [MemberData(nameof(BadResponses))]
    public void Intermediate_BadKeInResponse_InitiatorEndsTheSaWithTheReason(string bad, string reason)
    {
        var h = Harness("aes256gcm16-prfsha384-x25519-ke1_mlkem768", both: c => c with { Fragmentation = false });
        h.Net.Filter = (from, d) => from == h.B && EstablishmentTests.Parse(d.Data).Header.Exchange == ExchangeType.IkeIntermediate
            ? [d with { Data = Rewrite(h.A, d.Data, p => Spoil(p, bad)) }]
            : [d];
        h.A.Engine.Initiate("moon");
        h.Pump();
        Assert.Empty(h.A.Engine.Sas);
        var failed = Assert.Single(h.A.EventsOf<NegotiationFailed>());
        Assert.Equal(NotifyType.InvalidSyntax, failed.Notify);
        Assert.Contains(reason, failed.Detail, StringComparison.Ordinal);
        Assert.Contains(reason, Assert.Single(h.A.EventsOf<IkeSaClosed>()).Reason, StringComparison.Ordinal);
    }

    private static List<IkePayload> Spoil(List<IkePayload> payloads, string bad)
    {
        var ke = payloads.OfType<KeyExchangePayload>().Single();
        var others = payloads.Where(p => p != ke).ToList();
        return bad switch
        {
            "missing" => others,
            "group" => [new KeyExchangePayload((ushort)KeyExchangeMethod.Ecp256, ke.Data), .. others],
            _ => [new KeyExchangePayload(ke.Group, ke.Data[..^1]), .. others],
        };
    }

    [Fact]
    public void Intermediate_IntAuthDiffers_AuthenticationFails()
    {
        var h = Harness("aes256gcm16-prfsha384-x25519-ke1_mlkem768");
        h.Net.Filter = (from, d) =>
        {
            // What the responder saw of the IKE_INTERMEDIATE exchange is altered just before IKE_AUTH: AUTH covers IntAuth.
            if (from == h.A && EstablishmentTests.Parse(d.Data).Header.Exchange == ExchangeType.IkeAuth)
                h.B.Engine.Sas.Single().IntAuthI[0] ^= 1;
            return [d];
        };
        h.A.Engine.Initiate("moon");
        h.Pump();
        Assert.Null(h.A.Established);
        Assert.Null(h.B.Established);
        Assert.Contains(h.B.EventsOf<NegotiationFailed>(), f => f.Notify == NotifyType.AuthenticationFailed);
    }

    [Fact]
    public void Receive_IkeIntermediateOnEstablishedSa_IsDroppedUnanswered()
    {
        var h = Harness("aes256gcm16-prfsha384-x25519-ke1_mlkem768");
        h.Establish();
        var b = h.B.Established!;
        var mid = b.Tasks.ExpectedRequestId;
        var header = new IkeHeader(b.InitiatorSpi, b.ResponderSpi, PayloadType.Encrypted, ExchangeType.IkeIntermediate, HeaderFlags.Initiator, mid, 0);
        var cipher = IkeCipher.Create(b.Suite!, b.Keys!.SkEi, b.Keys.SkAi, new SeededRandom(3));
        var datagram = SkProtection.Seal(header, [new KeyExchangePayload((ushort)KeyExchangeMethod.MlKem768, new byte[1184])], cipher);
        h.B.Engine.Receive(new Datagram(new(EngineHarness.AddressB, 500), new(EngineHarness.AddressA, 500), datagram));
        Assert.Empty(h.B.Engine.TakeOutgoing());
        Assert.Equal(mid, b.Tasks.ExpectedRequestId);
        Assert.Equal(1, h.B.Engine.Drops.Count(IkeDropReason.ExchangeOutOfPlace));
        h.AssertEstablished();
    }

    /// <summary>
    /// An initiator that skips the additional key exchanges and sends IKE_AUTH at once (message ID 1): the SA would come up
    /// keyed by the first key exchange alone, so the responder refuses it with INVALID_SYNTAX and the SA goes.
    /// </summary>
    [Fact]
    public void Receive_IkeAuthBeforeTheAdditionalKeyExchanges_ResponderRefusesAndEndsTheSa()
    {
        var h = Harness("aes256gcm16-prfsha384-x25519-ke1_mlkem768");
        h.Net.Filter = (from, d) => from == h.A && EstablishmentTests.Parse(d.Data).Header.Exchange == ExchangeType.IkeIntermediate ? [] : [d];
        h.A.Engine.Initiate("moon");
        h.Pump();
        var b = h.B.Engine.Sas.Single();
        Assert.True(b.IntermediatePending);
        var header = new IkeHeader(b.InitiatorSpi, b.ResponderSpi, PayloadType.Encrypted, ExchangeType.IkeAuth, HeaderFlags.Initiator, 1, 0);
        var cipher = IkeCipher.Create(b.Suite!, b.Keys!.SkEi, b.Keys.SkAi, new SeededRandom(3));
        var datagram = SkProtection.Seal(header,
            [new IdentificationPayload(true, Identity.Parse("moon.s2s.test")), new AuthenticationPayload(AuthMethod.SharedKeyMessageIntegrityCode, new byte[48])], cipher);

        h.B.Engine.Receive(new Datagram(new(EngineHarness.AddressB, 500), new(EngineHarness.AddressA, 500), datagram));

        Assert.Empty(h.B.Engine.Sas);
        var failed = Assert.Single(h.B.Engine.TakeEvents().OfType<NegotiationFailed>());
        Assert.Equal(NotifyType.InvalidSyntax, failed.Notify);
        Assert.Contains("IKE_AUTH request after 0 of 1 additional key exchanges", failed.Detail, StringComparison.Ordinal);
        var response = EstablishmentTests.Parse(Assert.Single(h.B.Engine.TakeOutgoing()).Data);
        Assert.Equal(ExchangeType.IkeAuth, response.Header.Exchange);
        Assert.True(response.Header.IsResponse);
    }

    /// <summary>RFC 9242 3: no IKE_INTERMEDIATE where no additional key exchange was negotiated; dropped, counted, unanswered.</summary>
    [Fact]
    public void Receive_IkeIntermediateWithoutAdditionalKeyExchanges_IsDroppedUnanswered()
    {
        var h = Harness("aes256gcm16-prfsha384-x25519");
        h.Net.Filter = (from, d) => from == h.A && EstablishmentTests.Parse(d.Data).Header.Exchange == ExchangeType.IkeAuth ? [] : [d];
        h.A.Engine.Initiate("moon");
        h.Pump();
        var b = h.B.Engine.Sas.Single();
        Assert.Equal(IkeSaState.Authenticating, b.State);
        var header = new IkeHeader(b.InitiatorSpi, b.ResponderSpi, PayloadType.Encrypted, ExchangeType.IkeIntermediate, HeaderFlags.Initiator, 1, 0);
        var cipher = IkeCipher.Create(b.Suite!, b.Keys!.SkEi, b.Keys.SkAi, new SeededRandom(3));
        var datagram = SkProtection.Seal(header, [new KeyExchangePayload((ushort)KeyExchangeMethod.MlKem768, new byte[1184])], cipher);

        h.B.Engine.Receive(new Datagram(new(EngineHarness.AddressB, 500), new(EngineHarness.AddressA, 500), datagram));

        Assert.Empty(h.B.Engine.TakeOutgoing());
        Assert.Equal(1, h.B.Engine.Drops.Count(IkeDropReason.ExchangeOutOfPlace));
        Assert.Empty(b.IntAuthI);
        Assert.Equal(1u, b.Tasks.ExpectedRequestId);
    }
}
