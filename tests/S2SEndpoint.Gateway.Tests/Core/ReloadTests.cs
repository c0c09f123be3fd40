using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway.Tests.Core;

/// <summary>
/// `s2s reload`: the difference between two configurations, and a core applying it: an unchanged tunnel
/// keeps its SAs (same SPIs), a changed one is brought up again with its new settings, a removed one is
/// deleted, an added one starts.
/// </summary>
public sealed class ReloadTests
{
    private static string Connection(string name, string remote, string remoteId, string remoteTs, string esp = "aes256gcm16", string start = "start") => $$"""
        "{{name}}": {
          "local_addrs": "192.0.2.1", "remote_addrs": "{{remote}}", "proposals": "aes256gcm16-prfsha384-ecp384",
          "local": { "auth": "psk", "id": "moon" }, "remote": { "auth": "psk", "id": "{{remoteId}}" },
          "children": { "net": { "local_ts": "10.1.0.0/24", "remote_ts": "{{remoteTs}}", "esp_proposals": "{{esp}}", "start_action": "{{start}}" } }
        }
        """;

    private static GatewayConfig Config(string gateway, params string[] connections) => TestConfig.Load($$"""
        {
          "gateway": { {{gateway}} },
          "connections": { {{string.Join(",", connections)}} },
          "secrets": { "ike-all": { "secret": "reload-psk" } }
        }
        """);


    [Fact]
    public void Diff_NamesAddedRemovedChangedAndRestartOnlySettings()
    {
        var old = Config("\"mtu\": 1400", Connection("a", "192.0.2.2", "sun", "10.2.0.0/24"), Connection("b", "192.0.2.3", "venus", "10.3.0.0/24"), Connection("c", "192.0.2.4", "mars", "10.4.0.0/24"));
        var next = Config("\"mtu\": 1300", Connection("a", "192.0.2.2", "sun", "10.2.0.0/24"), Connection("b", "192.0.2.3", "venus", "10.3.0.0/16"), Connection("d", "192.0.2.5", "pluto", "10.5.0.0/24"));
        var diff = ConfigDiff.Between(old, next);
        Assert.Equal(["d"], diff.Added);
        Assert.Equal(["c"], diff.Removed);
        Assert.Equal(["b"], diff.Changed);
        Assert.Equal(["gateway.mtu"], diff.NeedRestart);
        Assert.True(ConfigDiff.Between(old, Config("\"mtu\": 1400", Connection("a", "192.0.2.2", "sun", "10.2.0.0/24"), Connection("b", "192.0.2.3", "venus", "10.3.0.0/24"), Connection("c", "192.0.2.4", "mars", "10.4.0.0/24"))).IsEmpty);
    }

    /// <summary>gateway.offload is on unless switched off, and switching it needs a restart (the devices and sockets are opened with it).</summary>
    [Fact]
    public void Offload_OnByDefault_AndAChangeNeedsARestart()
    {
        var on = Config("\"mtu\": 1400", Connection("a", "192.0.2.2", "sun", "10.2.0.0/24"));
        var off = Config("\"mtu\": 1400, \"offload\": false", Connection("a", "192.0.2.2", "sun", "10.2.0.0/24"));
        Assert.True(on.Settings.Offload);
        Assert.False(off.Settings.Offload);
        Assert.Equal(["gateway.offload"], ConfigDiff.Between(on, off).NeedRestart);
    }

    [Fact]
    public void Diff_ASecretChange_IsAChange()
    {
        var old = Config("", Connection("a", "192.0.2.2", "sun", "10.2.0.0/24"));
        var next = TestConfig.Load($$"""
            { "connections": { {{Connection("a", "192.0.2.2", "sun", "10.2.0.0/24")}} }, "secrets": { "ike-all": { "secret": "another-psk" } } }
            """);
        Assert.Equal(["a"], ConfigDiff.Between(old, next).Changed);
    }

    [Fact]
    public void Reload_UnchangedKeepsItsSas_ChangedComesBackNew_RemovedGoes_AddedStarts()
    {
        var clock = new FakeClock();
        var io = new FakeIo();
        var net = new MemoryNetwork<GatewayHost>();
        GatewayCore MakePeer(string name, string address, string id, string localTs)
        {
            var peerIo = new FakeIo();
            var core = new GatewayCore(TestConfig.Load($$"""
                {
                  "connections": { "{{name}}": {
                      "local_addrs": "{{address}}", "remote_addrs": "192.0.2.1", "proposals": "aes256gcm16-prfsha384-ecp384",
                      "local": { "auth": "psk", "id": "{{id}}" }, "remote": { "auth": "psk", "id": "moon" },
                      "children": { "net": { "local_ts": "{{localTs}}", "remote_ts": "10.1.0.0/24", "esp_proposals": "aes256gcm16,chacha20poly1305" } } } },
                  "secrets": { "ike-all": { "secret": "reload-psk" } }
                }
                """), peerIo, clock, new SeededRandom(address.GetHashCode(StringComparison.Ordinal)));
            net.Add(address, core, peerIo);
            return core;
        }
        MakePeer("sun", "192.0.2.2", "sun", "10.2.0.0/24");
        MakePeer("venus", "192.0.2.3", "venus", "10.3.0.0/24");
        MakePeer("pluto", "192.0.2.5", "pluto", "10.5.0.0/24");
        var old = Config("", Connection("a", "192.0.2.2", "sun", "10.2.0.0/24"), Connection("b", "192.0.2.3", "venus", "10.3.0.0/24"));
        var gateway = new GatewayCore(old, io, clock, new SeededRandom(1));
        net.Add("192.0.2.1", gateway, io);
        var Pump = net.Pump;
        gateway.Start();
        Pump();
        uint Spi(string connection) => gateway.Engine.Sas.Single(s => s.Config.Name == connection && s.State == IkeSaState.Established).Children.Single().InboundSpi;
        var spiA = Spi("a");
        var spiB = Spi("b");

        // b now offers chacha20poly1305 only; a stays; c... d is added.
        var next = Config("", Connection("a", "192.0.2.2", "sun", "10.2.0.0/24"), Connection("b", "192.0.2.3", "venus", "10.3.0.0/24", esp: "chacha20poly1305"), Connection("d", "192.0.2.5", "pluto", "10.5.0.0/24"));
        gateway.Reload(next, ConfigDiff.Between(old, next));
        Pump();

        Assert.Equal(spiA, Spi("a"));
        Assert.NotEqual(spiB, Spi("b"));
        Assert.Equal("chacha20poly1305", Ike.Crypto.ProposalKeywords.Format(gateway.Engine.Sas.Single(s => s.Config.Name == "b" && s.State == IkeSaState.Established).Children.Single().Proposal));
        Assert.Single(gateway.Engine.Sas, s => s.Config.Name == "d" && s.State == IkeSaState.Established);

        // Then b goes away altogether.
        var last = Config("", Connection("a", "192.0.2.2", "sun", "10.2.0.0/24"), Connection("d", "192.0.2.5", "pluto", "10.5.0.0/24"));
        gateway.Reload(last, ConfigDiff.Between(next, last));
        Pump();
        Assert.DoesNotContain(gateway.Engine.Sas, s => s.Config.Name == "b" && s.State != IkeSaState.Destroyed);
        Assert.DoesNotContain(gateway.Engine.Connections, c => c.Name == "b");
        Assert.Equal(spiA, Spi("a"));
    }
    [Fact]
    public void Reload_InterfaceMovesAndAnotherTunnelTakesIt_NoPacketGoesToTheOldPeer()
    {
        var clock = new FakeClock();
        var io = new FakeIo();
        var peerIo = new FakeIo();
        static string Vti(string name, string remote, string remoteId, string iface, string start) => $$"""
            "{{name}}": {
              "local_addrs": "192.0.2.1", "remote_addrs": "{{remote}}", "proposals": "aes256gcm16-prfsha384-ecp384",
              "local": { "auth": "psk", "id": "moon" }, "remote": { "auth": "psk", "id": "{{remoteId}}" },
              "children": { "vti": { "interface": "{{iface}}", "routes": "10.0.0.0/8 metric {{Metric(name)}}", "esp_proposals": "aes256gcm16", "start_action": "{{start}}" } }
            }
            """;
        // One prefix into two tunnels needs two metrics.
        static int Metric(string name) => name == "x" ? 100 : 200;
        var old = Config("", Vti("x", "192.0.2.2", "sun", "vti1", "start"));
        var gateway = new GatewayCore(old, io, clock, new SeededRandom(1));
        var peer = new GatewayCore(TestConfig.Load("""
            {
              "connections": { "sun": {
                  "local_addrs": "192.0.2.2", "remote_addrs": "192.0.2.1", "proposals": "aes256gcm16-prfsha384-ecp384",
                  "local": { "auth": "psk", "id": "sun" }, "remote": { "auth": "psk", "id": "moon" },
                  "children": { "vti": { "interface": "vti0", "esp_proposals": "aes256gcm16" } } } },
              "secrets": { "ike-all": { "secret": "reload-psk" } }
            }
            """), peerIo, clock, new SeededRandom(2));
        var net = new MemoryNetwork<GatewayHost>();
        net.Add("192.0.2.1", gateway, io);
        net.Add("192.0.2.2", peer, peerIo);
        var Pump = net.Pump;
        void Inject(GatewayCore core, string device)
        {
            var buffer = new Esp.PacketBuffer(2048);
            buffer.Load(InProcessGatewayTests.Ping("10.1.0.5", "10.2.0.7"));
            core.OnTun(device, buffer);
        }
        gateway.Start();
        Pump();

        // x moves to vti2; y (another peer, not up) takes vti1.
        var next = Config("", Vti("x", "192.0.2.2", "sun", "vti2", "start"), Vti("y", "192.0.2.3", "venus", "vti1", "none"));
        gateway.Reload(next, ConfigDiff.Between(old, next));
        Pump();
        Assert.Single(gateway.Engine.Sas, s => s.Config.Name == "x" && s.State == IkeSaState.Established);

        Inject(gateway, "vti1");
        Assert.Empty(io.Udp);
        Inject(gateway, "vti2");
        Assert.Equal("192.0.2.2", Assert.Single(io.Udp).Remote.Address.ToString());
        Pump();
        // And the way back arrives on x's new device.
        Inject(peer, "vti0");
        Pump();
        Assert.Equal("vti2", Assert.Single(io.Tun).Device);
    }

    /// <summary>
    /// Between a reload that changes a route-based tunnel and the delete of its old SA, ESP still opens with the old SA;
    /// its device may be another tunnel's now, so the packet goes to no device and is counted (no_route).
    /// </summary>
    [Fact]
    public void Reload_EspOnTheOldSaBeforeItsDelete_GoesToNoDevice_Counted()
    {
        var clock = new FakeClock();
        var io = new FakeIo();
        var peerIo = new FakeIo();
        static string Vti(string name, string remote, string remoteId, string iface) => $$"""
            "{{name}}": {
              "local_addrs": "192.0.2.1", "remote_addrs": "{{remote}}", "proposals": "aes256gcm16-prfsha384-ecp384",
              "local": { "auth": "psk", "id": "moon" }, "remote": { "auth": "psk", "id": "{{remoteId}}" },
              "children": { "vti": { "interface": "{{iface}}", "routes": "10.0.0.0/8 metric {{Metric(name)}}", "esp_proposals": "aes256gcm16", "start_action": "start" } }
            }
            """;
        static int Metric(string name) => name == "x" ? 100 : 200;
        var old = Config("", Vti("x", "192.0.2.2", "sun", "vti1"));
        var gateway = new GatewayCore(old, io, clock, new SeededRandom(1));
        var peer = new GatewayCore(TestConfig.Load("""
            {
              "connections": { "sun": {
                  "local_addrs": "192.0.2.2", "remote_addrs": "192.0.2.1", "proposals": "aes256gcm16-prfsha384-ecp384",
                  "local": { "auth": "psk", "id": "sun" }, "remote": { "auth": "psk", "id": "moon" },
                  "children": { "vti": { "interface": "vti0", "esp_proposals": "aes256gcm16" } } } },
              "secrets": { "ike-all": { "secret": "reload-psk" } }
            }
            """), peerIo, clock, new SeededRandom(2));
        var net = new MemoryNetwork<GatewayHost>();
        net.Add("192.0.2.1", gateway, io);
        net.Add("192.0.2.2", peer, peerIo);
        gateway.Start();
        net.Pump();

        var next = Config("", Vti("x", "192.0.2.2", "sun", "vti2"), Vti("y", "192.0.2.3", "venus", "vti1"));
        gateway.Reload(next, ConfigDiff.Between(old, next));
        io.Udp.Clear(); // the delete and the new attempt wait
        var buffer = new Esp.PacketBuffer(2048);
        buffer.Load(InProcessGatewayTests.Ping("10.2.0.7", "10.1.0.5"));
        peer.OnTun("vti0", buffer);
        net.Pump();

        Assert.Empty(io.Tun);
        Assert.Equal(1, gateway.Counters.Drops.Count(GatewayDropReason.NoRoute));
    }
}
