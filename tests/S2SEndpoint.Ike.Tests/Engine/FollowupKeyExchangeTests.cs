using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Exchanges;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Tests.Engine;

/// <summary>
/// Additional key exchanges after CREATE_CHILD_SA (RFC 9370 2.2.4) between two engines: Child SA rekeys, new Child SAs and
/// IKE SA rekeys whose proposals carry ADDKE transforms run one IKE_FOLLOWUP_KE exchange per additional key exchange; loss
/// and duplication at every step; link data that names nothing (STATE_NOT_FOUND); bad KE payloads; crossing rekeys in
/// every order; a peer that picks no ADDKE; the first Child SA in IKE_AUTH with the peer's KE transforms ignored.
/// </summary>
public sealed class FollowupKeyExchangeTests
{
    private const string Ike = "aes256gcm16-prfsha256-x25519";
    private const string OneMore = "aes256gcm16-x25519-ke1_ecp384";
    private const string TwoMore = "aes256gcm16-x25519-ke1_ecp384-ke2_mlkem768";

    private static IReadOnlyList<Proposal> IkeProposals(string keywords)
    {
        Assert.True(ProposalKeywords.TryParseList(keywords, ProtocolId.Ike, out var list, out var error), error);
        return list;
    }

    /// <summary>Two engines; without <paramref name="fragmentation"/> (RFC 7383) so that the tests can open every message whole.</summary>
    private static EngineHarness Make(string esp, string ike = Ike, string? espB = null, string? ikeB = null, int seed = 0, bool fragmentation = false) => new(
        a => a with { Proposals = IkeProposals(ike), Fragmentation = fragmentation, Children = [a.Children[0] with { EspProposals = EngineHarness.Esp(esp) }] },
        b => b with { Proposals = IkeProposals(ikeB ?? ike), Fragmentation = fragmentation, Children = [b.Children[0] with { EspProposals = EngineHarness.Esp(espB ?? esp) }] },
        seed: seed);

    /// <summary>A protected message as the receiver opens it, before it gets it: exchange, direction and inner payloads.</summary>
    private sealed record Seen(Side From, IkeHeader Header, List<IkePayload> Payloads)
    {
        public bool Has(NotifyType type) => Payloads.OfType<NotifyPayload>().Any(n => n.NotifyType == type);

        public byte[]? Link => Payloads.OfType<NotifyPayload>().FirstOrDefault(n => n.NotifyType == NotifyType.AdditionalKeyExchange)?.Data;
    }

    private static Seen? Open(EngineHarness h, Side from, byte[] datagram)
    {
        var m = EstablishmentTests.Parse(datagram);
        if (m.Header.Exchange is not (ExchangeType.CreateChildSa or ExchangeType.IkeFollowupKe or ExchangeType.Informational))
            return null;
        var receiver = h.Other(from);
        var sa = receiver.Engine.Sas.FirstOrDefault(s => s.InitiatorSpi == m.Header.InitiatorSpi && s.ResponderSpi == m.Header.ResponderSpi);
        if (sa?.InboundCipher is null || !SkProtection.TryOpen(m, sa.InboundCipher, out var payloads, out _))
            return null;
        return new Seen(from, m.Header, payloads);
    }

    /// <summary>Records every protected CREATE_CHILD_SA, IKE_FOLLOWUP_KE and INFORMATIONAL message from now on.</summary>
    private static List<Seen> Record(EngineHarness h, Func<Side, Datagram, IEnumerable<Datagram>>? then = null)
    {
        var seen = new List<Seen>();
        h.Net.Filter = (from, d) =>
        {
            if (Open(h, from, d.Data) is { } s)
                seen.Add(s);
            return then is null ? [d] : then(from, d);
        };
        return seen;
    }

    /// <summary>Re-seals a protected request or response with changed inner payloads (a peer that sends what it should not).</summary>
    private static byte[] Rewrite(EngineHarness h, Side from, byte[] datagram, Func<List<IkePayload>, List<IkePayload>> change)
    {
        var m = EstablishmentTests.Parse(datagram);
        var sa = h.Other(from).Engine.Sas.Single(s => s.InitiatorSpi == m.Header.InitiatorSpi);
        Assert.True(SkProtection.TryOpen(m, sa.InboundCipher!, out var payloads, out var error), error.ToString());
        var keys = sa.Keys!;
        var fromInitiator = m.Header.IsFromInitiator;
        var cipher = IkeCipher.Create(sa.Suite!, fromInitiator ? keys.SkEi : keys.SkEr, fromInitiator ? keys.SkAi : keys.SkAr, new SeededRandom(9));
        return SkProtection.Seal(m.Header, change(payloads), cipher);
    }

    private static void AssertIkeKeysEqual(EngineHarness h)
    {
        var a = h.A.Established!;
        var b = h.B.Established!;
        Assert.Equal(a.InitiatorSpi, b.InitiatorSpi);
        Assert.Equal(a.Keys!.SkD, b.Keys!.SkD);
        Assert.Equal(a.Keys.SkEi, b.Keys.SkEi);
        Assert.Equal(a.Keys.SkAr, b.Keys.SkAr);
    }

    private static Side Initiator(EngineHarness h, bool a) => a ? h.A : h.B;

    private static string Name(EngineHarness h, Side side) => side == h.A ? "moon" : "sun";

    [Theory]
    [InlineData(OneMore, 1, true)]
    [InlineData(OneMore, 1, false)]
    [InlineData(TwoMore, 2, true)]
    [InlineData(TwoMore, 2, false)]
    public void ChildRekey_AdditionalKeyExchanges_OneFollowupEachAndKeysMirror(string esp, int additional, bool fromA)
    {
        var h = Make(esp);
        h.Establish();
        var oldSpi = h.A.Kernel.Installed[0].InboundSpi;
        var seen = Record(h);
        var initiator = Initiator(h, fromA);

        initiator.Engine.Rekey(Name(h, initiator));
        h.Pump();

        h.AssertEstablished();
        var child = Assert.Single(h.A.Established!.Children);
        Assert.NotEqual(oldSpi, child.InboundSpi);
        Assert.Equal(esp, ProposalKeywords.Format(child.Proposal));
        Assert.Equal(esp, ProposalKeywords.Format(Assert.Single(h.B.Established!.Children).Proposal));
        Assert.Single(h.A.Kernel.Active);

        // CREATE_CHILD_SA, then one IKE_FOLLOWUP_KE exchange per additional key exchange with consecutive message IDs, each
        // request returning the link data of the response before it, the last response without one; then the delete.
        var exchanges = seen.Where(s => s.Header.Exchange != ExchangeType.Informational).ToList();
        Assert.Equal(2 + (2 * additional), exchanges.Count);
        Assert.Equal(ExchangeType.CreateChildSa, exchanges[0].Header.Exchange);
        Assert.NotNull(exchanges[1].Link);
        for (var n = 1; n <= additional; n++)
        {
            var request = exchanges[2 * n];
            var response = exchanges[(2 * n) + 1];
            Assert.Equal(ExchangeType.IkeFollowupKe, request.Header.Exchange);
            Assert.False(request.Header.IsResponse);
            Assert.Equal(initiator, request.From);
            Assert.Equal(exchanges[0].Header.MessageId + (uint)n, request.Header.MessageId);
            Assert.Equal(exchanges[(2 * n) - 1].Link, request.Link);
            var method = ProposalSelection.AdditionalKeyExchanges(child.Proposal)[n - 1];
            Assert.Equal((ushort)method, Assert.Single(request.Payloads.OfType<KeyExchangePayload>()).Group);
            Assert.Equal((ushort)method, Assert.Single(response.Payloads.OfType<KeyExchangePayload>()).Group);
            Assert.Equal(n < additional, response.Has(NotifyType.AdditionalKeyExchange));
        }
        // No new link is the old one: each is fresh.
        var links = exchanges.Where(s => s.Header.IsResponse && s.Link is not null).Select(s => Convert.ToHexString(s.Link!)).ToList();
        Assert.Equal(links.Count, links.Distinct().Count());
        Assert.Contains(seen, s => s.Header.Exchange == ExchangeType.Informational && s.Payloads.OfType<DeletePayload>().Any());
        Assert.Empty(h.A.EventsOf<NegotiationFailed>());
        Assert.Empty(h.B.EventsOf<NegotiationFailed>());
        Assert.Empty(h.A.Established!.Tasks.PendingFollowups);
        Assert.Empty(h.B.Established!.Tasks.PendingFollowups);
    }

    [Fact]
    public void ChildRekey_EstablishedLogLineShowsTheFullProposal()
    {
        var h = Make(TwoMore);
        h.Establish();
        h.A.Engine.Rekey("moon");
        h.Pump();
        var rekeyed = h.A.EventsOf<ChildSaEstablished>().Last();
        Assert.Contains(TwoMore, rekeyed.Proposal, StringComparison.Ordinal);
    }

    [Fact]
    public void NewChild_InCreateChildSa_RunsFollowupsAndInstalls()
    {
        static IkeSaConfig WithSecond(IkeSaConfig c, string local, string remote) => c with
        {
            Children = [c.Children[0], c.Children[0] with { Name = "net2", LocalTs = [EngineHarness.Prefix(local)], RemoteTs = [EngineHarness.Prefix(remote)] }],
        };
        var h = new EngineHarness(
            a => WithSecond(a with { Proposals = IkeProposals(Ike), Fragmentation = false, Children = [a.Children[0] with { EspProposals = EngineHarness.Esp(TwoMore) }] }, "10.1.1.0/24", "10.2.1.0/24"),
            b => WithSecond(b with { Proposals = IkeProposals(Ike), Fragmentation = false, Children = [b.Children[0] with { EspProposals = EngineHarness.Esp(TwoMore) }] }, "10.2.1.0/24", "10.1.1.0/24"));
        h.A.Engine.Initiate("moon", "net");
        h.Pump();
        h.AssertEstablished();
        var seen = Record(h);

        h.A.Engine.Initiate("moon", "net2");
        h.Pump();

        h.AssertEstablished(children: 2);
        var second = h.A.Established!.Children.Single(c => c.Config.Name == "net2");
        Assert.Equal(TwoMore, ProposalKeywords.Format(second.Proposal));
        Assert.Equal(4, seen.Count(s => s.Header.Exchange == ExchangeType.IkeFollowupKe));
        // The first child came in IKE_AUTH, without key exchanges.
        Assert.Equal("aes256gcm16", ProposalKeywords.Format(h.A.Established!.Children.Single(c => c.Config.Name == "net").Proposal));
    }

    [Theory]
    [InlineData(true, "aes256gcm16-prfsha384-x25519-ke1_mlkem768")]
    [InlineData(false, "aes256gcm16-prfsha384-x25519-ke1_mlkem768")]
    [InlineData(true, "aes256-sha256-x25519-ke1_ecp384-ke2_mlkem1024")]
    [InlineData(false, "aes256-sha256-x25519-ke1_ecp384-ke2_mlkem1024")]
    public void IkeRekey_AdditionalKeyExchanges_NewSaAfterTheLastFollowupAndItWorks(bool fromA, string ike)
    {
        var h = Make(OneMore, ike);
        h.Establish();
        var oldSpi = h.A.Established!.InitiatorSpi;
        var seen = Record(h);
        var initiator = Initiator(h, fromA);

        initiator.Engine.RekeyIke(Name(h, initiator));
        h.Pump();
        h.Run(TimeSpan.FromSeconds(5));

        Assert.Single(h.A.Engine.Sas);
        Assert.Single(h.B.Engine.Sas);
        h.AssertEstablished();
        Assert.NotEqual(oldSpi, h.A.Established!.InitiatorSpi);
        Assert.Equal(ike, ProposalKeywords.Format(h.A.Established!.Proposal!));
        Assert.Equal(ike, ProposalKeywords.Format(h.B.Established!.Proposal!));
        AssertIkeKeysEqual(h);
        var additional = ProposalSelection.AdditionalKeyExchanges(h.A.Established!.Proposal!).Count;
        Assert.Equal(2 * additional, seen.Count(s => s.Header.Exchange == ExchangeType.IkeFollowupKe));
        Assert.All(seen.Where(s => s.Header.Exchange == ExchangeType.IkeFollowupKe), s => Assert.Equal(oldSpi, s.Header.InitiatorSpi));

        // The rekeyed SA carries on: a Child SA rekey with its own additional key exchange, and liveness.
        h.Net.Filter = null;
        h.B.Engine.Rekey("sun");
        h.Pump();
        h.AssertEstablished();
        Assert.Equal(OneMore, ProposalKeywords.Format(h.A.Established!.Children[0].Proposal));
        h.A.Engine.CheckLiveness("moon");
        h.Pump();
        h.AssertEstablished();
        Assert.Empty(h.A.EventsOf<NegotiationFailed>());
        Assert.Empty(h.B.EventsOf<NegotiationFailed>());
    }

    public static TheoryData<string, int, string, bool> Faults()
    {
        var data = new TheoryData<string, int, string, bool>();
        foreach (var what in new[] { "child", "ike" })
        {
            // Unfragmented: CREATE_CHILD_SA and two IKE_FOLLOWUP_KE exchanges are six datagrams, then the delete of the old SA.
            for (var step = 0; step < 6; step++)
            {
                data.Add(what, step, "lost", false);
                data.Add(what, step, "duplicated", false);
            }
            // Fragmented (RFC 7383): the ML-KEM exchanges travel in pieces, and a lost piece is a lost message.
            for (var step = 0; step < 10; step++)
                data.Add(what, step, "lost", true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Faults))]
    public void Rekey_DatagramLostOrDuplicatedAtEveryStep_CompletesOnce(string what, int step, string fault, bool fragmentation)
    {
        var h = Make(TwoMore, "aes256-sha256-x25519-ke1_ecp384-ke2_mlkem768", fragmentation: fragmentation);
        h.Establish();
        var oldChild = h.A.Kernel.Installed[0].InboundSpi;
        var oldIke = h.A.Established!.InitiatorSpi;
        var seen = 0;
        h.Net.Filter = (_, d) => seen++ != step ? [d] : fault == "lost" ? [] : [d, d];
        if (what == "child")
            h.A.Engine.Rekey("moon");
        else
            h.A.Engine.RekeyIke("moon");
        h.Pump();
        // A lost response to the delete of the old IKE SA is retransmitted for until the initiator gives up (RFC 7296 2.1).
        h.Run(TimeSpan.FromSeconds(200));

        Assert.Single(h.A.Engine.Sas);
        Assert.Single(h.B.Engine.Sas);
        h.AssertEstablished();
        if (what == "child")
        {
            Assert.NotEqual(oldChild, Assert.Single(h.A.Kernel.Active).InboundSpi);
            Assert.Equal(2, h.A.Kernel.Installed.Count);
            Assert.Equal(2, h.B.Kernel.Installed.Count);
        }
        else
        {
            Assert.NotEqual(oldIke, h.A.Established!.InitiatorSpi);
            AssertIkeKeysEqual(h);
        }
        Assert.Empty(h.A.EventsOf<NegotiationFailed>());
        Assert.Empty(h.B.EventsOf<NegotiationFailed>());
    }

    [Theory]
    [InlineData("child")]
    [InlineData("ike")]
    public void Followup_UnknownLinkData_StateNotFoundThenOldSaKeptAndRekeyRetried(string what)
    {
        var h = Make(TwoMore, "aes256-sha256-x25519-ke1_ecp384-ke2_mlkem768");
        h.Establish();
        var oldChild = h.A.Kernel.Installed[0].InboundSpi;
        var oldIke = h.A.Established!.InitiatorSpi;
        var spoiled = false;
        var seen = Record(h, (from, d) =>
        {
            if (spoiled || from != h.A || EstablishmentTests.Parse(d.Data).Header is not { Exchange: ExchangeType.IkeFollowupKe, IsResponse: false })
                return [d];
            spoiled = true;
            return [d with
            {
                Data = Rewrite(h, from, d.Data, p => [.. p.Select(x => x is NotifyPayload { NotifyType: NotifyType.AdditionalKeyExchange } n
                    ? NotifyPayload.Status(NotifyType.AdditionalKeyExchange, [.. n.Data.Select(b => (byte)(b ^ 0xff))]) : x)]),
            }];
        });
        if (what == "child")
            h.A.Engine.Rekey("moon");
        else
            h.A.Engine.RekeyIke("moon");
        h.Pump();

        Assert.True(spoiled);
        Assert.Contains(seen, s => s.From == h.B && s.Header.Exchange == ExchangeType.IkeFollowupKe && s.Payloads.OfType<NotifyPayload>().Single().NotifyType == NotifyType.StateNotFound);
        Assert.Contains(h.A.EventsOf<NegotiationFailed>(), f => f.Notify == NotifyType.StateNotFound && f.ReceivedFromPeer);
        Assert.Contains(h.B.EventsOf<NegotiationFailed>(), f => f.Notify == NotifyType.StateNotFound);
        // The old SAs live on, nothing new is installed.
        h.AssertEstablished();
        Assert.Equal(oldChild, Assert.Single(h.A.Kernel.Active).InboundSpi);
        Assert.Equal(oldIke, h.A.Established!.InitiatorSpi);
        Assert.Single(h.B.Established!.Tasks.PendingFollowups);

        // The responder gives up the half-done exchange in time; the initiator tries again and gets through.
        h.Run(TimeSpan.FromSeconds(90));
        Assert.Empty(h.B.Established!.Tasks.PendingFollowups);
        Assert.Contains(h.B.EventsOf<NegotiationFailed>(), f => f.Detail.Contains("no IKE_FOLLOWUP_KE request within", StringComparison.Ordinal));
        Assert.Single(h.A.Engine.Sas);
        h.AssertEstablished();
        if (what == "child")
            Assert.NotEqual(oldChild, Assert.Single(h.A.Kernel.Active).InboundSpi);
        else
            Assert.NotEqual(oldIke, h.A.Established!.InitiatorSpi);
    }

    [Fact]
    public void Followup_RequestWithoutAnyExchangeUnderWay_StateNotFound()
    {
        var h = Make(OneMore);
        h.Establish();
        var b = h.B.Established!;
        var mid = b.Tasks.ExpectedRequestId;
        var header = new IkeHeader(b.InitiatorSpi, b.ResponderSpi, PayloadType.Encrypted, ExchangeType.IkeFollowupKe, HeaderFlags.Initiator, mid, 0);
        var cipher = IkeCipher.Create(b.Suite!, b.Keys!.SkEi, b.Keys.SkAi, new SeededRandom(3));
        using var ke = KeyExchange.Create(KeyExchangeMethod.Ecp384, new SeededRandom(4));
        var datagram = SkProtection.Seal(header, [new KeyExchangePayload((ushort)KeyExchangeMethod.Ecp384, ke.PublicValue),
            NotifyPayload.Status(NotifyType.AdditionalKeyExchange, [1, 2, 3, 4, 5, 6, 7, 8])], cipher);
        h.B.Engine.Receive(new Datagram(new(EngineHarness.AddressB, 500), new(EngineHarness.AddressA, 500), datagram));

        var response = EstablishmentTests.Parse(Assert.Single(h.B.Engine.TakeOutgoing()).Data);
        Assert.Equal(ExchangeType.IkeFollowupKe, response.Header.Exchange);
        Assert.True(response.Header.IsResponse);
        var a = h.A.Established!;
        Assert.True(SkProtection.TryOpen(response, a.InboundCipher!, out var payloads, out _));
        Assert.Equal(NotifyType.StateNotFound, Assert.IsType<NotifyPayload>(Assert.Single(payloads)).NotifyType);
        Assert.Equal(mid + 1, b.Tasks.ExpectedRequestId);
        h.AssertEstablished();
    }

    [Fact]
    public void Followup_RequestBeforeIkeAuth_IsDroppedUnanswered()
    {
        var h = Make(OneMore);
        // IKE_AUTH never leaves A: B's SA waits in IKE_SA_INIT's keys.
        h.Net.Filter = (from, d) => from == h.A && EstablishmentTests.Parse(d.Data).Header.Exchange == ExchangeType.IkeAuth ? [] : [d];
        h.A.Engine.Initiate("moon");
        h.Pump();
        var b = h.B.Engine.Sas.Single();
        Assert.Equal(IkeSaState.Authenticating, b.State);
        var mid = b.Tasks.ExpectedRequestId;
        var header = new IkeHeader(b.InitiatorSpi, b.ResponderSpi, PayloadType.Encrypted, ExchangeType.IkeFollowupKe, HeaderFlags.Initiator, mid, 0);
        var cipher = IkeCipher.Create(b.Suite!, b.Keys!.SkEi, b.Keys.SkAi, new SeededRandom(3));
        var datagram = SkProtection.Seal(header, [NotifyPayload.Status(NotifyType.AdditionalKeyExchange, [1, 2, 3, 4])], cipher);
        h.B.Engine.Receive(new Datagram(new(EngineHarness.AddressB, 500), new(EngineHarness.AddressA, 500), datagram));
        Assert.Empty(h.B.Engine.TakeOutgoing());
        Assert.Equal(mid, b.Tasks.ExpectedRequestId);
        Assert.Equal(1, h.B.Engine.Drops.Count(IkeDropReason.ExchangeOutOfPlace));
    }

    [Fact]
    public void Followup_PeerStartsManyAndFinishesNone_ResponderHoldsAFewAndEndsTheOldest()
    {
        static IkeSaConfig WithMore(IkeSaConfig c, int side) => c with
        {
            Proposals = IkeProposals(Ike),
            Fragmentation = false,
            Children = [c.Children[0] with { EspProposals = EngineHarness.Esp(OneMore) },
                .. Enumerable.Range(2, 3).Select(n => c.Children[0] with
                {
                    Name = $"net{n}",
                    EspProposals = EngineHarness.Esp(OneMore),
                    LocalTs = [EngineHarness.Prefix($"10.{side}.{n}.0/24")],
                    RemoteTs = [EngineHarness.Prefix($"10.{3 - side}.{n}.0/24")],
                })],
        };
        var options = new IkeEngineOptions { MaxPendingFollowups = 2, FollowupKeTimeout = TimeSpan.FromMinutes(10) };
        var h = new EngineHarness(a => WithMore(a, 1), b => WithMore(b, 2), options, options);
        h.A.Engine.Initiate("moon", "net");
        h.Pump();
        h.AssertEstablished();
        // Every IKE_FOLLOWUP_KE request of A names a link B never gave: each new child stays half done at B.
        h.Net.Filter = (from, d) => from == h.A && EstablishmentTests.Parse(d.Data).Header is { Exchange: ExchangeType.IkeFollowupKe, IsResponse: false }
            ? [d with
            {
                Data = Rewrite(h, from, d.Data, p => [.. p.Select(x => x is NotifyPayload { NotifyType: NotifyType.AdditionalKeyExchange }
                    ? NotifyPayload.Status(NotifyType.AdditionalKeyExchange, [9, 9, 9]) : x)]),
            }]
            : [d];
        foreach (var child in new[] { "net2", "net3", "net4" })
        {
            h.A.Engine.Initiate("moon", child);
            h.Pump();
        }

        var b = h.B.Established!;
        Assert.Equal(2, b.Tasks.PendingFollowups.Count());
        Assert.Contains(h.B.EventsOf<NegotiationFailed>(), f => f.Detail.Contains("more than 2 under way", StringComparison.Ordinal));
        Assert.Equal(3, h.A.EventsOf<NegotiationFailed>().Count(f => f.Notify == NotifyType.StateNotFound));
        h.AssertEstablished();
        Assert.Single(h.B.Kernel.Active);
    }

    public static TheoryData<string, bool> BadKes => new()
    {
        { "group", true },
        { "short", true },
        { "missing", true },
        { "group", false },
        { "short", false },
    };

    [Theory]
    [MemberData(nameof(BadKes))]
    public void Followup_BadKe_NewChildAbandonedOldKept(string bad, bool inRequest)
    {
        var h = Make(TwoMore);
        h.Establish();
        var oldA = h.A.Kernel.Installed[0];
        var done = false;
        h.Net.Filter = (from, d) =>
        {
            var header = EstablishmentTests.Parse(d.Data).Header;
            if (done || header.Exchange != ExchangeType.IkeFollowupKe || header.IsResponse == inRequest)
                return [d];
            done = true;
            return [d with { Data = Rewrite(h, from, d.Data, p => Spoil(p, bad)) }];
        };
        h.A.Engine.Rekey("moon");
        h.Pump();

        Assert.True(done);
        var failures = h.A.EventsOf<NegotiationFailed>().Concat(h.B.EventsOf<NegotiationFailed>()).ToList();
        Assert.Contains(failures, f => f.Notify == NotifyType.InvalidSyntax && !f.ReceivedFromPeer);
        h.AssertEstablished();
        Assert.Equal(oldA.InboundSpi, Assert.Single(h.A.Kernel.Active).InboundSpi);
        Assert.Single(h.B.Kernel.Active);
        Assert.Equal(ChildSaState.Installed, h.A.Established!.Children[0].State);
        Assert.Equal(ChildSaState.Installed, h.B.Established!.Children[0].State);

        // Later the rekey goes through.
        h.Net.Filter = null;
        h.Run(TimeSpan.FromSeconds(90));
        h.AssertEstablished();
        Assert.NotEqual(oldA.InboundSpi, Assert.Single(h.A.Kernel.Active).InboundSpi);
    }

    [Fact]
    public void Followup_BadKeInIkeRekeyRequest_NewIkeSaAbandonedOldKept()
    {
        var h = Make(OneMore, "aes256gcm16-prfsha384-x25519-ke1_mlkem768");
        h.Establish();
        var old = h.A.Established!.InitiatorSpi;
        var done = false;
        h.Net.Filter = (from, d) =>
        {
            var header = EstablishmentTests.Parse(d.Data).Header;
            if (done || header is not { Exchange: ExchangeType.IkeFollowupKe, IsResponse: false })
                return [d];
            done = true;
            return [d with { Data = Rewrite(h, from, d.Data, p => Spoil(p, "short")) }];
        };
        h.A.Engine.RekeyIke("moon");
        h.Pump();
        Assert.True(done);
        Assert.Single(h.A.Engine.Sas);
        Assert.Single(h.B.Engine.Sas);
        h.AssertEstablished();
        Assert.Equal(old, h.A.Established!.InitiatorSpi);
        Assert.Contains(h.A.EventsOf<NegotiationFailed>(), f => f.Notify == NotifyType.InvalidSyntax && f.ReceivedFromPeer);
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

    public static TheoryData<RekeyTests.CollisionOrder, string> Collisions()
    {
        var data = new TheoryData<RekeyTests.CollisionOrder, string>();
        foreach (var order in Enum.GetValues<RekeyTests.CollisionOrder>())
        {
            data.Add(order, OneMore);
            data.Add(order, TwoMore);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Collisions))]
    public void ChildRekey_BothSidesAtOnce_OneNewSaSurvivesWithEqualKeys(RekeyTests.CollisionOrder order, string esp)
    {
        var followedUp = new HashSet<string>();
        for (var seed = 0; seed < 8; seed++)
        {
            var h = Make(esp, seed: seed);
            h.Establish();
            var old = h.A.Kernel.Installed[0];
            h.CrossRekeys(order, ike: false, TimeSpan.FromSeconds(60));

            var a = Assert.Single(h.A.Kernel.Active);
            var b = Assert.Single(h.B.Kernel.Active);
            Assert.Equal(a.InboundSpi, b.OutboundSpi);
            Assert.Equal(a.OutboundSpi, b.InboundSpi);
            Assert.NotEqual(old.InboundSpi, a.InboundSpi);
            h.AssertEstablished();
            Assert.Equal(ChildSaState.Installed, h.A.Established!.Children[0].State);
            Assert.Equal(ChildSaState.Installed, h.B.Established!.Children[0].State);
            Assert.Empty(h.A.Established!.Tasks.PendingFollowups);
            Assert.Empty(h.B.Established!.Tasks.PendingFollowups);
            Assert.False(h.A.Established!.Tasks.HasActiveExchange);
            Assert.False(h.B.Established!.Tasks.HasActiveExchange);
            // Only one side's rekey goes on to IKE_FOLLOWUP_KE: the loser stops after CREATE_CHILD_SA (RFC 9370 2.2.4).
            var senders = h.Net.Wire.Where(w => EstablishmentTests.Parse(w.Datagram.Data).Header is { Exchange: ExchangeType.IkeFollowupKe, IsResponse: false })
                .Select(w => w.From.Name).Distinct().ToList();
            followedUp.Add(Assert.Single(senders));

            // Both sides go on as before: a later rekey from either side works.
            h.Net.Filter = null;
            h.B.Engine.Rekey("sun");
            h.Pump();
            h.AssertEstablished();
            Assert.NotEqual(a.InboundSpi, Assert.Single(h.A.Kernel.Active).InboundSpi);
        }
        // Different seeds give different nonces: each side wins in some runs when both requests cross.
        if (order is RekeyTests.CollisionOrder.Simultaneous or RekeyTests.CollisionOrder.ResponseLate)
            Assert.Equal(2, followedUp.Count);
    }

    [Theory]
    [MemberData(nameof(Collisions))]
    public void IkeRekey_BothSidesAtOnce_OneNewSaSurvivesWithEqualKeys(RekeyTests.CollisionOrder order, string esp)
    {
        _ = esp;
        for (var seed = 0; seed < 6; seed++)
        {
            var h = Make(OneMore, "aes256-sha256-x25519-ke1_ecp384-ke2_mlkem768", seed: seed);
            h.Establish();
            var oldSpi = h.A.Established!.InitiatorSpi;
            h.CrossRekeys(order, ike: true, TimeSpan.FromSeconds(200));

            var a = Assert.Single(h.A.Engine.Sas);
            var b = Assert.Single(h.B.Engine.Sas);
            Assert.Equal(IkeSaState.Established, a.State);
            Assert.Equal(IkeSaState.Established, b.State);
            Assert.NotEqual(oldSpi, a.InitiatorSpi);
            AssertIkeKeysEqual(h);
            Assert.Single(a.Children);
            Assert.Single(h.A.Kernel.Active);
            h.Net.Filter = null;
            h.A.Engine.Rekey("moon");
            h.Pump();
            h.AssertEstablished();
        }
    }

    [Fact]
    public void ChildRekey_PeerPicksTheProposalWithoutAdditionalKeyExchange_NoFollowups()
    {
        var h = Make("aes256gcm16-x25519-ke1_mlkem768-ke1_none, aes256gcm16-modp2048", espB: "aes256gcm16-x25519");
        h.Establish();
        var seen = Record(h);
        h.A.Engine.Rekey("moon");
        h.Pump();
        h.AssertEstablished();
        Assert.Equal("aes256gcm16-x25519", ProposalKeywords.Format(h.A.Established!.Children[0].Proposal));
        Assert.DoesNotContain(seen, s => s.Header.Exchange == ExchangeType.IkeFollowupKe || s.Has(NotifyType.AdditionalKeyExchange));

        // And the other way round: the side with the optional additional key exchange answers without one.
        h.B.Engine.Rekey("sun");
        h.Pump();
        h.AssertEstablished();
        Assert.Equal("aes256gcm16-x25519", ProposalKeywords.Format(h.B.Established!.Children[0].Proposal));
        Assert.DoesNotContain(seen, s => s.Header.Exchange == ExchangeType.IkeFollowupKe);
    }

    [Fact]
    public void IkeRekey_PeerPicksTheProposalWithoutAdditionalKeyExchange_NoFollowups()
    {
        var h = Make("aes256gcm16", "aes256gcm16-prfsha384-x25519-ke1_mlkem768, aes256gcm16-prfsha384-x25519", ikeB: "aes256gcm16-prfsha384-x25519");
        h.Establish();
        var seen = Record(h);
        h.A.Engine.RekeyIke("moon");
        h.Pump();
        h.Run(TimeSpan.FromSeconds(5));
        Assert.Single(h.A.Engine.Sas);
        h.AssertEstablished();
        Assert.Equal("aes256gcm16-prfsha384-x25519", ProposalKeywords.Format(h.A.Established!.Proposal!));
        Assert.DoesNotContain(seen, s => s.Header.Exchange == ExchangeType.IkeFollowupKe);
        AssertIkeKeysEqual(h);
    }

    [Fact]
    public void ChildRekey_MandatoryAdditionalKeyExchangeOnOneSideOnly_NoProposalChosenAndOldKept()
    {
        var h = Make(OneMore, espB: "aes256gcm16-x25519");
        h.Establish();
        var old = h.A.Kernel.Installed[0].InboundSpi;
        h.A.Engine.Rekey("moon");
        h.Pump();
        Assert.Contains(h.A.EventsOf<NegotiationFailed>(), f => f.Notify == NotifyType.NoProposalChosen && f.ReceivedFromPeer);
        h.AssertEstablished();
        Assert.Equal(old, Assert.Single(h.A.Kernel.Active).InboundSpi);
    }

    [Fact]
    public void IkeAuth_PeerListsKeyExchangesInItsChildProposals_ResponderMatchesWithoutThem()
    {
        var h = Make("aes256gcm16", espB: "aes256gcm16");
        // The initiator's IKE_AUTH child proposals carry KE and ADDKE transforms, as a peer may send them (RFC 7296 2.17
        // has the responder ignore them there).
        h.Net.Filter = (from, d) =>
        {
            if (from != h.A || EstablishmentTests.Parse(d.Data).Header is not { Exchange: ExchangeType.IkeAuth, IsResponse: false })
                return [d];
            return [d with { Data = Rewrite(h, from, d.Data, p => [.. p.Select(x => x is SecurityAssociationPayload sa
                ? new SecurityAssociationPayload([.. sa.Proposals.Select(WithKeyExchanges)]) : x)]) }];
        };
        h.A.Engine.Initiate("moon");
        h.Pump();
        h.AssertEstablished();
        Assert.Equal("aes256gcm16", ProposalKeywords.Format(h.B.Established!.Children[0].Proposal));
    }

    private static Proposal WithKeyExchanges(Proposal p)
    {
        Assert.True(ProposalKeywords.TryParse("aes256gcm16-x25519-ke1_mlkem768", ProtocolId.Esp, out var extra, out var error), error);
        var added = extra.Transforms.Where(t => t.Type == TransformType.KeyExchange || t.Type.IsAdditionalKeyExchange());
        return new Proposal(p.Number, p.Protocol, p.Spi, [.. p.Transforms, .. added]);
    }
}
