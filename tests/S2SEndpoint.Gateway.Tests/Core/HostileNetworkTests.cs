using System.Net;
using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Net;

namespace S2SEndpoint.Gateway.Tests.Core;

/// <summary>
/// The gateway in memory under what an internet can send: its readers and timer survive any exception, new IKE SA
/// requests are thinned per source after the remote_addrs check, and a flood never keeps a peer out.
/// </summary>
public sealed class HostileNetworkTests
{
    private const string Child = """ "net": { "local_ts": "10.1.0.0/24", "remote_ts": "10.2.0.0/24", "esp_proposals": "aes256gcm16", "start_action": "START" } """;

    /// <summary>Fake I/O whose sends throw while <see cref="Throw"/> is set (a bug below the core).</summary>
    private sealed class ThrowingIo : IGatewayIo
    {
        public bool Throw { get; set; }
        public int Sent { get; private set; }

        public void SendUdp(IPEndPoint local, IPEndPoint remote, ReadOnlySpan<byte> payload)
        {
            if (Throw)
                throw new InvalidOperationException("send failed");
            Sent++;
        }

        public void WriteTun(string device, ReadOnlySpan<byte> packet)
        {
        }

        public void SetCarrier(string device, bool up)
        {
        }

        public void SetVirtualIp(string connection, string device, System.Net.IPAddress address, bool present)
        {
        }
    }

    [Fact]
    public void Timer_SurvivesAnExceptionBelowIt_CountsItAndRunsAgain()
    {
        var clock = new FakeClock();
        var io = new ThrowingIo();
        var core = new GatewayCore(TestConfig.Load(InProcessGatewayTests.Config("gw", "192.0.2.1", "192.0.2.2", "a.test", "b.test", Child, "start")), io, clock, new SeededRandom(1));
        core.Start();
        Assert.Equal(1, io.Sent);

        io.Throw = true;
        clock.Advance(TimeSpan.FromSeconds(5));
        core.OnTimer();
        Assert.Equal(1, core.Counters.Drops.Count(GatewayDropReason.InternalError));

        io.Throw = false;
        clock.Advance(TimeSpan.FromSeconds(10));
        core.OnTimer();
        Assert.True(io.Sent > 1);
    }

    [Fact]
    public void UdpReader_SurvivesAnExceptionBelowIt()
    {
        var clock = new FakeClock();
        var io = new ThrowingIo();
        var responder = new GatewayCore(TestConfig.Load(InProcessGatewayTests.Config("gw", "192.0.2.2", "192.0.2.1", "b.test", "a.test", Child, "none")), io, clock, new SeededRandom(2));
        var initiatorIo = new FakeIo();
        var initiator = new GatewayCore(TestConfig.Load(InProcessGatewayTests.Config("gw", "192.0.2.1", "192.0.2.2", "a.test", "b.test", Child, "start")), initiatorIo, clock, new SeededRandom(1));
        initiator.Start();
        var (local, remote, data) = Assert.Single(initiatorIo.Udp);
        var buffer = new PacketBuffer(2048);

        io.Throw = true;
        buffer.Load(data, 0);
        responder.OnUdp(remote, local, buffer);
        Assert.Equal(1, responder.Counters.Drops.Count(GatewayDropReason.InternalError));

        io.Throw = false;
        buffer.Load(data, 0);
        responder.OnUdp(remote, local, buffer);
        Assert.Equal(1, io.Sent);
    }

    // ---- floods of new IKE SA requests ----

    private const string HubChild = """ "net": { "local_ts": "10.2.0.0/24", "remote_ts": "10.0.0.0/8", "esp_proposals": "aes256gcm16", "start_action": "none" } """;

    private static string Spoke(string name, string local, string id, string lan, string psk = "in-process-psk") => $$"""
        {
          "gateway": { "tun_name": "s2s0" },
          "connections": {
            "{{name}}": {
              "local_addrs": "{{local}}", "remote_addrs": "192.0.2.2",
              "proposals": "aes256gcm16-prfsha384-ecp384",
              "local": { "auth": "psk", "id": "{{id}}" }, "remote": { "auth": "psk", "id": "hub" },
              "children": { "net": { "local_ts": "{{lan}}", "remote_ts": "10.2.0.0/24", "esp_proposals": "aes256gcm16", "start_action": "start" } }
            }
          },
          "secrets": { "ike-{{name}}": { "id": "hub", "secret": "{{psk}}" } }
        }
        """;

    private const string Hub = $$"""
        {
          "gateway": { "tun_name": "s2s0" },
          "connections": {
            "hub": {
              "local_addrs": "192.0.2.2", "remote_addrs": "%any",
              "proposals": "aes256gcm16-prfsha384-ecp384",
              "local": { "auth": "psk", "id": "hub" },
              "children": { {{HubChild}} }
            }
          },
          "secrets": { "ike-any": { "secret": "in-process-psk" } }
        }
        """;

    /// <summary>The hub, an established spoke A, and a second spoke C that must come up while the flood goes on.</summary>
    private sealed class FloodLab
    {
        public FloodLab()
        {
            A = new GatewayCore(TestConfig.Load(Spoke("a", "192.0.2.1", "spoke-a", "10.1.0.0/24")), IoA, Clock, new SeededRandom(1));
            B = new GatewayCore(TestConfig.Load(Hub), IoB, Clock, new SeededRandom(2));
            C = new GatewayCore(TestConfig.Load(Spoke("c", "192.0.2.3", "spoke-c", "10.3.0.0/24")), IoC, Clock, new SeededRandom(3));
            Net.Add("192.0.2.2", B, IoB);
            Net.Add("192.0.2.1", A, IoA);
            Net.Add("192.0.2.3", C, IoC);
            A.Start();
            Net.Pump();
            Assert.Single(A.Engine.Sas, s => s.State == S2SEndpoint.Ike.Sa.IkeSaState.Established);
        }

        public FakeClock Clock { get; } = new();
        public MemoryNetwork<GatewayHost> Net { get; } = new();
        public FakeIo IoA { get; } = new();
        public FakeIo IoB { get; } = new();
        public FakeIo IoC { get; } = new();
        public GatewayCore A { get; }
        public GatewayCore B { get; }
        public GatewayCore C { get; }

        /// <summary>Pings from A's LAN to the hub's, through the established tunnel; returns how many arrived.</summary>
        public int PingThroughA(int count)
        {
            IoB.Tun.Clear();
            for (var i = 0; i < count; i++)
            {
                var buffer = new PacketBuffer(2048);
                buffer.Load(InProcessGatewayTests.Ping("10.1.0.5", "10.2.0.7"));
                A.OnTun("s2s0", buffer);
            }
            Net.Pump();
            return IoB.Tun.Count;
        }

        /// <summary>Runs every gateway's timers for <paramref name="seconds"/>, one second at a time, with <paramref name="each"/> in between.</summary>
        public void Run(int seconds, Action each)
        {
            for (var t = 0; t < seconds; t++)
            {
                each();
                Clock.Advance(TimeSpan.FromSeconds(1));
                A.OnTimer();
                B.OnTimer();
                C.OnTimer();
                Net.Pump();
            }
        }

        /// <summary>RFC 7296 2.1 with strongSwan's timing: retransmissions at 4 s and 11.2 s; before the third (24.2 s) counts as "within two".</summary>
        public static readonly TimeSpan WithinTwoRetransmissions = TimeSpan.FromSeconds(4 + 7.2 + 12.96);
    }

    [Fact]
    public void SpoofedFloodFromManySources_ALegitimatePeerEstablishesWithinTwoRetransmissions_EstablishedSaLosesNothing()
    {
        var lab = new FloodLab();
        // A template: a real IKE_SA_INIT request, sent again and again with other SPIs from other addresses.
        var template = new FakeIo();
        new GatewayCore(TestConfig.Load(Spoke("t", "192.0.2.9", "t", "10.9.0.0/24")), template, lab.Clock, new SeededRandom(9)).Start();
        var request = Assert.Single(template.Udp).Data;
        var next = 0;
        void Flood(int count)
        {
            for (var i = 0; i < count; i++, next++)
            {
                var spoofed = (byte[])request.Clone();
                BitConverter.TryWriteBytes(spoofed.AsSpan(0, 8), 0x5a00000000000000UL + (ulong)next);
                var buffer = new PacketBuffer(2048);
                buffer.Load(spoofed, 0);
                lab.B.OnUdp(new IPEndPoint(IPAddress.Parse("192.0.2.2"), 500), new IPEndPoint(new IPAddress([198, 18, unchecked((byte)(next >> 8)), unchecked((byte)next)]), 500), buffer);
            }
        }

        Flood(2000);
        var started = lab.Clock.GetUtcNow();
        lab.C.Start();
        var lost = 0;
        lab.Run(30, () =>
        {
            Flood(2000);
            lost += 5 - lab.PingThroughA(5);
        });

        var c = Assert.Single(lab.C.Engine.Sas, s => s.State == S2SEndpoint.Ike.Sa.IkeSaState.Established);
        Assert.True(c.EstablishedAt - started < FloodLab.WithinTwoRetransmissions, $"established after {(c.EstablishedAt - started).TotalSeconds} s");
        Assert.Equal(0, lost);
        // The spoofed sources were answered with cookies and hold no state beyond the cookie threshold.
        Assert.InRange(lab.B.Engine.HalfOpenCount, 0, lab.B.Engine.Options.CookieThreshold);
        Assert.True(lab.B.Engine.Drops.Count(S2SEndpoint.Ike.Sa.IkeDropReason.CookieRequested) > 50_000);
    }

    [Fact]
    public void FloodFromOneSourceAnsweringCookies_ALegitimatePeerEstablishesWithinTwoRetransmissions_EstablishedSaLosesNothing()
    {
        var lab = new FloodLab();
        // The attacker: one address, 40 connections that each bring up an IKE SA and answer cookies, with a wrong key.
        var connections = string.Join(",\n", Enumerable.Range(0, 40).Select(i => $$"""
            "x{{i}}": {
              "local_addrs": "198.51.100.7", "remote_addrs": "192.0.2.2", "proposals": "aes256gcm16-prfsha384-ecp384",
              "local": { "auth": "psk", "id": "x{{i}}" }, "remote": { "auth": "psk", "id": "hub" },
              "children": { "net": { "local_ts": "10.7.{{i}}.0/24", "remote_ts": "10.2.0.0/24", "esp_proposals": "aes256gcm16", "start_action": "start" } }
            }
            """));
        var attackerIo = new FakeIo();
        var attacker = new GatewayCore(TestConfig.Load($$"""
            { "gateway": { "tun_name": "s2s0" }, "connections": { {{connections}} }, "secrets": { "ike-x": { "secret": "a-wrong-pre-shared-key" } } }
            """), attackerIo, lab.Clock, new SeededRandom(7));
        lab.Net.Add("198.51.100.7", attacker, attackerIo);

        // The attacker's first 40 requests reach the hub at once: its source's burst passes the rate limit, and of
        // those the engine keeps as many half-open SAs as one source may have; the rest are asked for a cookie.
        attacker.Start();
        foreach (var (local, remote, data) in attackerIo.Udp.ToList())
        {
            var buffer = new PacketBuffer(2048);
            buffer.Load(data, 0);
            lab.B.OnUdp(remote, local, buffer);
        }
        attackerIo.Udp.Clear();
        Assert.Equal(40 - GatewayCore.NewSaBurst, lab.B.Counters.Drops.Count(GatewayDropReason.NewSaRateLimited));
        Assert.Equal(lab.B.Engine.Options.HalfOpenPerSource, lab.B.Engine.HalfOpenCount);

        var started = lab.Clock.GetUtcNow();
        lab.C.Start();
        var lost = 0;
        lab.Run(30, () =>
        {
            attacker.OnTimer();
            lost += 5 - lab.PingThroughA(5);
            Assert.InRange(lab.B.Engine.HalfOpenCount, 0, lab.B.Engine.Options.HalfOpenPerSource + 1);
        });

        var c = Assert.Single(lab.C.Engine.Sas, s => s.State == S2SEndpoint.Ike.Sa.IkeSaState.Established);
        Assert.True(c.EstablishedAt - started < FloodLab.WithinTwoRetransmissions, $"established after {(c.EstablishedAt - started).TotalSeconds} s");
        Assert.Equal(0, lost);
        Assert.True(lab.B.Counters.Drops.Count(GatewayDropReason.NewSaRateLimited) > 40 - GatewayCore.NewSaBurst);
    }

    // ---- sequence numbers (RFC 4303 3.3.3) ----

    [Fact]
    public void OutboundSequenceNearItsEnd_TheChildIsRekeyedBeforeItRunsOut_AndPacketsGoOn()
    {
        var p = InProcessGatewayTests.PolicyBased();
        p.A.Start();
        p.Pump();
        var first = Assert.Single(p.A.Kernel.All);
        first.Outbound.SetLastSequenceNumber(first.Outbound.SequenceSoftLimit - 1);

        InProcessGatewayTests.Pair.Inject(p.A, "s2s0", InProcessGatewayTests.Ping("10.1.0.5", "10.2.0.7"));
        p.Pump();
        Assert.Equal(S2SEndpoint.Esp.LifetimeStage.SoftExpired, first.Outbound.Stage);
        p.Clock.Advance(TimeSpan.FromSeconds(6));
        p.A.OnTimer();
        p.Pump();

        var now = Assert.Single(p.A.Kernel.All, i => i.OutboundActive);
        Assert.NotEqual(first.Install.InboundSpi, now.Install.InboundSpi);
        InProcessGatewayTests.Pair.Inject(p.A, "s2s0", InProcessGatewayTests.Ping("10.1.0.5", "10.2.0.7"));
        p.Pump();
        Assert.Equal(2, p.IoB.Tun.Count);
    }

    /// <summary>Random and bit-flipped datagrams into both ports: nothing escapes OnUdp.</summary>
    [Fact]
    public void OnUdp_FuzzedDatagrams_NeverThrow()
    {
        var clock = new FakeClock();
        var failures = new List<string>();
        for (var seed = 0; seed < 200; seed++)
        {
            var ioA = new FakeIo();
            var ioB = new FakeIo();
            var a = new GatewayCore(TestConfig.Load(InProcessGatewayTests.AnyPeerConfig("moon", "192.0.2.1", "192.0.2.2", "moon", "sun", "10.1.0.0/24", "10.2.0.0/24", "start")), ioA, clock, new SeededRandom(1));
            var b = new GatewayCore(TestConfig.Load(InProcessGatewayTests.AnyPeerConfig("sun", "192.0.2.2", "192.0.2.1", "sun", "moon", "10.2.0.0/24", "10.1.0.0/24", "none")), ioB, clock, new SeededRandom(2));
            var net = new MemoryNetwork<GatewayHost>();
            net.Add("192.0.2.1", a, ioA);
            net.Add("192.0.2.2", b, ioB);
            var rng = new Random(seed);
            byte[] Mutate(byte[] d)
            {
                var copy = (byte[])d.Clone();
                var flips = rng.Next(1, 4);
                for (var i = 0; i < flips && copy.Length > 0; i++)
                {
                    var kind = rng.Next(4);
                    if (kind == 0)
                        copy[rng.Next(copy.Length)] ^= (byte)(1 << rng.Next(8));
                    else if (kind == 1)
                        copy = copy[..rng.Next(copy.Length)];
                    else if (kind == 2)
                        copy[rng.Next(copy.Length)] = (byte)rng.Next(256);
                    else
                        copy = [.. copy, .. new byte[rng.Next(1, 64)]];
                }
                return copy;
            }
            try
            {
                a.Start();
                // Mutated datagrams may keep both sides talking: the pump stops after 50 rounds whether or not they are quiet.
                net.Filter = (_, d) => [d with { Data = rng.Next(3) == 0 ? Mutate(d.Data) : d.Data }];
                net.TryPump(50);
                var buffer = new PacketBuffer(70000);
                var junk = new byte[rng.Next(0, 2000)];
                rng.NextBytes(junk);
                buffer.Load(junk, 0);
                b.OnUdp(new IPEndPoint(IPAddress.Parse("192.0.2.2"), rng.Next(2) == 0 ? 500 : 4500), new IPEndPoint(IPAddress.Parse("192.0.2.1"), 4500), buffer);
            }
            catch (Exception e)
            {
                failures.Add($"seed {seed}: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n\n", failures.Take(3)));
    }
}
