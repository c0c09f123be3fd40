using S2SEndpoint.Gateway.Updown;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway.Tests.Core;

/// <summary>
/// updown follows the child: its script is queued with up-client when the child's first Child SA is installed and with
/// down-client when its last one goes, once per pair of selectors of one family, with strongSwan's environment; never on
/// a rekey; the downs of children still up at exit, and nothing after.
/// </summary>
public sealed class UpdownTests
{
    /// <summary>The runs as the control plane queued them.</summary>
    internal sealed class FakeUpdown : IUpdownRunner
    {
        public List<UpdownEvent> Runs { get; } = [];

        public void Enqueue(UpdownEvent run) => Runs.Add(run);

        /// <summary>Each run's environment as NAME=VALUE lines, the outer interface taken to be eth0.</summary>
        public List<string[]> Environments() => [.. Runs.Select(r => UpdownEnvironment.Of(r, "eth0").Select(v => $"{v.Key}={v.Value}").ToArray())];
    }

    private static InProcessGatewayTests.Pair Pair(string moonChild, string sunChild, FakeUpdown moon, FakeUpdown? sun = null) => new(
        InProcessGatewayTests.Config("moon", "192.0.2.1", "192.0.2.2", "moon", "sun", moonChild, "none"),
        InProcessGatewayTests.Config("sun", "192.0.2.2", "192.0.2.1", "sun", "moon", sunChild, "none"),
        moon, sun);

    private static string Child(string localTs, string remoteTs, string updown = "\"updown\": \"/bin/true\",") =>
        $$""" "net": { "local_ts": "{{localTs}}", "remote_ts": "{{remoteTs}}", {{updown}} "esp_proposals": "aes256gcm16" } """;

    private static string[] Environment(string verb, uint reqId, uint uniqueId, string myClient, string peerClient) =>
    [
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "PLUTO_VERSION=1.1",
        $"PLUTO_VERB={verb}",
        "PLUTO_CONNECTION=net",
        "PLUTO_INTERFACE=eth0",
        $"PLUTO_REQID={reqId}",
        "PLUTO_PROTO=esp",
        $"PLUTO_UNIQUEID={uniqueId}",
        "PLUTO_ME=192.0.2.1",
        "PLUTO_MY_ID=moon",
        $"PLUTO_MY_CLIENT={myClient}",
        "PLUTO_MY_PORT=0",
        "PLUTO_MY_PROTOCOL=0",
        "PLUTO_PEER=192.0.2.2",
        "PLUTO_PEER_ID=sun",
        $"PLUTO_PEER_CLIENT={peerClient}",
        "PLUTO_PEER_PORT=0",
        "PLUTO_PEER_PROTOCOL=0",
        "PLUTO_UDP_ENC=4500",
        "S2S_TUNNEL_INTERFACE=s2s0",
        "S2S_IKE_CONNECTION=moon",
    ];

    [Fact]
    public void Updown_Ipv4Child_UpClientThenDownClient_WithStrongSwansEnvironment()
    {
        var moon = new FakeUpdown();
        var p = Pair(Child("10.1.0.0/24", "10.2.0.0/24"), Child("10.2.0.0/24", "10.1.0.0/24", ""), moon);

        p.A.Initiate("moon", "net");
        p.Pump();
        var ike = Assert.Single(p.A.Engine.Sas, s => s.State == IkeSaState.Established).Id;
        var reqId = Assert.Single(p.A.Kernel.All).ReqId;
        Assert.Equal([Environment("up-client", reqId, ike, "10.1.0.0/24", "10.2.0.0/24")], moon.Environments());

        p.A.Terminate("moon", "net");
        p.Pump();
        Assert.Equal([Environment("up-client", reqId, ike, "10.1.0.0/24", "10.2.0.0/24"), Environment("down-client", reqId, ike, "10.1.0.0/24", "10.2.0.0/24")],
            moon.Environments());
        Assert.All(moon.Runs, r => Assert.Equal("/bin/true", r.Script));
    }

    [Fact]
    public void Updown_Ipv6Child_UpClientV6ThenDownClientV6()
    {
        var moon = new FakeUpdown();
        var p = Pair(Child("fd00:1::/64", "fd00:2::/48"), Child("fd00:2::/48", "fd00:1::/64", ""), moon);

        p.A.Initiate("moon", "net");
        p.Pump();
        var ike = p.A.Engine.Sas.Single().Id;
        p.B.Terminate("sun");
        p.Pump();

        Assert.Equal([Environment("up-client-v6", 1, ike, "fd00:1::/64", "fd00:2::/48"), Environment("down-client-v6", 1, ike, "fd00:1::/64", "fd00:2::/48")],
            moon.Environments());
    }

    [Fact]
    public void Updown_OnePerSelectorPairOfOneFamily_InOrder()
    {
        var moon = new FakeUpdown();
        var p = Pair(Child("10.1.0.0/24,10.3.0.0/24,fd00:1::/64", "10.2.0.0/24,fd00:2::/64"), Child("10.2.0.0/24,fd00:2::/64", "10.1.0.0/24,10.3.0.0/24,fd00:1::/64", ""), moon);

        p.A.Initiate("moon", "net");
        p.Pump();

        Assert.Equal([("10.1.0.0/24", "10.2.0.0/24"), ("10.3.0.0/24", "10.2.0.0/24"), ("fd00:1::/64", "fd00:2::/64")],
            moon.Runs.Select(r => (UpdownEnvironment.Subnet(r.MyTs), UpdownEnvironment.Subnet(r.PeerTs))));
        Assert.Equal(["up-client", "up-client", "up-client-v6"], moon.Environments().Select(e => e[2]["PLUTO_VERB=".Length..]));
    }

    [Fact]
    public void Updown_RouteBasedChild_NamesItsOwnTunnelInterface()
    {
        var moon = new FakeUpdown();
        var p = Pair(""" "vti": { "interface": "vti-a", "routes": "10.2.0.0/16", "updown": "/bin/true", "esp_proposals": "aes256gcm16" } """,
            """ "vti": { "interface": "vti-b", "routes": "10.1.0.0/16", "esp_proposals": "aes256gcm16" } """, moon);

        p.A.Initiate("moon", "vti");
        p.Pump();

        // Its selectors default to everything: one run for IPv4, one for IPv6.
        Assert.Equal([("0.0.0.0/0", "0.0.0.0/0", "up-client"), ("::/0", "::/0", "up-client-v6")],
            moon.Environments().Select(e => (Value(e, "PLUTO_MY_CLIENT"), Value(e, "PLUTO_PEER_CLIENT"), Value(e, "PLUTO_VERB"))));
        Assert.All(moon.Environments(), e => Assert.Equal("vti-a", Value(e, "S2S_TUNNEL_INTERFACE")));
        Assert.All(moon.Environments(), e => Assert.Equal("vti", Value(e, "PLUTO_CONNECTION")));
    }

    [Fact]
    public void Updown_ChildRekey_RunsNothing_AndTheDownComesOnce()
    {
        var moon = new FakeUpdown();
        var sun = new FakeUpdown();
        var p = Pair(Child("10.1.0.0/24", "10.2.0.0/24"), Child("10.2.0.0/24", "10.1.0.0/24"), moon, sun);
        p.A.Initiate("moon", "net");
        p.Pump();
        var before = Assert.Single(p.A.Kernel.All).Install.InboundSpi;

        p.RekeyChildOnA("moon", "net");
        Assert.NotEqual(before, Assert.Single(p.A.Kernel.All).Install.InboundSpi);
        Assert.Equal([true], moon.Runs.Select(r => r.Up));
        Assert.Equal([true], sun.Runs.Select(r => r.Up));

        p.A.Terminate("moon");
        p.Pump();
        Assert.Equal([true, false], moon.Runs.Select(r => r.Up));
        Assert.Equal([true, false], sun.Runs.Select(r => r.Up));
        Assert.Equal("down-client", Value(sun.Environments()[1], "PLUTO_VERB"));
    }

    [Fact]
    public void Updown_UpDownUp_InTheirOrder()
    {
        var moon = new FakeUpdown();
        var p = Pair(Child("10.1.0.0/24", "10.2.0.0/24"), Child("10.2.0.0/24", "10.1.0.0/24", ""), moon);

        p.A.Initiate("moon", "net");
        p.Pump();
        p.A.Terminate("moon", "net");
        p.Pump();
        p.A.Initiate("moon", "net");
        p.Pump();

        Assert.Equal([true, false, true], moon.Runs.Select(r => r.Up));
    }

    [Fact]
    public void Updown_ChildWithoutScript_RunsNothing()
    {
        var moon = new FakeUpdown();
        var p = Pair(Child("10.1.0.0/24", "10.2.0.0/24", ""), Child("10.2.0.0/24", "10.1.0.0/24", ""), moon);

        p.A.Initiate("moon", "net");
        p.Pump();
        p.A.Terminate("moon");
        p.Pump();

        Assert.Empty(moon.Runs);
    }

    [Fact]
    public void StopUpdown_QueuesTheDownsOfChildrenStillUp_AndNothingAfter()
    {
        var moon = new FakeUpdown();
        var p = Pair(Child("10.1.0.0/24", "10.2.0.0/24"), Child("10.2.0.0/24", "10.1.0.0/24", ""), moon);
        p.A.Initiate("moon", "net");
        p.Pump();

        p.A.StopUpdown();
        Assert.Equal([true, false], moon.Runs.Select(r => r.Up));

        p.A.Terminate("moon");
        p.Pump();
        p.A.Initiate("moon");
        p.Pump();
        Assert.Equal(2, moon.Runs.Count);
    }

    private static string Value(string[] environment, string name) => environment.Single(v => v.StartsWith(name + "=", StringComparison.Ordinal))[(name.Length + 1)..];
}
