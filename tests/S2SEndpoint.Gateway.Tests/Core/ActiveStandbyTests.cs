using System.Buffers.Binary;
using System.Net;
using S2SEndpoint.Ike.Sa;
using Xunit.Abstractions;
using static S2SEndpoint.Gateway.Tests.Core.InProcessGatewayTests;

namespace S2SEndpoint.Gateway.Tests.Core;

/// <summary>
/// Active-standby peers (issue 13): moon keeps a tunnel to sun, whose instances answer at 192.0.2.2 (active) and
/// 192.0.2.3 (standby) with one identity and key. When the established SA dies (DPD), moon establishes it again from
/// the first of its remote_addrs, in order; when the peer restarts at its address with its state lost, the tunnel comes
/// back by itself; when no address answers, attempts are spaced. Times are the fake clock's, advanced a second at a
/// time as the daemon's timer runs, with a ping on each child every second.
/// </summary>
public sealed class ActiveStandbyTests(ITestOutputHelper output)
{
    private const string Active = "192.0.2.2";
    private const string Standby = "192.0.2.3";
    private static readonly TimeSpan DpdDelay = TimeSpan.FromSeconds(30);

    /// <summary>strongSwan's retransmission ladder before giving up: 4 s, then x1.8, five retransmits (165.06 s).</summary>
    private static readonly TimeSpan Ladder = TimeSpan.FromSeconds(Enumerable.Range(0, 6).Sum(i => 4 * Math.Pow(1.8, i)));

    /// <summary>moon: "net" started and "net2" trapped, both with dpd_action restart; dpd_timeout at its default (the retransmissions) unless given.</summary>
    private static string Moon(string dpdTimeout = "") => $$"""
        {
          "gateway": { "tun_name": "s2s0" },
          "connections": {
            "moon": {
              "local_addrs": "192.0.2.1", "remote_addrs": "192.0.2.2, 192.0.2.3", "dpd_delay": "30s", {{(dpdTimeout.Length > 0 ? $"\"dpd_timeout\": \"{dpdTimeout}\"," : "")}}
              "proposals": "aes256gcm16-prfsha384-ecp384",
              "local": { "auth": "psk", "id": "moon" }, "remote": { "auth": "psk", "id": "sun" },
              "children": {
                "net": { "local_ts": "10.1.0.0/24", "remote_ts": "10.2.0.0/24", "esp_proposals": "aes256gcm16", "start_action": "start", "dpd_action": "restart" },
                "net2": { "local_ts": "10.1.1.0/24", "remote_ts": "10.2.1.0/24", "esp_proposals": "aes256gcm16", "start_action": "trap", "dpd_action": "restart" }
              }
            }
          },
          "secrets": { "ike-moon": { "id": "sun", "secret": "active-standby-psk" } }
        }
        """;

    /// <summary>One instance of sun at <paramref name="address"/>: a responder with sun's identity and key.</summary>
    private static string Sun(string address) => $$"""
        {
          "gateway": { "tun_name": "s2s0" },
          "connections": {
            "sun": {
              "local_addrs": "{{address}}", "remote_addrs": "192.0.2.1",
              "proposals": "aes256gcm16-prfsha384-ecp384",
              "local": { "auth": "psk", "id": "sun" }, "remote": { "auth": "psk", "id": "moon" },
              "children": {
                "net": { "local_ts": "10.2.0.0/24", "remote_ts": "10.1.0.0/24", "esp_proposals": "aes256gcm16" },
                "net2": { "local_ts": "10.2.1.0/24", "remote_ts": "10.1.1.0/24", "esp_proposals": "aes256gcm16" }
              }
            }
          },
          "secrets": { "ike-sun": { "id": "moon", "secret": "active-standby-psk" } }
        }
        """;

    private sealed class Lab
    {
        private readonly List<(GatewayCore Core, FakeIo Io)> _peers = [];
        private readonly HashSet<string> _silent = new(StringComparer.Ordinal);

        public Lab(string dpdTimeout = "")
        {
            Moon = new GatewayCore(TestConfig.Load(ActiveStandbyTests.Moon(dpdTimeout)), MoonIo, Clock, new SeededRandom(1));
            Net.Add("192.0.2.1", Moon, MoonIo);
            Net.Filter = (from, d) =>
            {
                if (from.Core == Moon && d.Remote.Port == 500 && IsInitRequest(d.Data))
                    Inits.Add((Clock.GetUtcNow(), d.Remote.Address.ToString(), BinaryPrimitives.ReadUInt64BigEndian(d.Data)));
                return _silent.Contains(d.Remote.Address.ToString()) || _silent.Contains(d.Local.Address.ToString()) ? [] : [d];
            };
        }

        public FakeClock Clock { get; } = new();
        public FakeIo MoonIo { get; } = new();
        public GatewayCore Moon { get; }
        public MemoryNetwork<GatewayHost> Net { get; } = new();

        /// <summary>Every IKE_SA_INIT request moon sent: when, to which address, with which initiator SPI.</summary>
        public List<(DateTimeOffset At, string To, ulong Spi)> Inits { get; } = [];

        /// <summary>A sun instance (a fresh one, state lost, if the address had one) at <paramref name="address"/>.</summary>
        public FakeIo StartSun(string address, int seed)
        {
            var io = new FakeIo();
            var core = new GatewayCore(TestConfig.Load(Sun(address)), io, Clock, new SeededRandom(seed));
            _peers.RemoveAll(p => p.Core.Config.Connections.Single().LocalAddresses[0].ToString() == address);
            _peers.Add((core, io));
            Net.Add(address, core, io);
            return io;
        }

        /// <summary>Everything to and from <paramref name="address"/> is lost, or no longer.</summary>
        public void Silence(string address, bool silent = true)
        {
            if (silent)
                _silent.Add(address);
            else
                _silent.Remove(address);
        }

        /// <summary>
        /// One second of the daemon: its timer runs at each deadline in the second (as the daemon's does when
        /// <see cref="GatewayCore.NextDeadline"/> passes) and at its end, when a ping goes on each child.
        /// </summary>
        public void Second()
        {
            var end = Clock.GetUtcNow() + TimeSpan.FromSeconds(1);
            for (var due = NextDeadline(); due < end; due = NextDeadline())
            {
                if (due > Clock.GetUtcNow())
                    Clock.SetUtcNow(due);
                Timers();
                if (due <= Clock.GetUtcNow() && NextDeadline() <= due)
                    break;
            }
            Clock.SetUtcNow(end);
            Pair.Inject(Moon, "s2s0", Ping("10.1.0.5", "10.2.0.7", 16));
            Pair.Inject(Moon, "s2s0", Ping("10.1.1.5", "10.2.1.7", 16));
            Timers();
        }

        private void Timers()
        {
            Moon.OnTimer();
            foreach (var (core, _) in _peers)
                core.OnTimer();
            Net.Pump();
        }

        private DateTimeOffset NextDeadline()
        {
            var next = Moon.NextDeadline;
            foreach (var (core, _) in _peers)
                next = core.NextDeadline < next ? core.NextDeadline : next;
            return next;
        }

        /// <summary>Seconds until <paramref name="done"/> holds, at most <paramref name="limit"/>; how long it took.</summary>
        public TimeSpan RunUntil(Func<bool> done, TimeSpan limit)
        {
            var start = Clock.GetUtcNow();
            while (!done())
            {
                Assert.True(Clock.GetUtcNow() - start < limit, $"not within {limit.TotalSeconds} s");
                Second();
            }
            return Clock.GetUtcNow() - start;
        }

        /// <summary>Both children's pings arrive at the instance behind <paramref name="io"/>.</summary>
        public static bool BothChildrenCarry(FakeIo io) =>
            io.Tun.Exists(t => t.Packet[16] == 10 && t.Packet[17] == 2 && t.Packet[18] == 0) &&
            io.Tun.Exists(t => t.Packet[16] == 10 && t.Packet[17] == 2 && t.Packet[18] == 1);

        /// <summary>RFC 7296 3.1: exchange type at octet 18 (IKE_SA_INIT is 34), flags at 19 (Response is 0x20).</summary>
        private static bool IsInitRequest(byte[] ike) => ike.Length >= 28 && ike[18] == 34 && (ike[19] & 0x20) == 0;
    }

    private static Lab UpOnTheActive(out FakeIo active, string dpdTimeout = "")
    {
        var lab = new Lab(dpdTimeout);
        active = lab.StartSun(Active, 2);
        lab.Moon.Start();
        lab.Net.Pump();
        var io = active;
        lab.RunUntil(() => Lab.BothChildrenCarry(io), TimeSpan.FromSeconds(5));
        Assert.Equal(2, Assert.Single(lab.Moon.Engine.Sas).Children.Count);
        return lab;
    }

    [Fact]
    public void ActiveGoesSilent_DpdDeclaresItDead_TriedAgainThenTheStandby_TrafficFlowsThroughTheStandby()
    {
        var lab = UpOnTheActive(out _);
        var standby = lab.StartSun(Standby, 3);
        lab.Inits.Clear();

        lab.Silence(Active);
        var took = lab.RunUntil(() => Lab.BothChildrenCarry(standby), TimeSpan.FromMinutes(10));

        // The liveness check goes unanswered (at most dpd_delay after the last answer, then the retransmissions); the
        // active address is tried again first, and when it does not answer either, the standby.
        var attempts = lab.Inits.GroupBy(i => i.Spi).Select(g => g.First()).ToList();
        Assert.Equal([Active, Standby], attempts.Select(a => a.To));
        Assert.Equal(6, lab.Inits.Count(i => i.To == Active));
        Assert.Equal(Ladder.TotalSeconds, (attempts[1].At - attempts[0].At).TotalSeconds, 1);
        output.WriteLine($"active silent to traffic through the standby: {took.TotalSeconds} s of fake time");
        Assert.True(took <= DpdDelay + Ladder + Ladder + TimeSpan.FromSeconds(1), $"took {took.TotalSeconds} s");
        var sa = Assert.Single(lab.Moon.Engine.Sas);
        Assert.Equal(IPAddress.Parse(Standby), sa.RemoteEndpoint.Address);
        Assert.Equal(2, sa.Children.Count);
        Assert.Equal(2, lab.Moon.Kernel.All.Count);
    }

    [Theory]
    [InlineData("")]
    [InlineData("15s")]
    public void PeerRestartsAtItsAddress_StateLost_TunnelBackByItself_WithinDpdDelayAndDpdTimeout(string dpdTimeout)
    {
        var lab = UpOnTheActive(out _, dpdTimeout);
        lab.Net.Pump();
        var old = Assert.Single(lab.Moon.Engine.Sas);

        // The active instance restarts: a fresh gateway at its address, which knows nothing of the SA and drops moon's ESP.
        var restarted = lab.StartSun(Active, 4);
        var took = lab.RunUntil(() => Lab.BothChildrenCarry(restarted), TimeSpan.FromMinutes(5));

        // Without dpd_timeout the liveness check's retransmissions decide (IKEv2, as strongSwan).
        var detect = dpdTimeout.Length > 0 ? TimeSpan.FromSeconds(15) : Ladder;
        output.WriteLine($"dpd_timeout '{dpdTimeout}': peer restarted to traffic flowing again: {took.TotalSeconds} s of fake time");
        Assert.True(took <= DpdDelay + detect + TimeSpan.FromSeconds(1), $"took {took.TotalSeconds} s");
        var sa = Assert.Single(lab.Moon.Engine.Sas);
        Assert.NotSame(old, sa);
        Assert.Equal(2, sa.Children.Count);
        // The first attempt came up: one IKE_SA_INIT request since the restart, to the same address.
        Assert.Equal(Active, Assert.Single(lab.Inits, i => i.At > lab.Clock.GetUtcNow() - took).To);
    }

    [Fact]
    public void EveryAddressDead_AttemptsSpacedByTheRetransmissionsAndTheKeeper_RecoversWhenOneComesBack()
    {
        var lab = UpOnTheActive(out _);
        var standby = lab.StartSun(Standby, 3);
        lab.Silence(Active);
        lab.Silence(Standby);
        lab.Inits.Clear();
        for (var i = 0; i < 30 * 60; i++)
            lab.Second();

        // No tight loop: in any minute at most six IKE_SA_INIT requests (retransmissions included) and two new attempts.
        foreach (var (at, _, _) in lab.Inits)
        {
            var minute = lab.Inits.Where(x => x.At >= at && x.At < at + TimeSpan.FromMinutes(1)).ToList();
            Assert.True(minute.Count <= 6, $"{minute.Count} IKE_SA_INIT requests in the minute from {at}");
            Assert.True(minute.Select(x => x.Spi).Distinct().Count() <= 2, $"{minute.Select(x => x.Spi).Distinct().Count()} attempts in the minute from {at}");
        }
        var attempts = lab.Inits.GroupBy(i => i.Spi).Select(g => g.First().To).ToList();
        Assert.True(attempts.Count >= 6, $"{attempts.Count} attempts in 30 minutes");
        // Always in order: the active address, then the standby.
        Assert.All(attempts.Chunk(2), pair => Assert.Equal(Active, pair[0]));

        // The standby comes back: the tunnel follows without anybody asking.
        lab.Silence(Standby, false);
        var took = lab.RunUntil(() => Lab.BothChildrenCarry(standby), TimeSpan.FromMinutes(7));
        Assert.Equal(IPAddress.Parse(Standby), Assert.Single(lab.Moon.Engine.Sas).RemoteEndpoint.Address);
        output.WriteLine($"{attempts.Count} attempts in 30 minutes; standby back to traffic flowing: {took.TotalSeconds} s of fake time");
        Assert.True(took <= Ladder + ConnectionKeeper.MaxRetryInterval + Ladder + TimeSpan.FromSeconds(1), $"took {took.TotalSeconds} s");
    }

    [Fact]
    public void EveryAddressDead_ATrappedPacketStartsTheNextAttempt_TheStartChildComesUpWithIt()
    {
        var lab = UpOnTheActive(out var active);
        lab.Silence(Active);
        lab.Silence(Standby);
        lab.Inits.Clear();
        // The restart's pass over both addresses ends; the trapped child's next packet starts another attempt at once.
        lab.RunUntil(() => lab.Inits.Select(i => i.Spi).Distinct().Count() == 3, TimeSpan.FromMinutes(10));
        lab.Silence(Active, false);
        active.Tun.Clear();
        lab.RunUntil(() => Lab.BothChildrenCarry(active), TimeSpan.FromMinutes(4));
        Assert.Equal(["net", "net2"], Assert.Single(lab.Moon.Engine.Sas).Children.Select(c => c.Config.Name).Order());
    }
}
