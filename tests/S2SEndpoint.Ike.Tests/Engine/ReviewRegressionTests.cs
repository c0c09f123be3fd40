// Regression tests for the findings of a review of the engine against RFC 7296 and strongSwan 5.9.8:
// each failed before its fix. The comment above each names the finding.
using System.Buffers.Binary;
using System.Net;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;
using S2SEndpoint.Ike.Tests.Engine;
using S2SEndpoint.Ike.Tests.Support;

namespace S2SEndpoint.Ike.Tests.Engine;

public sealed class ReviewRegressionTests
{
    private static readonly IPEndPoint B500 = new(EngineHarness.AddressB, 500);
    private static readonly IPEndPoint A500 = new(EngineHarness.AddressA, 500);

    // F1: an SK payload too short for IV+ICV is answered with INVALID_SYNTAX before any ICV check,
    // and the answer consumes the message ID: the real peer's next request is then dropped.
    [Fact]
    public void ForgedShortSkPayload_DoesNotConsumeTheMessageId()
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
    public void ForgedShortSkPayload_LivenessStillSucceeds()
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

    // F2: an IKE_SA_INIT request naming the initiator SPI of an IKE SA that we answered a rekey for
    // (our side is not the original initiator, no request seen yet on it) re-runs IKE_SA_INIT on it.
    [Fact]
    public void UnauthenticatedInitRequest_LeavesARekeyedSaAlone()
    {
        var h = new EngineHarness();
        h.Establish();
        var init = h.Wire[0].Datagram.Data;
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

    // F3: after a COOKIE (or INVALID_KE) retry the NAT detection notifies are gone from IKE_SA_INIT.
    [Fact]
    public void CookieRetry_KeepsNatDetection()
    {
        var h = new EngineHarness(configureB: b => b with { RemoteAddresses = [] }, optionsB: new IkeEngineOptions { CookieThreshold = 0 });
        h.PutABehindNat();
        h.Establish();
        var retry = EstablishmentTests.Parse(h.Wire[2].Datagram.Data);
        Assert.Contains(retry.Payloads, p => p is NotifyPayload { NotifyType: NotifyType.NatDetectionSourceIp });
        Assert.True(h.A.Kernel.Installed[0].UdpEncapsulation);
    }

    [Fact]
    public void InvalidKeRetry_KeepsNatDetection()
    {
        var h = new EngineHarness(
            a => a with { Proposals = Ike("aes256-sha256-ecp256-modp2048") },
            b => b with { Proposals = Ike("aes256-sha256-modp2048") });
        h.Establish();
        var retry = EstablishmentTests.Parse(h.Wire[2].Datagram.Data);
        Assert.Contains(retry.Payloads, p => p is NotifyPayload { NotifyType: NotifyType.NatDetectionSourceIp });
    }

    // F4: counters keyed by reasons that carry hex SPIs: one new key per spoofed SPI.
    [Fact]
    public void RandomSpiFlood_DropCountersStayBounded()
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

    // F5: crossing Child SA deletes: RFC 7296 1.4.1 "the responses MUST NOT include Delete payloads for the deleted SAs".
    [Fact]
    public void CrossingChildDeletes_ResponsesCarryNoDelete()
    {
        var h = new EngineHarness();
        h.Establish();
        var aSa = h.A.Established!;
        var bSa = h.B.Established!;
        var responses = new List<(Side From, byte[] Data)>();
        h.Network = (from, d) =>
        {
            var m = EstablishmentTests.Parse(d.Data);
            if (m.Header.IsResponse && m.Header.Exchange == ExchangeType.Informational)
                responses.Add((from, d.Data));
            return [d];
        };
        h.A.Engine.TerminateChild("moon", "net");
        h.B.Engine.TerminateChild("sun", "net");
        h.Pump();
        Assert.NotEmpty(responses);
        foreach (var (from, data) in responses)
        {
            var receiver = from == h.A ? bSa : aSa;
            Assert.True(IkeMessage.TryParse(data, out var m, out _));
            Assert.True(SkProtection.TryOpen(m, receiver.InboundCipher!, out var inner, out _));
            Assert.DoesNotContain(inner, p => p is DeletePayload); // fails
        }
    }

    // F6: a delete that times out with dpd_action=restart brings the connection back up.
    [Fact]
    public void TerminateWithUnreachablePeer_DoesNotRestart()
    {
        var h = new EngineHarness(a => a with { DpdAction = DpdAction.Restart });
        h.Establish();
        var sent = new List<IkeMessage>();
        h.Network = (from, d) => { if (from == h.A) sent.Add(EstablishmentTests.Parse(d.Data)); return []; };
        h.A.Engine.Terminate("moon");
        h.Pump();
        h.Run(TimeSpan.FromSeconds(200));
        Assert.DoesNotContain(sent, m => m.Header.Exchange == ExchangeType.IkeSaInit); // fails
    }

    // F7: a peer offering many selectors makes the response's TS payload overflow: the exception leaves Receive.
    [Fact]
    public void ManySelectors_DoNotThrowOutOfReceive()
    {
        var many = Enumerable.Range(1, 200).Select(i => EngineHarness.Prefix($"10.1.0.{i}/32")).ToList();
        var tcp = new TrafficSelector(TrafficSelectorType.Ipv4AddressRange, 6, 0, 65535, IPAddress.Parse("10.1.0.0"), IPAddress.Parse("10.1.0.255"));
        var h = new EngineHarness(
            a => a with { Children = [a.Children[0] with { LocalTs = many }] },
            b => b with { Children = [b.Children[0] with { RemoteTs = [.. b.Children[0].RemoteTs, tcp] }] });
        var ex = Record.Exception(() => { h.A.Engine.Initiate("moon"); h.Pump(); });
        Assert.Null(ex);
    }

    // F8: a Child SA rekey refused with TEMPORARY_FAILURE is never retried (strongSwan retries after 5..15 s).
    [Fact]
    public void ChildRekeyTemporaryFailure_IsRetried()
    {
        var h = new EngineHarness(a => a with { Children = [a.Children[0] with { RekeyTime = TimeSpan.FromSeconds(100) }] });
        h.Establish();
        var requests = 0;
        var forged = false;
        h.Network = (from, d) =>
        {
            var m = EstablishmentTests.Parse(d.Data);
            if (m.Header.Exchange != ExchangeType.CreateChildSa)
                return [d];
            if (from == h.A && !m.Header.IsResponse)
                requests++;
            if (from == h.B && m.Header.IsResponse && !forged)
            {
                forged = true;
                var bSa = h.B.Engine.Sas.First(s => s.InitiatorSpi == m.Header.InitiatorSpi);
                var header = bSa.Header(ExchangeType.CreateChildSa, true, m.Header.MessageId);
                return [new Datagram(d.Local, d.Remote, SkProtection.Seal(header, [NotifyPayload.Status(NotifyType.TemporaryFailure)], bSa.OutboundCipher!))];
            }
            return [d];
        };
        h.Run(TimeSpan.FromSeconds(100 + 60));
        Assert.True(forged);
        Assert.True(requests >= 2, $"{requests} CREATE_CHILD_SA request(s) from A");
    }

    private static IReadOnlyList<Proposal> Ike(string s)
    {
        Assert.True(ProposalKeywords.TryParseList(s, ProtocolId.Ike, out var list, out var e), e);
        return list;
    }

    [Fact]
    public void ForgedInit_SaAndChildrenSurvive()
    {
        var h = new EngineHarness();
        h.Establish();
        var init = h.Wire[0].Datagram.Data;
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

    [Fact]
    public void CookieRetryBehindNat_EncapsulatesEsp()
    {
        var h = new EngineHarness(configureB: b => b with { RemoteAddresses = [] }, optionsB: new IkeEngineOptions { CookieThreshold = 0 });
        h.PutABehindNat();
        h.Establish();
        Assert.True(h.A.Kernel.Installed[0].UdpEncapsulation, "A installed ESP without UDP encapsulation behind a NAT");
        Assert.True(h.B.Kernel.Installed[0].UdpEncapsulation, "B installed ESP without UDP encapsulation");
    }

    // F9: an IKE rekey request whose proposals repeat a number with a 4-octet SPI first throws out of Receive.
    [Fact]
    public void IkeRekeyDuplicateProposalNumbers_DoesNotThrowOutOfReceive()
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
