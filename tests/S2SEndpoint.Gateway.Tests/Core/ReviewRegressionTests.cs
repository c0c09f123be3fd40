// Regression tests from a review of the gateway core, kernel, policies, UDP transport and config loader.
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Gateway.Net;
using S2SEndpoint.Gateway.Policy;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway.Tests.Core;

public sealed class ReviewRegressionTests
{
    private static GatewayConfig Load(string json) => TestConfig.Load(json);

    private static string Config(string name, string local, string remote, string localId, string remoteId, string lts, string rts, string start) => $$"""
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

    private static void Pump(Dictionary<IPAddress, (GatewayCore Core, FakeIo Io)> net, Func<byte[], byte[]>? mutate = null)
    {
        for (var round = 0; round < 50; round++)
        {
            var moved = false;
            foreach (var (_, (_, io)) in net)
            {
                var datagrams = io.Udp.ToList();
                io.Udp.Clear();
                foreach (var (local, remote, data) in datagrams)
                {
                    var buffer = new PacketBuffer(70000);
                    buffer.Load(mutate is null ? data : mutate(data), 0);
                    net[remote.Address].Core.OnUdp(remote, local, buffer);
                    moved = true;
                }
            }
            if (!moved)
                return;
        }
    }

    internal static byte[] Ping(string source, string destination)
    {
        var packet = new byte[20 + 8 + 16];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        packet[8] = 64;
        packet[9] = 1;
        IPAddress.Parse(source).TryWriteBytes(packet.AsSpan(12), out _);
        IPAddress.Parse(destination).TryWriteBytes(packet.AsSpan(16), out _);
        return packet;
    }

    private static void Inject(GatewayCore gateway, string device, byte[] packet)
    {
        var buffer = new PacketBuffer(2048);
        buffer.Load(packet);
        gateway.OnTun(device, buffer);
    }

    /// <summary>RFC 7296 2.8.1: both ends rekey the same Child SA at once; afterwards both must still send.</summary>
    [Fact]
    public void RekeyCollision_BothSidesStillHaveAnOutboundSa()
    {
        var clock = new Clock();
        var ioA = new FakeIo();
        var ioB = new FakeIo();
        var a = new GatewayCore(Load(Config("moon", "192.0.2.1", "192.0.2.2", "moon", "sun", "10.1.0.0/24", "10.2.0.0/24", "start")), ioA, clock, new SeededRandom(1));
        var b = new GatewayCore(Load(Config("sun", "192.0.2.2", "192.0.2.1", "sun", "moon", "10.2.0.0/24", "10.1.0.0/24", "none")), ioB, clock, new SeededRandom(2));
        var net = new Dictionary<IPAddress, (GatewayCore, FakeIo)> { [IPAddress.Parse("192.0.2.1")] = (a, ioA), [IPAddress.Parse("192.0.2.2")] = (b, ioB) };
        a.Start();
        Pump(net);
        Assert.Single(a.Kernel.All);

        // Both requests are on the wire before either is answered.
        a.Engine.Rekey("moon");
        a.Flush();
        b.Engine.Rekey("sun");
        b.Flush();
        Pump(net);
        for (var i = 0; i < 5; i++)
        {
            clock.Now += TimeSpan.FromSeconds(3);
            a.OnTimer();
            b.OnTimer();
            Pump(net);
        }

        var reqA = a.Kernel.All.First().ReqId;
        var reqB = b.Kernel.All.First().ReqId;
        Assert.NotEmpty(a.Kernel.All);
        Assert.NotEmpty(b.Kernel.All);
        Assert.True(a.Kernel.TryGetOutbound(reqA, out _), $"A: {a.Kernel.All.Count} child SA(s) installed, but no outbound SA");
        Assert.True(b.Kernel.TryGetOutbound(reqB, out _), $"B: {b.Kernel.All.Count} child SA(s) installed, but no outbound SA");
    }

    /// <summary>A hub whose connection accepts any peer: two spokes, two subnets, one reqid.</summary>
    [Fact]
    public void HubWithTwoSpokesOnOneConnection_TrafficGoesToTheRightSpoke()
    {
        var clock = new Clock();
        var ioH = new FakeIo();
        var io1 = new FakeIo();
        var io2 = new FakeIo();
        var hub = new GatewayCore(Load(Config("hub", "192.0.2.1", "%any", "hub", "", "10.0.0.0/24", "10.0.0.0/8", "none")), ioH, clock, new SeededRandom(1));
        var s1 = new GatewayCore(Load(Config("s1", "192.0.2.2", "192.0.2.1", "spoke1", "hub", "10.1.0.0/24", "10.0.0.0/24", "start")), io1, clock, new SeededRandom(2));
        var s2 = new GatewayCore(Load(Config("s2", "192.0.2.3", "192.0.2.1", "spoke2", "hub", "10.2.0.0/24", "10.0.0.0/24", "start")), io2, clock, new SeededRandom(3));
        var net = new Dictionary<IPAddress, (GatewayCore, FakeIo)>
        {
            [IPAddress.Parse("192.0.2.1")] = (hub, ioH),
            [IPAddress.Parse("192.0.2.2")] = (s1, io1),
            [IPAddress.Parse("192.0.2.3")] = (s2, io2),
        };
        s1.Start();
        Pump(net);
        s2.Start();
        Pump(net);
        Assert.Equal(2, hub.Kernel.All.Count);

        Inject(hub, "s2s0", Ping("10.0.0.5", "10.1.0.7"));
        var sent = Assert.Single(ioH.Udp);
        Assert.Equal(IPAddress.Parse("192.0.2.2"), sent.Remote.Address);
    }

    /// <summary>A peer that narrows to TCP (remote_ts = 10.2.0.0/24[tcp]) gets a policy that matches nothing.</summary>
    [Fact]
    public void Spd_ProtocolSelector_MatchesTcpPacket()
    {
        var spd = SecurityPolicyDatabase.Empty.Add(1, 0x1000, [TrafficSelector.FromPrefix(IPAddress.Parse("10.1.0.0"), 24)], [TrafficSelector.FromPrefix(IPAddress.Parse("10.2.0.0"), 24, ipProtocol: 6)]);
        Assert.True(spd.TryLookup(false, 0x0A010005, 0x0A020007, 6, 40000, 443, out _));
        Assert.False(spd.TryLookup(false, 0x0A010005, 0x0A020007, 17, 40000, 53, out _));
    }

    /// <summary>swanctl picks the secret that matches both identities; a hub's secrets all list the hub's own id.</summary>
    [Fact]
    public void Psk_TwoPeersWithSharedLocalId_EachConnectionGetsItsOwnSecret()
    {
        var config = Load("""
            {
              "connections": {
                "to-b": { "local_addrs": "192.0.2.1", "remote_addrs": "192.0.2.2", "local": { "id": "moon" }, "remote": { "id": "sun" },
                  "children": { "n": { "local_ts": "10.1.0.0/24", "remote_ts": "10.2.0.0/24" } } },
                "to-c": { "local_addrs": "192.0.2.1", "remote_addrs": "192.0.2.3", "local": { "id": "moon" }, "remote": { "id": "venus" },
                  "children": { "n": { "local_ts": "10.1.0.0/24", "remote_ts": "10.3.0.0/24" } } }
              },
              "secrets": {
                "ike-b": { "id": "moon,sun", "secret": "psk-b" },
                "ike-c": { "id": "moon,venus", "secret": "psk-c" }
              }
            }
            """);
        Assert.Equal("psk-c", System.Text.Encoding.UTF8.GetString(config.Connections.Single(c => c.Name == "to-c").PreSharedKey));
    }

    [Fact]
    public void UdpTransport_SendWhileDisposing_DoesNotThrow()
    {
        Exception? thrown = null;
        for (var attempt = 0; attempt < 20 && thrown is null; attempt++)
        {
            var transport = new UdpTransport([IPAddress.Loopback], 0, 0);
            transport.Start((_, _, _) => { });
            var stop = false;
            var sender = new Thread(() =>
            {
                try
                {
                    while (!Volatile.Read(ref stop))
                        transport.Send(new IPEndPoint(IPAddress.Loopback, 0), new IPEndPoint(IPAddress.Loopback, 9), [1, 2, 3]);
                }
                catch (Exception e)
                {
                    thrown = e;
                }
            });
            sender.Start();
            Thread.Sleep(20);
            transport.Dispose();
            Volatile.Write(ref stop, true);
            sender.Join();
        }
        Assert.Null(thrown);
    }

    [Fact]
    public void UdpTransport_SendToOtherFamily_DoesNotThrow()
    {
        using var transport = new UdpTransport([IPAddress.Loopback], 0, 0);
        transport.Send(new IPEndPoint(IPAddress.Loopback, 0), new IPEndPoint(IPAddress.IPv6Loopback, 9), [1, 2, 3]);
    }

    /// <summary>Random and bit-flipped datagrams into both ports: nothing may escape OnUdp.</summary>
    [Fact]
    public void OnUdp_FuzzedDatagrams_NeverThrow()
    {
        var clock = new Clock();
        var failures = new List<string>();
        for (var seed = 0; seed < 200; seed++)
        {
            var ioA = new FakeIo();
            var ioB = new FakeIo();
            var a = new GatewayCore(Load(Config("moon", "192.0.2.1", "192.0.2.2", "moon", "sun", "10.1.0.0/24", "10.2.0.0/24", "start")), ioA, clock, new SeededRandom(1));
            var b = new GatewayCore(Load(Config("sun", "192.0.2.2", "192.0.2.1", "sun", "moon", "10.2.0.0/24", "10.1.0.0/24", "none")), ioB, clock, new SeededRandom(2));
            var net = new Dictionary<IPAddress, (GatewayCore, FakeIo)> { [IPAddress.Parse("192.0.2.1")] = (a, ioA), [IPAddress.Parse("192.0.2.2")] = (b, ioB) };
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
                Pump(net, d => rng.Next(3) == 0 ? Mutate(d) : d);
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
