using System.Diagnostics;
using System.Net;
using S2SEndpoint.Gateway.Control;
using S2SEndpoint.Ike.Sa;
using Xunit.Abstractions;

namespace S2SEndpoint.Gateway.Tests.Core;

/// <summary>
/// Point-to-site in process: one responder serving a pool to road warriors on one %any connection (RFC 7296 2.19), each
/// client with its own IKE SA, Child SA and virtual IP, its traffic on its own SA; the client's address on its device.
/// </summary>
public sealed class RoadWarriorTests(ITestOutputHelper output)
{
    private const string GatewayAddress = "192.0.2.1";

    /// <summary>The responder: a pool, and a connection for any peer whose child's remote_ts is left out (the client's address).</summary>
    internal static string GatewayConfig(string pool = "10.9.0.0/24") => $$"""
        {
          "gateway": { "tun_name": "s2s0" },
          "pools": { "rw": { "addrs": "{{pool}}", "dns": ["10.2.0.53"] } },
          "connections": {
            "rw": {
              "local_addrs": "{{GatewayAddress}}", "remote_addrs": "%any", "pools": ["rw"],
              "proposals": "aes256gcm16-prfsha384-ecp384",
              "local": { "auth": "psk", "id": "gw" },
              "children": { "lan": { "local_ts": "10.2.0.0/24", "esp_proposals": "aes256gcm16" } }
            }
          },
          "secrets": { "ike-rw": { "secret": "road-warrior-psk" } }
        }
        """;

    /// <summary>A road warrior: vips 0.0.0.0, its child's local_ts dynamic; route-based with <paramref name="iface"/>.</summary>
    internal static string ClientConfig(string address, string id, string? iface = null) => $$"""
        {
          "gateway": { "tun_name": "s2s0" },
          "connections": {
            "home": {
              "local_addrs": "{{address}}", "remote_addrs": "{{GatewayAddress}}", "vips": ["0.0.0.0"],
              "proposals": "aes256gcm16-prfsha384-ecp384",
              "local": { "auth": "psk", "id": "{{id}}" }, "remote": { "auth": "psk", "id": "gw" },
              "children": { "lan": { "local_ts": "dynamic", "remote_ts": "10.2.0.0/24", "esp_proposals": "aes256gcm16"{{(iface is null ? "" : $$""", "interface": "{{iface}}" """)}} } }
            }
          },
          "secrets": { "ike-home": { "id": "gw", "secret": "road-warrior-psk" } }
        }
        """;

    private sealed class Lab
    {
        public FakeClock Clock { get; }
        public FakeIo GatewayIo { get; }
        public GatewayCore Gateway { get; }
        public MemoryNetwork<GatewayHost> Net { get; } = new();
        public List<(GatewayCore Core, FakeIo Io, string Address)> Clients { get; } = [];

        public Lab(string pool = "10.9.0.0/24")
            : this(new FakeClock(), new FakeIo(), pool)
        {
        }

        public Lab(FakeClock clock, FakeIo io, string pool)
            : this(clock, io, new GatewayCore(TestConfig.Load(GatewayConfig(pool)), io, clock, new SeededRandom(1)))
        {
        }

        public Lab(FakeClock clock, FakeIo io, GatewayCore gateway)
        {
            Clock = clock;
            GatewayIo = io;
            Gateway = gateway;
            Net.Add(GatewayAddress, Gateway, GatewayIo);
        }

        public (GatewayCore Core, FakeIo Io, string Address) AddClient(int n, string? iface = null)
        {
            var address = $"198.51.{100 + (n / 250)}.{(n % 250) + 1}";
            var io = new FakeIo();
            var core = new GatewayCore(TestConfig.Load(ClientConfig(address, $"client{n}", iface)), io, Clock, new SeededRandom(100 + n));
            Net.Add(address, core, io);
            Clients.Add((core, io, address));
            return (core, io, address);
        }
    }

    [Fact]
    public void TwoClients_EachGetsItsAddressAndTheGatewaySendsEachClientsPacketsOnItsOwnSa()
    {
        var lab = new Lab();
        var c1 = lab.AddClient(1);
        var c2 = lab.AddClient(2);
        c1.Core.Initiate("home", null);
        c2.Core.Initiate("home", null);
        lab.Net.Pump();

        Assert.Equal(2, lab.Gateway.Kernel.All.Count);
        var vip1 = Assert.Single(Assert.Single(c1.Core.Engine.Sas).LocalVirtualIps);
        var vip2 = Assert.Single(Assert.Single(c2.Core.Engine.Sas).LocalVirtualIps);
        Assert.NotEqual(vip1, vip2);

        // From the LAN behind the gateway to each client's virtual IP: the policy whose remote selector is that /32.
        foreach (var (client, vip) in new[] { (c1, vip1), (c2, vip2) })
        {
            InProcessGatewayTests.Pair.Inject(lab.Gateway, "s2s0", InProcessGatewayTests.Ping("10.2.0.7", vip.ToString()));
            var sent = Assert.Single(lab.GatewayIo.Udp);
            Assert.Equal(client.Address, sent.Remote.Address.ToString());
            lab.Net.Pump();
            var (device, packet) = Assert.Single(client.Io.Tun);
            Assert.Equal("s2s0", device);
            Assert.Equal(vip, new IPAddress(packet.AsSpan(16, 4)));
            client.Io.Tun.Clear();
        }

        // And back: the client's packet from its virtual IP reaches the LAN.
        InProcessGatewayTests.Pair.Inject(c2.Core, "s2s0", InProcessGatewayTests.Ping(vip2.ToString(), "10.2.0.7"));
        lab.Net.Pump();
        Assert.Equal(vip2, new IPAddress(Assert.Single(lab.GatewayIo.Tun).Packet.AsSpan(12, 4)));
    }

    [Theory]
    [InlineData(null, "s2s0")]
    [InlineData("rw0", "rw0")]
    public void Client_PutsTheAddressOnItsDeviceAndTakesItOffWhenTheSaGoes(string? iface, string device)
    {
        var lab = new Lab();
        var client = lab.AddClient(1, iface);
        client.Core.Initiate("home", null);
        lab.Net.Pump();

        Assert.Equal([IPAddress.Parse("10.9.0.1")], client.Io.VirtualIpsOn(device));
        Assert.Equal(("home", device, IPAddress.Parse("10.9.0.1"), true), Assert.Single(client.Io.VirtualIpChanges));
        var status = StatusReport.Build(client.Core);
        Assert.Contains("virtual IP 10.9.0.1, DNS 10.2.0.53", StatusReport.Render(status), StringComparison.Ordinal);

        client.Core.Terminate("home", null);
        lab.Net.Pump();
        Assert.Empty(client.Io.VirtualIpsOn(device));
        Assert.Equal(("home", device, IPAddress.Parse("10.9.0.1"), false), client.Io.VirtualIpChanges[^1]);
    }

    [Fact]
    public void Status_ListsTheLeasesInTextAndJson()
    {
        var lab = new Lab();
        var client = lab.AddClient(1);
        client.Core.Initiate("home", null);
        lab.Net.Pump();

        var status = StatusReport.Build(lab.Gateway);
        var lease = Assert.Single(status["leases"]!.AsArray())!.AsObject();
        Assert.Equal("rw", (string?)lease["pool"]);
        Assert.Equal("10.9.0.1", (string?)lease["address"]);
        Assert.Equal("client1", (string?)lease["identity"]);
        Assert.Equal("online", (string?)lease["state"]);
        var text = StatusReport.Render(status);
        Assert.Contains("rw: 10.9.0.1 'client1' rw[", text, StringComparison.Ordinal);
        Assert.Contains("peer's virtual IP 10.9.0.1", text, StringComparison.Ordinal);
    }

    /// <summary>
    /// 100 road warriors against one responder, in process (a test, bounded in time): each gets its own address and a
    /// Child SA that carries a ping both ways. Prints the time to bring them all up and the responder's memory per client
    /// (its heap after the clients and the network are let go, less its heap before they came).
    /// </summary>
    [Fact]
    public void HundredRoadWarriors_EachItsOwnAddressAndAWorkingChildSa()
    {
        const int Count = 100;
        var clock = new FakeClock();
        var io = new FakeIo();
        var gateway = new GatewayCore(TestConfig.Load(GatewayConfig("10.9.0.0/16")), io, clock, new SeededRandom(1));
        var baseline = Heap();

        var elapsed = BringUpAndPing(clock, io, gateway, Count);
        Assert.True(elapsed < TimeSpan.FromMinutes(2), $"bringing up {Count} clients took {elapsed}");

        io.Tun.Clear();
        var after = Heap();
        Assert.Equal(Count, gateway.Engine.Sas.Count(s => s.State == IkeSaState.Established));
        Assert.Equal(Count, gateway.Engine.Leases.Count(l => l.Online));
        // "figure:" lines are printed by ./test.sh after the suite's counts.
        output.WriteLine($"figure: {Count} road warriors up in {elapsed.TotalMilliseconds:F0} ms ({elapsed.TotalMilliseconds / Count:F1} ms each: IKE_SA_INIT and IKE_AUTH computed on both sides, on one thread)");
        output.WriteLine($"figure: responder memory with {Count} road warriors: {(after - baseline) / (double)Count / 1024:F1} KiB per client (IKE SA, Child SA with its two ESP SAs, lease, policy)");
    }

    private static long Heap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(true);
    }

    /// <summary>The clients and their network live in here only: once it returns, the responder alone holds what they made it keep.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static TimeSpan BringUpAndPing(FakeClock clock, FakeIo io, GatewayCore gateway, int count)
    {
        var lab = new Lab(clock, io, gateway);
        for (var i = 0; i < count; i++)
            lab.AddClient(i);
        var watch = Stopwatch.StartNew();
        foreach (var (core, _, _) in lab.Clients)
            core.Initiate("home", null);
        lab.Net.Pump(maxRounds: 1000);
        watch.Stop();

        Assert.Equal(count, lab.Gateway.Kernel.All.Count);
        var vips = lab.Clients.Select(c => Assert.Single(Assert.Single(c.Core.Engine.Sas).LocalVirtualIps)).ToList();
        Assert.Equal(count, vips.Distinct().Count());
        for (var i = 0; i < count; i++)
        {
            var (core, clientIo, address) = lab.Clients[i];
            InProcessGatewayTests.Pair.Inject(lab.Gateway, "s2s0", InProcessGatewayTests.Ping("10.2.0.7", vips[i].ToString()));
            Assert.Equal(address, Assert.Single(lab.GatewayIo.Udp).Remote.Address.ToString());
            lab.Net.Pump();
            Assert.Equal(vips[i], new IPAddress(Assert.Single(clientIo.Tun).Packet.AsSpan(16, 4)));
            InProcessGatewayTests.Pair.Inject(core, "s2s0", InProcessGatewayTests.Ping(vips[i].ToString(), "10.2.0.7"));
            lab.Net.Pump();
        }
        Assert.Equal(count, lab.GatewayIo.Tun.Count);
        return watch.Elapsed;
    }
}
