using System.Net;
using Microsoft.Extensions.Logging;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;
using S2SEndpoint.Ike.Tests.Support;

namespace S2SEndpoint.Ike.Tests.Engine;

/// <summary>
/// An established IKE SA whose peer died (an active-standby pair failed over, or the peer restarted and lost its
/// state): with dpd_action restart the SA is established again from the first of remote_addrs, in order, with
/// INITIAL_CONTACT, and brings back every child that was up; when no address answers it stops.
/// </summary>
public sealed class FailoverTests
{
    private static readonly IPAddress AddressC = IPAddress.Parse("192.0.2.3");

    /// <summary>strongSwan's retransmission ladder before giving up: 4 s, then x1.8, five retransmits (165.06 s).</summary>
    private static readonly TimeSpan Ladder = TimeSpan.FromSeconds(Enumerable.Range(0, 6).Sum(i => 4 * Math.Pow(1.8, i)));

    private static readonly TimeSpan DpdDelay = TimeSpan.FromSeconds(30);

    /// <summary>A second child beside the harness's "net", so that a restart must bring back more than the first.</summary>
    private static IkeSaConfig WithSecondChild(IkeSaConfig c, string localTs, string remoteTs) => c with
    {
        Children = [.. c.Children, c.Children[0] with { Name = "net2", LocalTs = [EngineHarness.Prefix(localTs)], RemoteTs = [EngineHarness.Prefix(remoteTs)] }],
    };

    private static IkeSaConfig Moon(IkeSaConfig c, params IPAddress[] remotes) =>
        WithSecondChild(c, "10.1.1.0/24", "10.2.1.0/24") with { RemoteAddresses = remotes, DpdDelay = DpdDelay, DpdAction = DpdAction.Restart };

    /// <summary>The standby (or the restarted peer): sun's identity and pre-shared key, at <paramref name="address"/>.</summary>
    private static IkeSaConfig Sun(IPAddress address) => WithSecondChild(
        EngineHarness.Config("sun", address, EngineHarness.AddressA, "sun.s2s.test", "moon.s2s.test", "10.2.0.0/24", "10.1.0.0/24"), "10.2.1.0/24", "10.1.1.0/24");

    private static bool IsInitRequest(Datagram d)
    {
        var header = EstablishmentTests.Parse(d.Data).Header;
        return header.Exchange == ExchangeType.IkeSaInit && !header.IsResponse;
    }

    private static void EstablishBoth(EngineHarness h)
    {
        h.A.Engine.Initiate("moon");
        h.Pump();
        h.AssertEstablished(children: 2);
    }

    /// <summary>Runs the clock a second at a time (timers at their deadlines) until A has an established SA other than <paramref name="old"/>.</summary>
    private static void RunUntilReestablished(EngineHarness h, IkeSa old, TimeSpan limit)
    {
        var end = h.Clock.GetUtcNow() + limit;
        while (h.A.Established is not { } sa || sa == old)
        {
            Assert.True(h.Clock.GetUtcNow() < end, $"not established again within {limit.TotalSeconds} s");
            h.Run(TimeSpan.FromSeconds(1));
        }
    }

    [Fact]
    public void EstablishedSaDied_DpdRestart_TriesTheFirstAddressAgainThenTheNext_AllChildrenBack()
    {
        var h = new EngineHarness(a => Moon(a, EngineHarness.AddressB, AddressC), b => WithSecondChild(b, "10.2.1.0/24", "10.1.1.0/24"));
        var standby = h.AddSide("C", AddressC, Sun(AddressC), 7, 0xc3000001);
        EstablishBoth(h);
        var old = h.A.Established!;
        Assert.Equal(EngineHarness.AddressB, old.RemoteEndpoint.Address);

        // B goes silent: everything to and from it is lost. A notes each IKE_SA_INIT request it sends.
        var died = h.Clock.GetUtcNow();
        var inits = new List<(TimeSpan At, IPAddress To, ulong Spi)>();
        h.Net.Filter = (from, d) =>
        {
            if (from == h.A && IsInitRequest(d))
                inits.Add((h.Clock.GetUtcNow() - died, d.Remote.Address, EstablishmentTests.Parse(d.Data).Header.InitiatorSpi));
            return from == h.B || d.Remote.Address.Equals(EngineHarness.AddressB) ? [] : [d];
        };
        RunUntilReestablished(h, old, TimeSpan.FromMinutes(10));

        // Dead after dpd_delay and the liveness check's retransmissions; then B again (the first address), and when it
        // does not answer either, C.
        Assert.Equal(IkeSaState.Destroyed, old.State);
        Assert.Contains(h.A.EventsOf<IkeSaClosed>(), e => e.Reason.StartsWith("peer is dead", StringComparison.Ordinal));
        var attempts = inits.GroupBy(i => i.Spi).Select(g => (g.First().At, g.First().To)).ToList();
        Assert.Equal([EngineHarness.AddressB, AddressC], attempts.Select(a => a.To));
        Assert.Equal((DpdDelay + Ladder).TotalSeconds, attempts[0].At.TotalSeconds, 1);
        Assert.Equal((DpdDelay + Ladder + Ladder).TotalSeconds, attempts[1].At.TotalSeconds, 1);
        Assert.Equal(6, inits.Count(i => i.To.Equals(EngineHarness.AddressB)));

        // Both children are back, on C, and only the new ones are in A's data plane.
        var sa = h.A.Established!;
        Assert.Equal(AddressC, sa.RemoteEndpoint.Address);
        Assert.Equal(["net", "net2"], sa.Children.Select(c => c.Config.Name).Order());
        Assert.Equal(2, h.A.Kernel.Active.Count());
        Assert.All(h.A.Kernel.Active, i => Assert.Equal(AddressC, i.RemoteEndpoint.Address));
        Assert.Equal(2, standby.Kernel.Active.Count());
        Assert.Equal(standby.Established!.InitiatorSpi, sa.InitiatorSpi);
    }

    [Fact]
    public void EstablishedOnTheSecondAddress_ItDies_StartsAgainFromTheFirst()
    {
        var h = new EngineHarness(a => Moon(a, AddressC, EngineHarness.AddressB), b => WithSecondChild(b, "10.2.1.0/24", "10.1.1.0/24"));
        var first = h.AddSide("C", AddressC, Sun(AddressC), 7, 0xc3000001);
        // The first address is down at the start: A fails over to B.
        h.Net.Filter = (from, d) => from == first || d.Remote.Address.Equals(AddressC) ? [] : [d];
        h.A.Engine.Initiate("moon");
        h.Pump();
        h.Run(Ladder + TimeSpan.FromSeconds(1));
        var old = h.A.Established!;
        Assert.Equal(EngineHarness.AddressB, old.RemoteEndpoint.Address);
        Assert.Equal(["net", "net2"], old.Children.Select(c => c.Config.Name).Order());

        // C is back, B dies: the restart goes to C, the first address, at once.
        var died = h.Clock.GetUtcNow();
        h.Net.Filter = (from, d) => from == h.B || d.Remote.Address.Equals(EngineHarness.AddressB) ? [] : [d];
        RunUntilReestablished(h, old, TimeSpan.FromMinutes(5));
        Assert.Equal(AddressC, h.A.Established!.RemoteEndpoint.Address);
        // It was last heard a second before it died.
        Assert.Equal((DpdDelay + Ladder - TimeSpan.FromSeconds(1)).TotalSeconds, (h.A.Established.EstablishedAt - died).TotalSeconds, 1);
        Assert.Equal(2, first.Kernel.Active.Count());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    public void PeerRestartedWithItsStateLost_TunnelBackWithInitialContact_WithinDpdDelayAndTimeout(int dpdTimeout)
    {
        var h = new EngineHarness(a => Moon(a, EngineHarness.AddressB) with { DpdTimeout = TimeSpan.FromSeconds(dpdTimeout) },
            b => WithSecondChild(b, "10.2.1.0/24", "10.1.1.0/24"));
        EstablishBoth(h);
        var old = h.A.Established!;
        h.Run(TimeSpan.FromSeconds(10));

        // B restarts: a fresh engine at its address, which knows nothing of the SA. A's liveness check goes unanswered.
        var log = new ListLogger(LogLevel.Debug);
        var restarted = h.AddSide("B'", EngineHarness.AddressB, Sun(EngineHarness.AddressB), 9, 0xc4000001, log);
        var restartedAt = h.Clock.GetUtcNow();
        RunUntilReestablished(h, old, TimeSpan.FromMinutes(5));

        // The quiet time began at the last message heard (10 s before the restart); then dpd_timeout, or without one the
        // retransmissions, declare the peer dead, and the restart comes up at its first attempt.
        var took = h.A.Established!.EstablishedAt - restartedAt;
        var detect = dpdTimeout > 0 ? TimeSpan.FromSeconds(dpdTimeout) : Ladder;
        Assert.Equal((DpdDelay - TimeSpan.FromSeconds(10) + detect).TotalSeconds, took.TotalSeconds, 1);
        Assert.True(took <= DpdDelay + detect);
        Assert.Contains(log.Lines, l => l.Text.Contains("received IkeAuth request 1 [", StringComparison.Ordinal) && l.Text.Contains("N(INITIAL_CONTACT)", StringComparison.Ordinal));
        Assert.Equal(2, h.A.Established!.Children.Count);
        Assert.Equal(2, restarted.Kernel.Active.Count());
        Assert.Equal(2, h.A.Kernel.Active.Count());
    }

    [Fact]
    public void EveryAddressDead_DpdRestart_EachTriedOnceInOrderThenNoMore()
    {
        var h = new EngineHarness(a => Moon(a, EngineHarness.AddressB, AddressC));
        h.AddSide("C", AddressC, Sun(AddressC), 7, 0xc3000001);
        h.A.Engine.Initiate("moon");
        h.Pump();
        Assert.NotNull(h.A.Established);
        var inits = new List<(IPAddress To, ulong Spi)>();
        h.Net.Filter = (from, d) =>
        {
            if (from == h.A && IsInitRequest(d))
                inits.Add((d.Remote.Address, EstablishmentTests.Parse(d.Data).Header.InitiatorSpi));
            return [];
        };
        h.Run(TimeSpan.FromMinutes(30));
        // The engine's restart is one pass over remote_addrs; keeping a connection up for ever is start_action start's
        // (the gateway's ConnectionKeeper, with its back-off).
        Assert.Equal([EngineHarness.AddressB, AddressC], inits.GroupBy(i => i.Spi).Select(g => g.First().To));
        Assert.Empty(h.A.Engine.Sas);
        Assert.Empty(h.A.Kernel.Active);
    }
}
