using System.Buffers.Binary;
using System.Net;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Exchanges;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Tests.Engine;

/// <summary>
/// What a peer sends never stalls an exchange, never kills the engine and never leaves an SA half done: offers of
/// any transform are answered, reserved SPIs are refused, and what a task throws is mapped in one place.
/// </summary>
public sealed class HostileInputTests
{
    /// <summary>A's proposals with every integrity transform replaced by <paramref name="integrity"/> (an ID without a keyword here).</summary>
    private static IReadOnlyList<Proposal> WithIntegrity(IReadOnlyList<Proposal> proposals, ushort integrity) =>
        [.. proposals.Select(p => new Proposal(p.Number, p.Protocol, p.Spi,
            [.. p.Transforms.Select(t => t.Type == TransformType.Integrity ? new Transform(TransformType.Integrity, integrity) : t)]))];

    [Theory]
    [InlineData((ushort)1)] // HMAC-MD5-96
    [InlineData((ushort)5)] // AES-XCBC-96
    public void InitRequest_OfferingIntegrityWithoutKeyword_IsAnsweredWithNoProposalChosen(ushort integrity)
    {
        var h = new EngineHarness(a => a with { Proposals = WithIntegrity(EngineHarness.Config("x", EngineHarness.AddressA, EngineHarness.AddressB, "a", "b", "10.1.0.0/24", "10.2.0.0/24", ike: "aes128-sha1-prfsha1-modp2048").Proposals, integrity) });
        h.A.Engine.Initiate("moon");
        h.Pump();

        var failed = Assert.Single(h.A.EventsOf<NegotiationFailed>());
        Assert.Equal(NotifyType.NoProposalChosen, failed.Notify);
        Assert.True(failed.ReceivedFromPeer);
        Assert.Empty(h.B.Engine.Sas);
    }

    [Fact]
    public void CreateChildSa_OfferingIntegrityWithoutKeyword_IsAnsweredAndTheNextExchangeRuns()
    {
        var odd = EngineHarness.Esp("aes128-sha1");
        var h = new EngineHarness(a => a with
        {
            Children = [.. a.Children, a.Children[0] with { Name = "odd", EspProposals = WithIntegrity(odd, 5) }],
        });
        // Establish brings up both children: "odd" in its own CREATE_CHILD_SA, refused.
        h.Establish();
        var b = h.B.Established!;
        var expected = b.Tasks.ExpectedRequestId;
        Assert.Equal(NotifyType.NoProposalChosen, Assert.Single(h.A.EventsOf<NegotiationFailed>()).Notify);

        h.A.Engine.Initiate("moon", "odd");
        h.Pump();

        Assert.Equal(2, h.A.EventsOf<NegotiationFailed>().Count(f => f.Notify == NotifyType.NoProposalChosen && f.ReceivedFromPeer));
        Assert.Equal(expected + 1, b.Tasks.ExpectedRequestId);
        h.A.Engine.CheckLiveness("moon");
        h.Pump();
        Assert.Equal(expected + 2, b.Tasks.ExpectedRequestId);
        h.AssertEstablished();
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(1u)]
    [InlineData(255u)]
    public void IkeAuth_InitiatorOffersReservedEspSpi_ResponderRefusesTheChildAndInstallsNothing(uint spi)
    {
        var h = new EngineHarness();
        h.A.Kernel.NextSpi = spi;
        h.A.Engine.Initiate("moon");
        h.Pump();

        Assert.Empty(h.B.Kernel.Installed);
        Assert.Empty(h.A.Kernel.Installed);
        var failed = Assert.Single(h.A.EventsOf<NegotiationFailed>());
        Assert.Equal(NotifyType.NoProposalChosen, failed.Notify);
        Assert.Contains("reserved", Assert.Single(h.B.EventsOf<NegotiationFailed>()).Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(200u)]
    public void CreateChildSa_ResponderChoosesReservedEspSpi_InitiatorInstallsNothingAndDeletesThePeers(uint spi)
    {
        var h = new EngineHarness();
        h.Establish();
        var installedA = h.A.Kernel.Installed.Count;
        h.B.Kernel.NextSpi = spi;

        h.A.Engine.Rekey("moon");
        h.Pump();

        Assert.Equal(installedA, h.A.Kernel.Installed.Count);
        Assert.Contains(h.A.EventsOf<NegotiationFailed>(), f => f.Detail.Contains("reserved", StringComparison.Ordinal));
        // The peer's SA with the reserved SPI was deleted on request; the old pair carries on.
        Assert.Single(h.B.Kernel.Active);
        Assert.Single(h.A.Kernel.Active);
        Assert.NotNull(h.A.Established);
    }

    [Fact]
    public void TaskThrowingProtocolException_OnARequest_IsAnsweredWithItsNotifyAndTheSaLivesOn()
    {
        var h = new EngineHarness();
        h.Establish();
        h.B.Kernel.FailInstall = _ => new IkeProtocolException(NotifyType.TsUnacceptable, "selectors out of bounds");

        h.A.Engine.Rekey("moon");
        h.Pump();

        var failed = Assert.Single(h.A.EventsOf<NegotiationFailed>());
        Assert.Equal(NotifyType.TsUnacceptable, failed.Notify);
        Assert.True(failed.ReceivedFromPeer);
        h.B.Kernel.FailInstall = null;
        h.A.Engine.Rekey("moon");
        h.Pump();
        h.AssertEstablished();
    }

    [Fact]
    public void TaskThrowingAnythingElse_ClosesThatIkeSaOnly_AndTheEngineGoesOn()
    {
        var h = new EngineHarness();
        h.Establish();
        var b = h.B.Established!;
        h.B.Kernel.FailInstall = _ => new InvalidOperationException("a bug met on odd input");

        h.A.Engine.Rekey("moon");
        h.Pump();

        Assert.Equal(IkeSaState.Destroyed, b.State);
        Assert.Empty(h.B.Engine.Sas);
        Assert.Equal(1, h.B.Engine.Drops.Count(IkeDropReason.InternalError));
        Assert.Contains(h.B.EventsOf<IkeSaClosed>(), c => c.Reason.Contains("internal error", StringComparison.Ordinal));
        // The engine is whole: a new IKE SA comes up.
        h.B.Kernel.FailInstall = null;
        h.A.Engine.Terminate("moon");
        h.Run(TimeSpan.FromMinutes(2));
        h.A.Engine.Initiate("moon");
        h.Pump();
        Assert.NotNull(h.B.Established);
    }

    [Fact]
    public void TaskThrowingFromATimer_ClosesThatIkeSaOnly_AndOnTimerReturns()
    {
        var h = new EngineHarness();
        h.Establish();
        var a = h.A.Established!;
        var child = Assert.Single(a.Children);
        h.A.Kernel.FailAllocateSpi = true;

        // The Child SA's rekey is due: the timer queues it, and building its request hits the fault.
        h.Advance(child.RekeyAt - h.Clock.GetUtcNow());

        Assert.Equal(IkeSaState.Destroyed, a.State);
        Assert.Equal(1, h.A.Engine.Drops.Count(IkeDropReason.InternalError));
    }

    // ---- half-open SAs per source ----

    private static readonly IPEndPoint B500 = new(EngineHarness.AddressB, 500);
    private static readonly IPEndPoint A500 = new(EngineHarness.AddressA, 500);

    /// <summary>An IKE_SA_INIT request as <paramref name="from"/> would send it, and the engine that sent it (it answers cookies).</summary>
    private static (IkeEngine Engine, Datagram Request) Initiator(FakeClock clock, IPAddress from, int seed)
    {
        var config = EngineHarness.Config("x", from, EngineHarness.AddressB, "x.s2s.test", "sun.s2s.test", "10.9.0.0/24", "10.2.0.0/24");
        var engine = new IkeEngine([config], new FakeKernel(0x10000), clock, new SeededRandom(seed));
        engine.Initiate("x");
        var request = Assert.Single(engine.TakeOutgoing());
        return (engine, new Datagram(B500, new IPEndPoint(from, 500), request.Data));
    }

    [Fact]
    public void SpooferFillsAPeersHalfOpenSlots_ThePeerAnswersACookieAndReplacesThem()
    {
        var h = new EngineHarness(configureB: b => b with { RemoteAddresses = [] }, optionsB: new IkeEngineOptions { CookieThreshold = 1000 });
        for (var i = 0; i < h.B.Engine.Options.HalfOpenPerSource; i++)
            h.B.Engine.Receive(Initiator(h.Clock, EngineHarness.AddressA, 50 + i).Request);
        h.B.Engine.TakeOutgoing();
        Assert.Equal(h.B.Engine.Options.HalfOpenPerSource, h.B.Engine.HalfOpenCount);

        h.Establish();

        Assert.Equal(1, h.B.Engine.Drops.Count(IkeDropReason.CookieRequested));
        Assert.Equal(h.B.Engine.Options.HalfOpenPerSource - 1, h.B.Engine.HalfOpenCount);
    }

    [Fact]
    public void SourceAnsweringCookies_StaysAtItsHalfOpenLimit_OtherSourcesAreServed()
    {
        var h = new EngineHarness(configureB: b => b with { RemoteAddresses = [] }, optionsB: new IkeEngineOptions { CookieThreshold = 0 });
        var attacker = IPAddress.Parse("198.51.100.7");
        for (var i = 0; i < 20; i++)
        {
            var (engine, request) = Initiator(h.Clock, attacker, 100 + i);
            h.B.Engine.Receive(request);
            // The cookie goes back and the attacker asks again with it.
            foreach (var answer in h.B.Engine.TakeOutgoing())
                engine.Receive(new Datagram(request.Remote, B500, answer.Data));
            foreach (var again in engine.TakeOutgoing())
                h.B.Engine.Receive(new Datagram(B500, request.Remote, again.Data));
            h.B.Engine.TakeOutgoing();
        }

        Assert.Equal(h.B.Engine.Options.HalfOpenPerSource, h.B.Engine.HalfOpenCount);
        Assert.Equal(20 - h.B.Engine.Options.HalfOpenPerSource, h.B.Engine.Drops.Count(IkeDropReason.HalfOpenLimitPerSource));
        h.Establish();
    }

    // ---- following the peer (RFC 7296 2.23) ----

    private static readonly IPEndPoint Elsewhere = new(IPAddress.Parse("198.51.100.9"), 4500);

    /// <summary>An established pair and A's request of a liveness check as it went over the wire, answered; then <paramref name="after"/> more.</summary>
    private static (EngineHarness H, IkeSa B, Datagram Captured) CaptureRequest(int after = 0)
    {
        var h = new EngineHarness();
        h.Establish();
        h.A.Engine.CheckLiveness("moon");
        h.Pump();
        var captured = h.Net.Wire.Last(w => w.From == h.A && !EstablishmentTests.Parse(w.Datagram.Data).Header.IsResponse).Datagram;
        for (var i = 0; i < after; i++)
        {
            h.A.Engine.CheckLiveness("moon");
            h.Pump();
        }
        h.B.Kernel.Calls.Clear();
        return (h, h.B.Established!, captured);
    }

    [Fact]
    public void ReplayedRequest_FromAnotherAddress_IsAnsweredButEspStaysWhereItWas()
    {
        var (h, b, captured) = CaptureRequest();
        var where = b.RemoteEndpoint;

        h.B.Engine.Receive(new Datagram(captured.Remote, Elsewhere, captured.Data));

        // The cached response goes back to where the copy came from, and nothing else moves.
        Assert.Single(h.B.Engine.TakeOutgoing(), d => d.Remote.Equals(Elsewhere));
        Assert.DoesNotContain(h.B.Kernel.Calls, c => c.StartsWith("endpoints", StringComparison.Ordinal));
        Assert.Equal(where, b.RemoteEndpoint);
    }

    [Fact]
    public void ReplayedOlderRequest_FromAnotherAddress_MovesNothing()
    {
        var (h, b, captured) = CaptureRequest(after: 1);
        var where = b.RemoteEndpoint;

        h.B.Engine.Receive(new Datagram(captured.Remote, Elsewhere, captured.Data));

        Assert.Empty(h.B.Engine.TakeOutgoing());
        Assert.DoesNotContain(h.B.Kernel.Calls, c => c.StartsWith("endpoints", StringComparison.Ordinal));
        Assert.Equal(where, b.RemoteEndpoint);
    }

    [Fact]
    public void FreshAuthenticatedRequest_FromAnotherAddress_MovesEsp()
    {
        var h = new EngineHarness();
        h.Establish();
        var b = h.B.Established!;
        h.B.Kernel.Calls.Clear();
        h.Net.Filter = (from, d) => from == h.A ? [new Datagram(Elsewhere, d.Remote, d.Data)] : [];

        h.A.Engine.CheckLiveness("moon");
        h.Pump();

        Assert.Contains(h.B.Kernel.Calls, c => c.StartsWith("endpoints", StringComparison.Ordinal) && c.EndsWith(Elsewhere.ToString(), StringComparison.Ordinal));
        Assert.Equal(Elsewhere, b.RemoteEndpoint);
    }

    // ---- hubs (remote_addrs %any) ----

    /// <summary>Puts a spoke engine on the network at <paramref name="address"/> (in place of one there before) and brings its connection up against the hub.</summary>
    private static IkeSa ConnectSpoke(EngineHarness h, string id, IPAddress address, int seed)
    {
        var config = EngineHarness.Config("spoke", address, EngineHarness.AddressB, id, "sun.s2s.test", "10.9.0.0/24", "10.2.0.0/24");
        var spoke = new Side("spoke", address, config, h.Clock, seed, 0x20000, options: null);
        h.Net.Add(address, spoke);
        spoke.Engine.Initiate("spoke");
        h.Pump();
        return Assert.Single(spoke.Engine.Sas, s => s.State == IkeSaState.Established);
    }

    [Fact]
    public void InitialContact_AtAHub_ReplacesOnlyTheSasOfTheSameAuthenticatedIdentity()
    {
        var h = new EngineHarness(configureB: b => b with { RemoteAddresses = [], RemoteId = null, Children = [b.Children[0] with { RemoteTs = [EngineHarness.Prefix("10.0.0.0/8")] }] });
        var one = IPAddress.Parse("198.51.100.1");
        var two = IPAddress.Parse("198.51.100.2");
        ConnectSpoke(h, "spoke1.s2s.test", one, 31);
        ConnectSpoke(h, "spoke2.s2s.test", two, 32);
        Assert.Equal(2, h.B.Engine.Sas.Count(s => s.State == IkeSaState.Established));

        // Spoke 1 restarts (new SPIs, INITIAL_CONTACT); spoke 2's SA is another identity's and stays.
        ConnectSpoke(h, "spoke1.s2s.test", one, 33);

        var ids = h.B.Engine.Sas.Where(s => s.State == IkeSaState.Established).Select(s => s.RemoteId!.ToString()).Order().ToList();
        Assert.Equal(["spoke1.s2s.test", "spoke2.s2s.test"], ids);
        Assert.Single(h.B.EventsOf<IkeSaClosed>().Concat(h.B.Engine.TakeEvents().OfType<IkeSaClosed>()), c => c.Reason.Contains("INITIAL_CONTACT", StringComparison.Ordinal));
    }

    /// <summary>
    /// An SK payload too short for IV and ICV is dropped unanswered like any message that fails its ICV: it does not
    /// consume the message ID, so the real peer's next request still passes.
    /// </summary>
    [Fact]
    public void Receive_ForgedShortSkPayload_DoesNotConsumeTheMessageId()
    {
        var h = new EngineHarness();
        h.Establish();
        var b = h.B.Established!;
        var mid = b.Tasks.ExpectedRequestId;
        var data = new byte[IkeHeader.Size + 4 + 8];
        new IkeHeader(b.InitiatorSpi, b.ResponderSpi, PayloadType.Encrypted, ExchangeType.Informational, HeaderFlags.Initiator, mid, (uint)data.Length).Write(data);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(IkeHeader.Size + 2), 12);
        h.B.Engine.Receive(new Datagram(B500, A500, data));
        var answered = h.B.Engine.TakeOutgoing().Count;
        Assert.Equal(mid, b.Tasks.ExpectedRequestId);
        Assert.Equal(0, answered);
    }

    [Fact]
    public void Receive_ForgedShortSkPayload_LivenessStillSucceeds()
    {
        var h = new EngineHarness(a => a with { DpdAction = DpdAction.Clear });
        h.Establish();
        var b = h.B.Established!;
        var data = new byte[IkeHeader.Size + 4 + 8];
        new IkeHeader(b.InitiatorSpi, b.ResponderSpi, PayloadType.Encrypted, ExchangeType.Informational, HeaderFlags.Initiator, b.Tasks.ExpectedRequestId, (uint)data.Length).Write(data);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(IkeHeader.Size + 2), 12);
        h.B.Engine.Receive(new Datagram(B500, A500, data));
        h.B.Engine.TakeOutgoing();
        h.A.Engine.CheckLiveness("moon");
        h.Pump();
        h.Run(TimeSpan.FromMinutes(4));
        Assert.NotNull(h.A.Established);
    }

    /// <summary>
    /// An unauthenticated IKE_SA_INIT request naming the initiator SPI of an IKE SA we answered a rekey for (we are not
    /// its original initiator and have seen no request on it yet) does not run IKE_SA_INIT again on that SA.
    /// </summary>
    [Fact]
    public void Receive_ForgedInitNamingARekeyedSa_LeavesItsKeysAlone()
    {
        var h = new EngineHarness();
        h.Establish();
        var init = h.Net.Wire[0].Datagram.Data;
        h.A.Engine.RekeyIke("moon");
        h.Pump();
        var b = Assert.Single(h.B.Engine.Sas);
        Assert.False(b.IsOriginalInitiator);
        var skd = b.Keys!.SkD.ToArray();
        var forged = (byte[])init.Clone();
        BinaryPrimitives.WriteUInt64BigEndian(forged, b.InitiatorSpi);
        h.B.Engine.Receive(new Datagram(b.LocalEndpoint, b.RemoteEndpoint, forged));
        Assert.Equal(IkeSaState.Established, b.State);
        Assert.Equal(skd, b.Keys!.SkD);
    }

    [Fact]
    public void Receive_ForgedInitNamingARekeyedSa_SaAndChildrenSurvive()
    {
        var h = new EngineHarness();
        h.Establish();
        var init = h.Net.Wire[0].Datagram.Data;
        h.A.Engine.RekeyIke("moon");
        h.Pump();
        var b = Assert.Single(h.B.Engine.Sas);
        var forged = (byte[])init.Clone();
        BinaryPrimitives.WriteUInt64BigEndian(forged, b.InitiatorSpi);
        h.B.Engine.Receive(new Datagram(b.LocalEndpoint, b.RemoteEndpoint, forged));
        h.B.Engine.TakeOutgoing();
        h.Clock.Advance(TimeSpan.FromSeconds(31));
        h.B.Engine.OnTimer();
        Assert.Single(h.B.Engine.Sas);
        Assert.NotEmpty(h.B.Kernel.Active);
    }

    /// <summary>Drops are counted by reason, never by SPI: a flood of random SPIs adds no counters.</summary>
    [Fact]
    public void Receive_RandomSpiFlood_DropCountersStayBounded()
    {
        var h = new EngineHarness();
        var random = new SeededRandom(7);
        for (var i = 0; i < 20_000; i++)
        {
            var data = new byte[IkeHeader.Size];
            random.Fill(data.AsSpan(0, 16));
            new IkeHeader(BinaryPrimitives.ReadUInt64BigEndian(data), BinaryPrimitives.ReadUInt64BigEndian(data.AsSpan(8)), PayloadType.NoNextPayload,
                ExchangeType.Informational, HeaderFlags.Initiator, 0, (uint)data.Length).Write(data);
            h.B.Engine.Receive(new Datagram(B500, A500, data));
        }
        Assert.True(h.B.Engine.Drops.Nonzero().Count() < 20, $"{h.B.Engine.Drops.Nonzero().Count()} distinct drop counters");
    }

    /// <summary>A peer offering more selectors than one TS payload of the response can carry: nothing escapes Receive.</summary>
    [Fact]
    public void Receive_ManySelectors_DoesNotThrow()
    {
        var many = Enumerable.Range(1, 200).Select(i => EngineHarness.Prefix($"10.1.0.{i}/32")).ToList();
        var tcp = new TrafficSelector(TrafficSelectorType.Ipv4AddressRange, 6, 0, 65535, IPAddress.Parse("10.1.0.0"), IPAddress.Parse("10.1.0.255"));
        var h = new EngineHarness(
            a => a with { Children = [a.Children[0] with { LocalTs = many }] },
            b => b with { Children = [b.Children[0] with { RemoteTs = [.. b.Children[0].RemoteTs, tcp] }] });
        var ex = Record.Exception(() => { h.A.Engine.Initiate("moon"); h.Pump(); });
        Assert.Null(ex);
    }

    /// <summary>An IKE SA rekey request whose proposals repeat a number, the first with a 4-octet SPI: nothing escapes Receive.</summary>
    [Fact]
    public void Receive_IkeRekeyWithDuplicateProposalNumbers_DoesNotThrow()
    {
        var h = new EngineHarness();
        h.Establish();
        var a = h.A.Established!;
        var transforms = a.Config.Proposals[0].Transforms;
        var sa = new SecurityAssociationPayload([
            new Proposal(1, ProtocolId.Ike, [1, 2, 3, 4], transforms),
            new Proposal(1, ProtocolId.Ike, [1, 2, 3, 4, 5, 6, 7, 8], transforms)]);
        using var ke = KeyExchange.Create(KeyExchangeMethod.Modp2048, new SeededRandom(3));
        var nonce = new byte[32];
        var header = a.Header(ExchangeType.CreateChildSa, false, a.Tasks.NextRequestId);
        var data = SkProtection.Seal(header, [sa, new NoncePayload(nonce), new KeyExchangePayload((ushort)KeyExchangeMethod.Modp2048, ke.PublicValue)], a.OutboundCipher!);
        var ex = Record.Exception(() => h.B.Engine.Receive(new Datagram(new IPEndPoint(EngineHarness.AddressB, 500), new IPEndPoint(EngineHarness.AddressA, 500), data)));
        Assert.Null(ex);
    }
}
