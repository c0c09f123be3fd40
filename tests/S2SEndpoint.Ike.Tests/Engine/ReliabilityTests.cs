using System.Net;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Tests.Engine;

/// <summary>Lost, duplicated and reordered datagrams at every step; retransmission, give-up and liveness.</summary>
public sealed class ReliabilityTests
{
    /// <summary>The four datagrams of establishment: init request, init response, auth request, auth response.</summary>
    public static TheoryData<int> EveryStep => new() { 0, 1, 2, 3 };

    [Theory]
    [MemberData(nameof(EveryStep))]
    public void Establish_DatagramLostAtEveryStep_RecoversByRetransmission(int lost)
    {
        var h = new EngineHarness();
        var seen = 0;
        h.Net.Filter = (from, d) => seen++ == lost ? [] : [d];
        h.A.Engine.Initiate("moon");
        h.Pump();
        Assert.Null(h.A.Established);
        h.Advance(TimeSpan.FromSeconds(4));
        h.AssertEstablished();
        // A lost response is answered from the cache: the responder installs its Child SA once.
        Assert.Single(h.B.Kernel.Installed);
        Assert.Single(h.A.Kernel.Installed);
    }

    [Theory]
    [MemberData(nameof(EveryStep))]
    public void Establish_DatagramDuplicatedAtEveryStep_ProcessedOnce(int duplicated)
    {
        var h = new EngineHarness();
        var seen = 0;
        h.Net.Filter = (from, d) => seen++ == duplicated ? [d, d] : [d];
        h.Establish();
        Assert.Single(h.B.Kernel.Installed);
        Assert.Single(h.A.Kernel.Installed);
        Assert.Single(h.A.Engine.Sas);
        Assert.Single(h.B.Engine.Sas);
    }

    [Fact]
    public void Establish_RetransmittedAuthRequestArrivesAfterTheOriginal_AnsweredFromCache()
    {
        // Reordering: the original and a retransmission of IKE_AUTH reach B one after the other.
        var h = new EngineHarness();
        var held = new List<Datagram>();
        h.Net.Filter = (from, d) =>
        {
            if (from == h.A && EstablishmentTests.Parse(d.Data).Header.Exchange == ExchangeType.IkeAuth && held.Count == 0)
            {
                held.Add(d);
                return [];
            }
            return [d];
        };
        h.A.Engine.Initiate("moon");
        h.Pump();
        h.Advance(TimeSpan.FromSeconds(4));     // retransmission gets through
        h.Net.Deliver(held[0]); // the late original
        h.Pump();
        h.AssertEstablished();
        Assert.Single(h.B.Kernel.Installed);
    }

    [Fact]
    public void Request_ResponderNeverAnswers_GivesUpAfterFiveRetransmitsWithStrongSwansBackoff()
    {
        var h = new EngineHarness();
        h.Net.Filter = (from, d) => from == h.B ? [] : [d];
        h.A.Engine.Initiate("moon");
        h.Pump();
        var sent = new List<DateTimeOffset> { h.Clock.GetUtcNow() };
        h.Net.Filter = (from, d) =>
        {
            if (from == h.A)
                sent.Add(h.Clock.GetUtcNow());
            return [];
        };
        h.Run(TimeSpan.FromMinutes(5));
        // 4 s, then x1.8 each time: 4, 7.2, 12.96, 23.3, 42 s between sends; then 75.6 s to give up.
        Assert.Equal(6, sent.Count);
        Assert.Equal(4.0, (sent[1] - sent[0]).TotalSeconds, 1);
        Assert.Equal(7.2, (sent[2] - sent[1]).TotalSeconds, 1);
        Assert.Equal(41.99, (sent[5] - sent[4]).TotalSeconds, 1);
        Assert.Empty(h.A.Engine.Sas);
        var closed = Assert.Single(h.A.EventsOf<IkeSaClosed>());
        Assert.Contains("unanswered after 5 retransmits", closed.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Initiate_FirstGatewayDead_FailsOverToTheSecondRemoteAddress()
    {
        var dead = IPAddress.Parse("192.0.2.9");
        var h = new EngineHarness(a => a with { RemoteAddresses = [dead, EngineHarness.AddressB] });
        h.Net.Filter = (from, d) => d.Remote.Address.Equals(dead) ? [] : [d];
        h.A.Engine.Initiate("moon");
        h.Pump();
        h.Run(TimeSpan.FromMinutes(3));
        h.AssertEstablished();
        Assert.Equal(EngineHarness.AddressB, h.A.Established!.RemoteEndpoint.Address);
    }

    [Fact]
    public void Response_MatchingNoRequest_IsDroppedAndCounted()
    {
        var h = new EngineHarness();
        h.Establish();
        var a = h.A.Established!;
        var stray = new IkeMessage(new IkeHeader(a.InitiatorSpi, a.ResponderSpi, PayloadType.NoNextPayload, ExchangeType.Informational, HeaderFlags.Response, 7, 0), []).ToArray();
        h.A.Engine.Receive(new Datagram(new IPEndPoint(EngineHarness.AddressA, 500), new IPEndPoint(EngineHarness.AddressB, 500), stray));
        Assert.True(h.A.Engine.Drops.Count(IkeDropReason.ResponseMatchesNoRequest) > 0);
        Assert.Equal(IkeSaState.Established, a.State);
    }

    [Fact]
    public void Garbage_ToAnEstablishedSa_NeverChangesIt()
    {
        var h = new EngineHarness();
        h.Establish();
        var b = h.B.Established!;
        var keys = b.Keys!.SkD.ToArray();
        var random = new SeededRandom(99);
        var local = new IPEndPoint(EngineHarness.AddressB, 4500);
        var remote = new IPEndPoint(EngineHarness.AddressA, 4500);
        for (var i = 0; i < 2000; i++)
        {
            var body = new byte[28 + (i % 200)];
            random.Fill(body);
            // A valid header for B's SA with random payloads, sometimes a request, sometimes a response.
            var header = new IkeHeader(b.InitiatorSpi, b.ResponderSpi, (PayloadType)body[16], (ExchangeType)(34 + (i % 4)),
                (i % 2 == 0 ? HeaderFlags.Initiator : HeaderFlags.Initiator | HeaderFlags.Response), (uint)(i % 5), (uint)body.Length);
            header.Write(body);
            h.B.Engine.Receive(new Datagram(local, remote, body));
        }
        h.Pump();
        Assert.Same(b, h.B.Established);
        Assert.Equal(keys, b.Keys!.SkD);
        Assert.Single(h.B.Kernel.Active);
        h.A.Engine.CheckLiveness("moon");
        h.Pump();
        Assert.Equal(IkeSaState.Established, h.A.Established!.State);
    }

    [Fact]
    public void SpoofedInitFlood_TenThousandRequests_BoundedMemoryAndEstablishedSaUntouched()
    {
        // The worst case: B answers any address (no remote_addrs), so every spoofed request is a candidate.
        var h = new EngineHarness(configureB: b => b with { RemoteAddresses = [] }, optionsB: new IkeEngineOptions { CookieThreshold = 10, HalfOpenLimit = 100 });
        h.Establish();
        var b = h.B.Established!;
        var request = h.Net.Wire[0].Datagram.Data;
        var random = new SeededRandom(5);
        var spi = new byte[8];
        var cookies = 0;
        for (var i = 0; i < 10_000; i++)
        {
            var spoofed = (byte[])request.Clone();
            random.Fill(spi);
            spi.CopyTo(spoofed, 0);
            var source = new IPEndPoint(new IPAddress([198, 51, unchecked((byte)(i >> 8)), unchecked((byte)i)]), 500);
            h.B.Engine.Receive(new Datagram(new IPEndPoint(EngineHarness.AddressB, 500), source, spoofed));
            cookies += h.B.Engine.TakeOutgoing().Count(d => EstablishmentTests.Parse(d.Data).Payloads is [NotifyPayload { NotifyType: NotifyType.Cookie }]);
        }
        // Past the threshold every request is answered with a cookie and no state is kept.
        Assert.InRange(h.B.Engine.Sas.Count, 1, 11);
        Assert.Equal(10_000 - 10, cookies);
        Assert.Same(b, h.B.Established);
        h.Advance(TimeSpan.FromSeconds(31));
        Assert.Single(h.B.Engine.Sas);
        h.A.Engine.CheckLiveness("moon");
        h.Pump();
        Assert.Same(b, h.B.Established);
    }

    [Fact]
    public void Liveness_QuietPeer_EmptyInformationalAnswered()
    {
        var h = new EngineHarness(a => a with { DpdDelay = TimeSpan.FromSeconds(30) });
        h.Establish();
        h.Net.Wire.Clear();
        h.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(2, h.Net.Wire.Count);
        Assert.Equal(ExchangeType.Informational, EstablishmentTests.Parse(h.Net.Wire[0].Datagram.Data).Header.Exchange);
        Assert.NotNull(h.A.Established);
    }

    [Fact]
    public void Liveness_EspTrafficFromThePeer_PostponesTheCheck()
    {
        var h = new EngineHarness(a => a with { DpdDelay = TimeSpan.FromSeconds(30) });
        h.Establish();
        h.Net.Wire.Clear();
        var child = h.A.Kernel.Installed[0];
        h.A.Kernel.Usage[child.InboundSpi] = new ChildSaUsage(100, 1, 0, 0, h.Clock.GetUtcNow() + TimeSpan.FromSeconds(20));
        h.Advance(TimeSpan.FromSeconds(31));
        Assert.Empty(h.Net.Wire);
        h.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(2, h.Net.Wire.Count);
    }

    [Fact]
    public void Liveness_DeadPeerWithRestart_ClosesThenReestablishes()
    {
        var h = new EngineHarness(a => a with { DpdDelay = TimeSpan.FromSeconds(10), DpdTimeout = TimeSpan.FromSeconds(30), DpdAction = DpdAction.Restart });
        h.Establish();
        var old = h.A.Established!;
        h.Net.Filter = (from, d) => [];
        h.Run(TimeSpan.FromSeconds(45));
        Assert.Equal(IkeSaState.Destroyed, old.State);
        Assert.Contains(h.A.EventsOf<IkeSaClosed>(), e => e.Reason.Contains("peer is dead", StringComparison.Ordinal));
        Assert.Empty(h.A.Kernel.Active);
        // The peer comes back: the restarted SA gets through, and the responder's stale SA is replaced.
        h.Net.Filter = null;
        h.Run(TimeSpan.FromSeconds(30));
        Assert.NotNull(h.A.Established);
        Assert.NotSame(old, h.A.Established);
        Assert.Single(h.A.Kernel.Active);
        // INITIAL_CONTACT made B drop the SA of A's earlier life.
        Assert.Single(h.B.Engine.Sas);
        Assert.Single(h.B.Kernel.Active);
        Assert.Contains(h.B.EventsOf<IkeSaClosed>(), e => e.Reason.Contains("INITIAL_CONTACT", StringComparison.Ordinal));
    }

    [Fact]
    public void Liveness_DeadPeerWithClear_ClosesAndStaysDown()
    {
        var h = new EngineHarness(a => a with { DpdDelay = TimeSpan.FromSeconds(10), DpdAction = DpdAction.Clear });
        h.Establish();
        h.Net.Filter = (from, d) => [];
        h.Run(TimeSpan.FromMinutes(5));
        Assert.Empty(h.A.Engine.Sas);
        Assert.Empty(h.A.Kernel.Active);
    }

    [Fact]
    public void HalfOpen_ResponderNeverSeesIkeAuth_ExpiresQuietly()
    {
        var h = new EngineHarness();
        h.Net.Filter = (from, d) => from == h.A && EstablishmentTests.Parse(d.Data).Header.Exchange == ExchangeType.IkeAuth ? [] : [d];
        h.A.Engine.Initiate("moon");
        h.Pump();
        Assert.Single(h.B.Engine.Sas);
        h.Clock.Advance(TimeSpan.FromSeconds(31));
        h.B.Engine.OnTimer();
        Assert.Empty(h.B.Engine.Sas);
    }
}
