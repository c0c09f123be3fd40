using System.Buffers.Binary;
using System.Net;
using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Gateway.Net;
using S2SEndpoint.Gateway.Updown;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway.Tests.Core;

/// <summary>
/// Two gateways joined in memory through a fake TUN and fake UDP: IKE brings the tunnel up, and inner
/// packets cross it both ways, policy-based and route-based. Packets that match no policy are not sent.
/// </summary>
public sealed class InProcessGatewayTests
{
    internal sealed class Pair
    {
        public Pair(string configA, string configB, IUpdownRunner? updownA = null, IUpdownRunner? updownB = null)
        {
            A = new GatewayCore(Load(configA), IoA, Clock, new SeededRandom(1), updown: updownA);
            B = new GatewayCore(Load(configB), IoB, Clock, new SeededRandom(2), updown: updownB);
            Net.Add("192.0.2.1", A, IoA);
            Net.Add("192.0.2.2", B, IoB);
        }

        public FakeClock Clock { get; } = new();
        public FakeIo IoA { get; } = new();
        public FakeIo IoB { get; } = new();
        public GatewayCore A { get; }
        public GatewayCore B { get; }
        public MemoryNetwork<GatewayHost> Net { get; } = new();

        private static GatewayConfig Load(string json) => TestConfig.Load(json);

        /// <summary>Delivers UDP both ways until quiet; the receiver sees the datagram's destination as local.</summary>
        public void Pump() => Net.Pump();

        /// <summary>A rekeys <paramref name="child"/> of <paramref name="connection"/>; 10 s on, the old Child SA is gone on both sides.</summary>
        public void RekeyChildOnA(string connection, string child)
        {
            A.Control(engine => engine.Rekey(connection, child));
            Pump();
            Clock.Advance(TimeSpan.FromSeconds(10));
            A.OnTimer();
            B.OnTimer();
            Pump();
        }

        public static void Inject(GatewayCore gateway, string device, byte[] packet)
        {
            var buffer = new PacketBuffer(2048);
            buffer.Load(packet);
            gateway.OnTun(device, buffer);
        }
    }

    /// <summary>One connection with one child; "START" in the child's text becomes <paramref name="start"/>.</summary>
    internal static string Config(string name, string local, string remote, string localId, string remoteId, string child, string start) => $$"""
        {
          "gateway": { "tun_name": "s2s0" },
          "connections": {
            "{{name}}": {
              "local_addrs": "{{local}}", "remote_addrs": "{{remote}}",
              "proposals": "aes256gcm16-prfsha384-ecp384",
              "local": { "auth": "psk", "id": "{{localId}}" }, "remote": { "auth": "psk", "id": "{{remoteId}}" },
              "children": { {{child}} }
            }
          },
          "secrets": { "ike-{{name}}": { "id": "{{remoteId}}", "secret": "in-process-psk" } }
        }
        """.Replace("START", start, StringComparison.Ordinal);

    /// <summary>One connection with one child, whose secret names no identity; without <paramref name="remoteId"/> it takes any peer's.</summary>
    internal static string AnyPeerConfig(string name, string local, string remote, string localId, string remoteId, string lts, string rts, string start) => $$"""
        {
          "gateway": { "tun_name": "s2s0" },
          "connections": {
            "{{name}}": {
              "local_addrs": "{{local}}", "remote_addrs": "{{remote}}",
              "proposals": "aes256gcm16-prfsha384-ecp384",
              "local": { "auth": "psk", "id": "{{localId}}" } {{(remoteId.Length > 0 ? $$""", "remote": { "auth": "psk", "id": "{{remoteId}}" }""" : "")}},
              "children": { "net": { "local_ts": "{{lts}}", "remote_ts": "{{rts}}", "esp_proposals": "aes256gcm16", "start_action": "{{start}}" } }
            }
          },
          "secrets": { "ike-any": { "secret": "in-process-psk" } }
        }
        """;

    internal static Pair PolicyBased() => new(
        Config("moon", "192.0.2.1", "192.0.2.2", "moon", "sun", """ "net": { "local_ts": "10.1.0.0/24,10.3.0.0/24", "remote_ts": "10.2.0.0/24", "esp_proposals": "aes256gcm16", "start_action": "START" } """, "start"),
        Config("sun", "192.0.2.2", "192.0.2.1", "sun", "moon", """ "net": { "local_ts": "10.2.0.0/24", "remote_ts": "10.1.0.0/24,10.3.0.0/24", "esp_proposals": "aes256gcm16", "start_action": "START" } """, "none"));

    /// <summary>An IPv4 ICMP echo request with a correct header checksum.</summary>
    internal static byte[] Ping(string source, string destination, int payload = 56, byte ttl = 64)
    {
        var packet = new byte[20 + 8 + payload];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        packet[8] = ttl;
        packet[9] = 1;
        IPAddress.Parse(source).TryWriteBytes(packet.AsSpan(12), out _);
        IPAddress.Parse(destination).TryWriteBytes(packet.AsSpan(16), out _);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), Checksum(packet.AsSpan(0, 20)));
        packet[20] = 8;
        for (var i = 28; i < packet.Length; i++)
            packet[i] = unchecked((byte)i);
        return packet;
    }

    private static ushort Checksum(ReadOnlySpan<byte> header)
    {
        uint sum = 0;
        for (var i = 0; i < header.Length; i += 2)
            sum += BinaryPrimitives.ReadUInt16BigEndian(header[i..]);
        while (sum > 0xFFFF)
            sum = (sum & 0xFFFF) + (sum >> 16);
        return unchecked((ushort)~sum);
    }

    [Fact]
    public void PolicyBased_PacketsCrossBothWays()
    {
        var p = PolicyBased();
        p.A.Start();
        p.Pump();
        Assert.Single(p.A.Engine.Sas, s => s.State == IkeSaState.Established);
        Assert.Single(p.A.Kernel.All);
        Assert.True(p.A.Kernel.All.Single().Install.UdpEncapsulation);

        var request = Ping("10.1.0.5", "10.2.0.7");
        Pair.Inject(p.A, "s2s0", request);
        Assert.Single(p.IoA.Udp);
        Assert.Equal(4500, p.IoA.Udp[0].Remote.Port);
        p.Pump();
        var (device, delivered) = Assert.Single(p.IoB.Tun);
        Assert.Equal("s2s0", device);
        // The gateway forwards as a router: TTL one less, checksum still right, the rest untouched.
        Assert.Equal(63, delivered[8]);
        Assert.Equal(0, Checksum(delivered.AsSpan(0, 20)) & 0xFFFF);
        Assert.Equal(request[20..], delivered[20..]);

        // From the second local prefix, and the reply direction.
        Pair.Inject(p.A, "s2s0", Ping("10.3.0.9", "10.2.0.7"));
        Pair.Inject(p.B, "s2s0", Ping("10.2.0.7", "10.1.0.5"));
        p.Pump();
        Assert.Equal(2, p.IoB.Tun.Count);
        Assert.Single(p.IoA.Tun);
        Assert.Equal(0, p.A.Counters.Drops.Count(GatewayDropReason.NoPolicy) + p.B.Counters.Drops.Count(GatewayDropReason.NoPolicy));
    }

    [Fact]
    public void PolicyBased_PacketOutsideEveryPolicy_IsNotSent()
    {
        var p = PolicyBased();
        p.A.Start();
        p.Pump();
        Pair.Inject(p.A, "s2s0", Ping("10.1.0.5", "10.9.0.1"));
        Pair.Inject(p.A, "s2s0", Ping("172.16.0.1", "10.2.0.7"));
        Assert.Empty(p.IoA.Udp);
        Assert.Equal(2, p.A.Counters.Drops.Count(GatewayDropReason.NoPolicy));
    }

    [Fact]
    public void PolicyBased_BeforeTheTunnelIsUp_NothingIsSent()
    {
        var p = PolicyBased();
        Pair.Inject(p.A, "s2s0", Ping("10.1.0.5", "10.2.0.7"));
        Assert.Empty(p.IoA.Udp);
        Assert.Equal(1, p.A.Counters.Drops.Count(GatewayDropReason.NoPolicy));
    }

    [Fact]
    public void RouteBased_TwoPeersSideBySide_EachInterfaceHasItsTunnel()
    {
        // A has two route-based tunnels (to B and to C); each interface carries any address the routing table sends it.
        // One prefix into two tunnels, in order of metric.
        static string Child(string iface, string start, int metric = 100) => $$""" "vti": { "interface": "{{iface}}", "routes": "10.0.0.0/8 metric {{metric}}", "esp_proposals": "chacha20poly1305", "start_action": "{{start}}" } """;
        var configA = $$"""
            {
              "connections": {
                "to-b": { "local_addrs": "192.0.2.1", "remote_addrs": "192.0.2.2", "proposals": "aes256gcm16-prfsha384-ecp384",
                  "local": { "auth": "psk", "id": "moon" }, "remote": { "auth": "psk", "id": "sun" }, "children": { {{Child("vti-b", "start")}} } },
                "to-c": { "local_addrs": "192.0.2.1", "remote_addrs": "192.0.2.3", "proposals": "aes256gcm16-prfsha384-ecp384",
                  "local": { "auth": "psk", "id": "moon" }, "remote": { "auth": "psk", "id": "venus" }, "children": { {{Child("vti-c", "start", 200)}} } }
              },
              "secrets": { "ike-b": { "id": "sun", "secret": "psk-b" }, "ike-c": { "id": "venus", "secret": "psk-c" } }
            }
            """;
        string Peer(string name, string address, string id, string secret) => $$"""
            {
              "connections": {
                "{{name}}": { "local_addrs": "{{address}}", "remote_addrs": "192.0.2.1", "proposals": "aes256gcm16-prfsha384-ecp384",
                  "local": { "auth": "psk", "id": "{{id}}" }, "remote": { "auth": "psk", "id": "moon" }, "children": { {{Child("vti0", "none")}} } }
              },
              "secrets": { "ike-x": { "id": "moon", "secret": "{{secret}}" } }
            }
            """;
        var clock = new FakeClock();
        var ioA = new FakeIo();
        var ioB = new FakeIo();
        var ioC = new FakeIo();
        static GatewayConfig Load(string json) => TestConfig.Load(json);
        var a = new GatewayCore(Load(configA), ioA, clock, new SeededRandom(1));
        var b = new GatewayCore(Load(Peer("sun", "192.0.2.2", "sun", "psk-b")), ioB, clock, new SeededRandom(2));
        var c = new GatewayCore(Load(Peer("venus", "192.0.2.3", "venus", "psk-c")), ioC, clock, new SeededRandom(3));
        var net = new MemoryNetwork<GatewayHost>();
        net.Add("192.0.2.1", a, ioA);
        net.Add("192.0.2.2", b, ioB);
        net.Add("192.0.2.3", c, ioC);
        a.Start();
        net.Pump();
        Assert.Equal(2, a.Engine.Sas.Count(s => s.State == IkeSaState.Established));

        Pair.Inject(a, "vti-b", Ping("10.1.0.5", "10.200.0.1"));
        Pair.Inject(a, "vti-c", Ping("10.1.0.5", "10.200.0.1"));
        net.Pump();
        Assert.Equal("vti0", Assert.Single(ioB.Tun).Device);
        Assert.Equal("vti0", Assert.Single(ioC.Tun).Device);
        Pair.Inject(c, "vti0", Ping("10.200.0.1", "10.1.0.5"));
        net.Pump();
        Assert.Equal("vti-c", Assert.Single(ioA.Tun).Device);
    }

    /// <summary>A hub whose connection accepts any peer: two spokes, two subnets, one reqid.</summary>
    [Fact]
    public void HubWithTwoSpokesOnOneConnection_TrafficGoesToTheRightSpoke()
    {
        var clock = new FakeClock();
        var ioH = new FakeIo();
        var io1 = new FakeIo();
        var io2 = new FakeIo();
        var hub = new GatewayCore(TestConfig.Load(AnyPeerConfig("hub", "192.0.2.1", "%any", "hub", "", "10.0.0.0/24", "10.0.0.0/8", "none")), ioH, clock, new SeededRandom(1));
        var s1 = new GatewayCore(TestConfig.Load(AnyPeerConfig("s1", "192.0.2.2", "192.0.2.1", "spoke1", "hub", "10.1.0.0/24", "10.0.0.0/24", "start")), io1, clock, new SeededRandom(2));
        var s2 = new GatewayCore(TestConfig.Load(AnyPeerConfig("s2", "192.0.2.3", "192.0.2.1", "spoke2", "hub", "10.2.0.0/24", "10.0.0.0/24", "start")), io2, clock, new SeededRandom(3));
        var net = new MemoryNetwork<GatewayHost>();
        net.Add("192.0.2.1", hub, ioH);
        net.Add("192.0.2.2", s1, io1);
        net.Add("192.0.2.3", s2, io2);
        s1.Start();
        net.Pump();
        s2.Start();
        net.Pump();
        Assert.Equal(2, hub.Kernel.All.Count);

        Pair.Inject(hub, "s2s0", Ping("10.0.0.5", "10.1.0.7", 16));
        var sent = Assert.Single(ioH.Udp);
        Assert.Equal(IPAddress.Parse("192.0.2.2"), sent.Remote.Address);
    }

    /// <summary>
    /// A peer that brings up one Child SA per selector pair (as Cisco and Azure policy-based gateways do) under one child of
    /// ours: each pair's packets leave on the SA negotiated for that pair, which is the only one the peer lets them in through.
    /// </summary>
    [Fact]
    public void PolicyBased_OneChildSaPerSelectorPair_EachPairLeavesOnItsOwnSa()
    {
        static string Pair1(string name, string lts, string rts) =>
            $$""" "{{name}}": { "local_ts": "{{lts}}", "remote_ts": "{{rts}}", "esp_proposals": "aes256gcm16", "start_action": "start" } """;
        var p = new Pair(
            Config("moon", "192.0.2.1", "192.0.2.2", "moon", "sun", """ "net": { "local_ts": "10.1.0.0/24,10.3.0.0/24", "remote_ts": "10.2.0.0/24,10.4.0.0/24", "esp_proposals": "aes256gcm16" } """, "none"),
            Config("sun", "192.0.2.2", "192.0.2.1", "sun", "moon", string.Join(",",
                Pair1("p1", "10.2.0.0/24", "10.1.0.0/24"), Pair1("p2", "10.2.0.0/24", "10.3.0.0/24"), Pair1("p3", "10.4.0.0/24", "10.1.0.0/24"), Pair1("p4", "10.4.0.0/24", "10.3.0.0/24")), "start"));
        p.B.Start();
        p.Pump();
        Assert.Equal(4, p.A.Kernel.All.Count);
        Assert.Equal(4, p.A.Kernel.All.Select(i => i.ReqId).Distinct().Count());
        Assert.All(p.A.Kernel.All, i => Assert.True(i.OutboundActive));

        foreach (var (source, destination) in new[] { ("10.1.0.5", "10.2.0.7"), ("10.3.0.5", "10.2.0.7"), ("10.1.0.5", "10.4.0.7"), ("10.3.0.5", "10.4.0.7") })
            Pair.Inject(p.A, "s2s0", Ping(source, destination));
        // Four packets on four SAs: each SPI once.
        Assert.Equal(4, p.IoA.Udp.Select(d => BinaryPrimitives.ReadUInt32BigEndian(d.Data)).Distinct().Count());
        p.Pump();
        Assert.Equal(4, p.IoB.Tun.Count);
        Assert.Equal(4, p.B.Kernel.All.Sum(i => (int)i.Inbound.Packets));

        // A rekey keeps each pair on its request ID: the new SA replaces the old one of its own pair only.
        var before = p.A.Kernel.All.Select(i => (i.ReqId, Pair: string.Join(",", i.Install.LocalTs) + "|" + string.Join(",", i.Install.RemoteTs))).ToHashSet();
        p.A.Control(engine => engine.Rekey("moon", "net"));
        p.Pump();
        p.Clock.Advance(TimeSpan.FromSeconds(10));
        p.A.OnTimer();
        p.B.OnTimer();
        p.Pump();
        Assert.Equal(before, p.A.Kernel.All.Select(i => (i.ReqId, Pair: string.Join(",", i.Install.LocalTs) + "|" + string.Join(",", i.Install.RemoteTs))).ToHashSet());
        p.IoB.Tun.Clear();
        foreach (var (source, destination) in new[] { ("10.1.0.5", "10.2.0.7"), ("10.3.0.5", "10.2.0.7"), ("10.1.0.5", "10.4.0.7"), ("10.3.0.5", "10.4.0.7") })
            Pair.Inject(p.A, "s2s0", Ping(source, destination));
        p.Pump();
        Assert.Equal(4, p.IoB.Tun.Count);
        Assert.Equal(0, p.B.Kernel.All.Sum(i => (int)i.Inbound.Drops.Total));

        // A pair whose SA goes is forgotten with its request ID (peers cannot make the routes grow); when it comes
        // back it gets a new one, and its packets leave on its new SA.
        var gone = Assert.Single(p.A.Kernel.All, i => i.Install.RemoteTs.Single().ToString() == "10.4.0.0/24" && i.Install.LocalTs.Single().ToString() == "10.3.0.0/24").ReqId;
        p.B.Control(engine => engine.TerminateChild("sun", "p4"));
        p.Pump();
        Assert.Equal(3, p.A.Kernel.All.Count);
        Assert.Equal(3, p.A.Data.Snapshot.Routes.Count);
        Assert.False(p.A.Data.Snapshot.Routes.ContainsKey(gone));
        p.B.Control(engine => engine.Initiate("sun", "p4"));
        p.Pump();
        Assert.Equal(4, p.A.Data.Snapshot.Routes.Count);
        p.IoB.Tun.Clear();
        Pair.Inject(p.A, "s2s0", Ping("10.3.0.5", "10.4.0.7"));
        p.Pump();
        Assert.Single(p.IoB.Tun);
    }
}
