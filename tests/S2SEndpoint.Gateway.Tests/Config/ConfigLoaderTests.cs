using System.Net;
using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway.Tests.Config;

/// <summary>The swanctl-shaped JSON configuration: the examples load, and each kind of mistake gets one clear line.</summary>
public sealed class ConfigLoaderTests
{
    private static string Example(string name) => Path.Combine(AppContext.BaseDirectory, "examples", name);

    [Fact]
    public void Load_PolicyBasedExample_GivesFourSelectorPairsInOneChild()
    {
        var config = ConfigLoader.Load(Example("policy-based.json"));
        var c = Assert.Single(config.Connections);
        Assert.Equal("branch", c.Name);
        Assert.Equal([IPAddress.Parse("192.0.2.2")], c.RemoteAddresses);
        Assert.Equal(["aes256gcm16-prfsha384-ecp384", "aes256-sha256-modp2048"], c.Proposals.Select(ProposalKeywords.Format));
        Assert.Equal([1, 2], c.Proposals.Select(p => (int)p.Number));
        Assert.Equal(TimeSpan.FromHours(4), c.RekeyTime);
        Assert.Equal(TimeSpan.FromMinutes(24), c.RandTime);
        Assert.Equal(TimeSpan.FromSeconds(30), c.DpdDelay);
        Assert.Equal(DpdAction.Restart, c.DpdAction);
        Assert.Equal("change-this-pre-shared-key"u8.ToArray(), c.PreSharedKey);
        var child = Assert.Single(c.Children);
        Assert.Equal(2, child.LocalTs.Count);
        Assert.Equal(2, child.RemoteTs.Count);
        Assert.Equal(StartAction.Start, child.StartAction);
        Assert.Null(Assert.Single(config.Routing).Interface);
        Assert.Equal("s2s0", config.Settings.TunName);
    }

    [Fact]
    public void Load_RouteBasedExample_GivesOneInterfacePerChildAndAnyToAnySelectors()
    {
        var config = ConfigLoader.Load(Example("route-based.json"));
        Assert.Equal(2, config.Connections.Count);
        Assert.Equal(["vti-east", "vti-west"], config.Routing.Select(r => r.Interface));
        var east = config.Connections[0].Children[0];
        Assert.Equal(["0.0.0.0/0", "::/0"], east.LocalTs.Select(t => t.ToString()));
        Assert.Equal(2, config.Routing[1].Routes.Count);
        Assert.Equal(Convert.FromHexString("3a9f1c2b44d6e8f00112233445566778c4e1d07a9b3f5e2d6a8c0b1f7e9d2c4a"), config.Connections[0].PreSharedKey);
        Assert.Equal("Wq3n8ZtL0vR5yKc2HfJ7pXb4sMd9"u8.ToArray(), config.Connections[1].PreSharedKey);
        Assert.Equal(2048, config.Settings.ReplayWindow);
    }

    [Fact]
    public void Load_AzureLikeExample_TwoActiveActiveConnectionsWithAzuresPolicy()
    {
        var config = ConfigLoader.Load(Example("azure-like.json"));
        Assert.Equal(["azure-0", "azure-1"], config.Connections.Select(c => c.Name));
        Assert.All(config.Connections, c =>
        {
            Assert.Equal(5, c.Proposals.Count);
            Assert.Equal(TimeSpan.FromSeconds(28800), c.RekeyTime);
            Assert.Equal(TimeSpan.FromSeconds(27000), c.Children[0].RekeyTime);
            Assert.Equal(2, c.Children[0].RemoteTs.Count);
        });
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Debug, config.Settings.LogLevels["ike"]);
    }

    [Fact]
    public void Load_AzureActiveActiveExample_ATunnelInterfacePerInstance_OneBgpAddressOnBoth_NoRoutes()
    {
        var config = ConfigLoader.Load(Example("azure-active-active.json"));
        Assert.Equal(["azure-0", "azure-1"], config.Connections.Select(c => c.Name));
        Assert.Equal(["vti-az0", "vti-az1"], config.Routing.Select(r => r.Interface));
        // The local network gateway's one BGP peer IP on both, each instance's APIPA address as the peer: a /32 route to
        // each through its own tunnel. The VNet's prefixes come from BGP.
        Assert.Equal(["169.254.21.2 peer 169.254.21.1/32", "169.254.21.2 peer 169.254.22.1/32"], config.Routing.Select(r => r.InterfaceAddresses.Single().ToString()));
        Assert.All(config.Routing, r => Assert.Empty(r.Routes));
        Assert.All(config.Connections, c =>
        {
            Assert.Equal(TimeSpan.FromSeconds(10), c.DpdDelay);
            Assert.Equal(TimeSpan.FromSeconds(20), c.DpdTimeout);
            Assert.Equal(TimeSpan.FromSeconds(27000), c.Children[0].RekeyTime);
        });
    }

    public static TheoryData<string, string> BadConfigs => new()
    {
        // Each: a fragment merged into a valid connection, and the line that must come out.
        { """{ "children": { "net": { "local_ts": "10.1.0.0/33" } } }""", "connections.c.children.net.local_ts[0]: '10.1.0.0/33' is not a CIDR prefix" },
        { """{ "children": { "net": { "remote_ts": "10.2.0.0/24[tcp/http]" } } }""", "connections.c.children.net.remote_ts[0]: '10.2.0.0/24[tcp/http]': 'http' is not a port; valid: a number from 0 to 65535" },
        { """{ "proposals": "aes257-sha256-modp2048" }""", "connections.c.proposals[0]: unknown IKE algorithm 'aes257' in proposal 'aes257-sha256-modp2048'; valid: aes128, aes128gcm16" },
        { """{ "children": { "net": { "esp_proposals": "aes256" } } }""", "connections.c.children.net.esp_proposals[0]: ESP proposal 'aes256' needs an integrity algorithm" },
        { """{ "rekey_time": "4 hours" }""", "connections.c.rekey_time: '4 hours' is not a duration; write it as swanctl does: 30s, 10m, 8h, 1d" },
        { """{ "remote_addrs": "vpn_1.example.com" }""", "connections.c.remote_addrs[0]: 'vpn_1.example.com' is neither an IP address nor a host name; valid: an IPv4 or IPv6 address, a DNS name such as vpn.example.net (resolved when s2s initiates), or %any" },
        { """{ "remote_addrs": "10.1.2" }""", "connections.c.remote_addrs[0]: '10.1.2' is neither an IP address nor a host name" },
        { """{ "remote_addrs": "192.0.2.2, -vpn.example.com" }""", "connections.c.remote_addrs[1]: '-vpn.example.com' is neither an IP address nor a host name" },
        { """{ "remote_addrs": "10.0.0.0/8" }""", "connections.c.remote_addrs[0]: '10.0.0.0/8' is neither an IP address nor a host name" },
        { """{ "local_port": 70000 }""", "connections.c.local_port: '70000' is not a whole number from 1 to 65535" },
        { """{ "local": { "auth": "eap", "id": "moon" } }""", "connections.c.local.auth: 'eap' is not supported; valid: psk, pubkey (a certificate; rsa/pss for RSA keys signing with RSASSA-PSS)" },
        { """{ "local": { "auth": "pubkey", "id": "moon" } }""", "connections.c.local.certs: missing; local.auth pubkey needs our certificate (and its intermediates): \"certs\": [\"gw.crt\"]" },
        { """{ "local": { "auth": "psk", "id": "%any" } }""", "connections.c.local.id: missing" },
        { """{ "children": { "net": { "mode": "transport" } } }""", "connections.c.children.net.mode: 'transport' is not supported; valid: tunnel" },
        { """{ "children": { "net": { "start_action": "always" } } }""", "connections.c.children.net.start_action: 'always' is not valid; valid: none, start, trap" },
        { """{ "children": { "net": { "dpd_action": "hold" } } }""", "connections.c.children.net.dpd_action: 'hold' is not valid; valid: clear, restart, none" },
        { """{ "children": { "net": { "interface": "a-very-long-interface-name" } } }""", "connections.c.children.net.interface: 'a-very-long-interface-name' is not a valid interface name: it has 26 characters, more than 15; a name has 1 to 15" },
        { """{ "children": { "net": { "interface": "vti:0" } } }""", "connections.c.children.net.interface: 'vti:0' is not a valid interface name: it contains ':'" },
        { """{ "children": { "net": { "interface": "vti%d" } } }""", "connections.c.children.net.interface: 'vti%d' is not a valid interface name: it contains '%'" },
        { """{ "children": { "net": { "rekey_bytes": "lots" } } }""", "connections.c.children.net.rekey_bytes: 'lots' is not a count" },
        { """{ "childs": {} }""", "connections.c.childs: unknown key; valid: version, local_addrs" },
        { """{ "children": { "net": { "rekey_time": "1h", "life_time": "30m" } } }""", "connections.c.children.net.life_time: '1800s' must be longer than rekey_time (3600s)" },
        { """{ "encap": "maybe" }""", "connections.c.encap: 'maybe' is not valid; valid: yes, no" },
        { """{ "encap": "no" }""", "connections.c.encap: 'no' is not supported: a user-mode gateway sends ESP in UDP" },
        { """{ "local_port": 4501 }""", "connections.c.local_port: '4501' is not supported yet; valid: 500" },
        { """{ "remote_addrs": "%any", "children": { "net": { "start_action": "trap" } } }""", "connections.c.children.net.start_action: 'trap' needs an address or host name in remote_addrs to initiate to; valid without one: none" },
        { """{ "remote_addrs": "%any", "children": { "net": { "start_action": "start" } } }""", "connections.c.children.net.start_action: 'start' needs an address or host name in remote_addrs to initiate to; valid without one: none" },
        { """{ "remote_addrs": "0.0.0.0", "children": { "net": { "start_action": "start" } } }""", "connections.c.children.net.start_action: 'start' needs an address or host name in remote_addrs" },
        { """{ "local_addrs": "192.0.2.1", "remote_addrs": "2001:db8::2" }""", "connections.c.remote_addrs: '2001:db8::2' is IPv6, and local_addrs (192.0.2.1) hold no IPv6 address to reach it from; add one (or ::), or leave local_addrs out" },
        { """{ "local_addrs": "2001:db8::1", "remote_addrs": "192.0.2.2, 2001:db8::2" }""", "connections.c.remote_addrs: '192.0.2.2' is IPv4, and local_addrs (2001:db8::1) hold no IPv4 address" },
        { """{ "rekey_time": "1h", "rand_time": "1h" }""", "connections.c.rand_time: '3600s' must be shorter than rekey_time (3600s), from which a random part of it is taken; valid: 0s to 3599s" },
        { """{ "children": { "net": { "rekey_time": "10m", "rand_time": "20m" } } }""", "connections.c.children.net.rand_time: '1200s' must be shorter than rekey_time (600s)" },
        { """{ "reauth_time": "soon" }""", "connections.c.reauth_time: 'soon' is not" },
        { """{ "reauth_time": "10m", "rand_time": "10m" }""", "connections.c.rand_time: '600s' must be shorter than reauth_time (600s), from which a random part of it is taken; valid: 0s to 599s" },
        { """{ "reauth_time": "1h", "life_time": "1h" }""", "connections.c.life_time: '3600s' must be longer than reauth_time (3600s), or the IKE SA closes before it is reauthenticated" },
    };

    private const string Valid = """
        {
          "connections": {
            "c": {
              "local_addrs": "192.0.2.1", "remote_addrs": "192.0.2.2",
              "local": { "auth": "psk", "id": "moon" }, "remote": { "auth": "psk", "id": "sun" },
              "children": { "net": { "local_ts": "10.1.0.0/24", "remote_ts": "10.2.0.0/24" } }
            }
          },
          "secrets": { "ike-c": { "id": "sun", "secret": "a-pre-shared-key-of-26-chars" } }
        }
        """;

    [Theory]
    [MemberData(nameof(BadConfigs))]
    public void TryParse_BadValue_OneLineNamesKeyValueAndWhatIsValid(string fragment, string expected)
    {
        var json = Merge(Valid, fragment);
        Assert.False(ConfigLoader.TryParse(json, ".", out _, out var problems));
        Assert.Contains(problems, line => line.StartsWith(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("vpn.example.net", true)]
    [InlineData("vpn.example.net.", true)]
    [InlineData("localhost", true)]
    [InlineData("a-1.b2.example", true)]
    [InlineData("gw-0123456789.example.com", true)]
    [InlineData("vpn_1.example.net", false)]
    [InlineData("-vpn.example.net", false)]
    [InlineData("vpn-.example.net", false)]
    [InlineData("vpn..example.net", false)]
    [InlineData("10.1.2", false)]
    [InlineData("1.2.3.4.5", false)]
    [InlineData("", false)]
    [InlineData(".", false)]
    [InlineData("vpn.example.net/24", false)]
    [InlineData("vpn example.net", false)]
    public void IsHostName_LettersDigitsHyphensInLabels_LastLabelNotAllDigits(string text, bool expected) =>
        Assert.Equal(expected, RemoteHost.IsHostName(text));

    [Fact]
    public void IsHostName_LabelOf64OrNameOf254_IsNot()
    {
        Assert.True(RemoteHost.IsHostName(new string('a', 63) + ".example"));
        Assert.False(RemoteHost.IsHostName(new string('a', 64) + ".example"));
        Assert.True(RemoteHost.IsHostName(string.Join('.', Enumerable.Repeat(new string('a', 63), 3)) + "." + new string('b', 61)));
        Assert.False(RemoteHost.IsHostName(string.Join('.', Enumerable.Repeat(new string('a', 63), 3)) + "." + new string('b', 62)));
    }

    /// <summary>remote_addrs with a host name: the addresses written as such in the engine's config, the whole list in order for the gateway.</summary>
    [Fact]
    public void TryParse_HostNameInRemoteAddrs_KeptInOrderForTheGateway_NotAHub()
    {
        var json = Merge(Valid, """{ "remote_addrs": "vpn.example.net, 192.0.2.3" }""");
        Assert.True(ConfigLoader.TryParse(json, ".", out var config, out var problems), string.Join('\n', problems));
        var c = Assert.Single(config.Connections);
        Assert.True(c.HasRemoteNames);
        Assert.False(c.AcceptsAnyPeer);
        Assert.Equal([IPAddress.Parse("192.0.2.3")], c.RemoteAddresses);
        Assert.Equal(["vpn.example.net", "192.0.2.3"], config.RemoteHosts["c"].Select(h => h.ToString()));
        Assert.Empty(config.Warnings);
    }

    [Fact]
    public void TryParse_HostNameOnly_StartActionStartNeedsNoAddress()
    {
        var json = Merge(Valid, """{ "remote_addrs": "vpn.example.net", "children": { "net": { "start_action": "start" } } }""");
        Assert.True(ConfigLoader.TryParse(json, ".", out var config, out var problems), string.Join('\n', problems));
        Assert.Empty(Assert.Single(config.Connections).RemoteAddresses);
    }

    [Fact]
    public void Between_HostNameChanged_TheConnectionChanged()
    {
        static GatewayConfig Load(string remote)
        {
            Assert.True(ConfigLoader.TryParse(Merge(Valid, $$"""{ "remote_addrs": "{{remote}}" }"""), ".", out var config, out var problems), string.Join('\n', problems));
            return config;
        }
        Assert.Equal(["c"], ConfigDiff.Between(Load("vpn.example.net"), Load("vpn2.example.net")).Changed);
        Assert.Equal(["c"], ConfigDiff.Between(Load("vpn.example.net, 192.0.2.3"), Load("192.0.2.3, vpn.example.net")).Changed);
        Assert.True(ConfigDiff.Between(Load("vpn.example.net"), Load("vpn.example.net")).IsEmpty);
    }

    [Fact]
    public void TryParse_ValidBase_Loads()
    {
        Assert.True(ConfigLoader.TryParse(Valid, ".", out var config, out var problems), string.Join('\n', problems));
        Assert.Single(config.Connections);
        Assert.Empty(config.Warnings);
    }

    [Theory]
    [InlineData("short-psk", "secrets.ike-c.secret: the pre-shared key has 9 characters; one shorter than 20 can be found by an offline dictionary attack (RFC 7296 2.15)")]
    [InlineData("nineteen-characters", "secrets.ike-c.secret: the pre-shared key has 19 characters")]
    [InlineData("0x3a9f1c2b44d6e8f00112233445566778", "secrets.ike-c.secret: the pre-shared key has 16 bytes")]
    [InlineData("0sc2hvcnQtYnV0LWJhc2U2NA==", "secrets.ike-c.secret: the pre-shared key has 16 bytes")]
    [InlineData("twenty-characters-ok", null)]
    [InlineData("0x3a9f1c2b44d6e8f00112233445566778c4e1d07a", null)]
    public void TryParse_ShortPreSharedKey_WarnsNamingTheKeyNeverTheSecret(string secret, string? expected)
    {
        var json = Valid.Replace("a-pre-shared-key-of-26-chars", secret, StringComparison.Ordinal);
        Assert.True(ConfigLoader.TryParse(json, ".", out var config, out var problems), string.Join('\n', problems));
        if (expected is null)
        {
            Assert.Empty(config.Warnings);
            return;
        }
        var warning = Assert.Single(config.Warnings);
        Assert.StartsWith(expected, warning, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, warning, StringComparison.Ordinal);
    }

    /// <summary>A connection "hub" as a hub writes it: its remote_addrs, its remote id (null: none), and the secrets section.</summary>
    private static string Hub(string remoteAddrs, string? remoteId, string secrets) => $$"""
        {
          "connections": {
            "hub": {
              "remote_addrs": "{{remoteAddrs}}",
              "local": { "auth": "psk", "id": "hub.example" },
              {{(remoteId is null ? "" : $"\"remote\": {{ \"auth\": \"psk\", \"id\": \"{remoteId}\" }},")}}
              "children": { "net": { "local_ts": "10.0.0.0/16", "remote_ts": "10.128.0.0/9" } }
            }
          },
          "secrets": { {{secrets}} }
        }
        """;

    private const string Key = "\"secret\": \"a-pre-shared-key-of-26-chars\"";

    public static TheoryData<string, string?, string, string?> Hubs => new()
    {
        // remote_addrs, remote id, secrets, the warning (null: none)
        { "%any", null, $"\"ike-hub\": {{ {Key} }}", "connections.hub.remote.id: not set, and remote_addrs accepts any address: every peer holding secrets.ike-hub is accepted under whatever identity it claims" },
        { "", null, $"\"ike-hub\": {{ {Key} }}", "connections.hub.remote.id: not set, and remote_addrs accepts any address" },
        { "0.0.0.0", null, $"\"ike-hub\": {{ {Key} }}", "connections.hub.remote.id: not set" },
        { "192.0.2.2, ::", null, $"\"ike-hub\": {{ {Key} }}", "connections.hub.remote.id: not set" },
        { "%any", "%any", $"\"ike-hub\": {{ {Key} }}", "connections.hub.remote.id: not set" },
        { "%any", "spoke1", $"\"ike-hub\": {{ {Key} }}", "connections.hub: remote_addrs accepts any address, and secrets.ike-hub names no identity: every peer holding it can authenticate as spoke1" },
        { "%any", "spoke1", $"\"ike-spokes\": {{ \"id\": \"spoke1, spoke2\", {Key} }}", "connections.hub: remote_addrs accepts any address, and secrets.ike-spokes also names spoke2: every peer holding it can authenticate as spoke1" },
        { "%any", "spoke1", $"\"ike-ours\": {{ \"id\": \"hub.example\", {Key} }}", "connections.hub: remote_addrs accepts any address, and secrets.ike-ours is found by our identity hub.example, not the peer's" },
        { "%any", "spoke1", $"\"ike-hub\": {{ \"id\": \"spoke2\", {Key} }}", "connections.hub: remote_addrs accepts any address, and secrets.ike-hub names spoke2, not the peer: every peer holding it can authenticate as spoke1" },
        { "%any", "spoke1", $"\"ike-spoke1\": {{ \"id\": \"spoke1\", {Key} }}", null },
        { "%any", "spoke1", $"\"ike-spoke1\": {{ \"id\": \"spoke1, hub.example\", {Key} }}", null },
        { "192.0.2.2", null, $"\"ike-hub\": {{ {Key} }}", null },
        { "192.0.2.2", "spoke1", $"\"ike-spokes\": {{ \"id\": \"spoke1, spoke2\", {Key} }}", null },
    };

    [Theory]
    [MemberData(nameof(Hubs))]
    public void TryParse_AnyAddressConnection_WarnsWhenOneSecretServesEveryPeer(string remoteAddrs, string? remoteId, string secrets, string? expected)
    {
        Assert.True(ConfigLoader.TryParse(Hub(remoteAddrs, remoteId, secrets), ".", out var config, out var problems), string.Join('\n', problems));
        if (expected is null)
            Assert.Empty(config.Warnings);
        else
            Assert.StartsWith(expected, Assert.Single(config.Warnings), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{", "line 1: not valid JSON")]
    [InlineData("[]", "(top): the configuration must be a JSON object")]
    [InlineData("{}", "connections: at least one connection is needed")]
    [InlineData("""{ "connections": { "c": { "local": { "id": "moon" }, "children": { "n": { "local_ts": "10.0.0.0/8", "remote_ts": "10.0.0.0/8" } } } } }""",
        "connections.c.local.auth: 'psk' needs a pre-shared key: add secrets.ike-c")]
    [InlineData("""{ "gateway": { "mtu": 100 }, "connections": {} }""", "gateway.mtu: '100' is not a whole number from 576 to 65535")]
    [InlineData("""{ "gateway": { "log_level": "loud" }, "connections": {} }""", "gateway.log_level: 'loud' is not a log level")]
    [InlineData("""{ "gateway": { "offload": "maybe" }, "connections": {} }""", "gateway.offload: 'maybe' is not valid; valid: yes, no")]
    [InlineData("""{ "gateway": { "control_socket": "s2s.sock" }, "connections": {} }""", "gateway.control_socket: 's2s.sock' is not an absolute path")]
    [InlineData("""{ "gateway": { "control_group": "s2s-no-such-group" }, "connections": {} }""", "gateway.control_group: 's2s-no-such-group' is not a group on this machine (see getent group); valid: a group name such as adm, or a numeric gid")]
    [InlineData("""{ "gateway": { "control_group": "-1" }, "connections": {} }""", "gateway.control_group: '-1' is not a group on this machine")]
    [InlineData("""{ "gateway": { "control_group": "4294967295" }, "connections": {} }""", "gateway.control_group: '4294967295' is not a group on this machine")]
    [InlineData("""{ "gateway": { "tun_name": "s2s%d%d" }, "connections": {} }""", "gateway.tun_name: 's2s%d%d' is not a valid interface name: '%' may only stand once, as \"%d\"")]
    [InlineData("""{ "gateway": { "tun_name": "s2s:0" }, "connections": {} }""", "gateway.tun_name: 's2s:0' is not a valid interface name: it contains ':'")]
    [InlineData("""{ "secrets": { "eap-x": {} }, "connections": {} }""", "secrets.eap-x: only ike secrets")]
    [InlineData("""{ "secrets": { "ike-x": { "secret": "0xzz" } }, "connections": {} }""", "secrets.ike-x.secret: a secret starting 0x must be hex")]
    [InlineData("""{ "secrets": { "ike-x": { "file": "/nonexistent/psk" } }, "connections": {} }""", "secrets.ike-x.file: '/nonexistent/psk' cannot be read")]
    public void TryParse_BadDocument_SaysWhere(string json, string expected)
    {
        Assert.False(ConfigLoader.TryParse(json, ".", out _, out var problems));
        Assert.Contains(problems, line => line.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void TryParse_TwoChildrenOnOneInterface_Refused()
    {
        var json = Merge(Valid, """{ "children": { "net": { "interface": "vti0" }, "two": { "interface": "vti0" } } }""");
        Assert.False(ConfigLoader.TryParse(json, ".", out _, out var problems));
        Assert.Contains(problems, l => l.Contains("'vti0' is already used by connections.c.children.net", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("s2s0", false)]
    [InlineData("s2s%d", true)]
    [InlineData("s2s%d", false)]
    [InlineData("s2s%d%d", true)]
    [InlineData("vti:0", false)]
    [InlineData("vti 0", false)]
    [InlineData("vti/0", false)]
    [InlineData("tün0", false)]
    [InlineData("..", false)]
    [InlineData("s2s-fifteen-chr", false)]
    [InlineData("s2s-sixteen-char", false)]
    public void InterfaceName_CheckAndRunAgree(string name, bool shared)
    {
        var fragment = shared
            ? new System.Text.Json.Nodes.JsonObject { ["tun_name"] = name }
            : new System.Text.Json.Nodes.JsonObject { ["interface"] = name };
        var root = System.Text.Json.Nodes.JsonNode.Parse(Valid)!;
        if (shared)
            root["gateway"] = fragment;
        else
            MergeInto(root["connections"]!["c"]!["children"]!["net"]!.AsObject(), fragment);
        var checkAccepts = ConfigLoader.TryParse(root.ToJsonString(), ".", out _, out var problems);
        var runAccepts = Record.Exception(() => S2SEndpoint.Gateway.Tun.InterfaceName.Validate(name, "name", allowPattern: shared)) is null;
        Assert.True(checkAccepts == runAccepts, $"check {(checkAccepts ? "accepts" : "refuses")} '{name}', run {(runAccepts ? "accepts" : "refuses")} it: {string.Join('\n', problems)}");
    }

    [Theory]
    [InlineData("root", 0u)]
    [InlineData("0", 0u)]
    [InlineData("65534", 65534u)]
    [InlineData("123456", 123456u)]
    public void TryParse_ControlGroup_NameOrNumberResolvedToItsGid(string text, uint gid)
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(Valid)!;
        json["gateway"] = new System.Text.Json.Nodes.JsonObject { ["control_group"] = text };
        Assert.True(ConfigLoader.TryParse(json.ToJsonString(), ".", out var config, out var problems), string.Join('\n', problems));
        Assert.Equal(new ControlGroup(text, gid), config.Settings.ControlGroup);
    }

    [Fact]
    public void Diff_ControlGroupChanged_NeedsRestart()
    {
        Assert.True(ConfigLoader.TryParse(Valid, ".", out var old, out _));
        var json = System.Text.Json.Nodes.JsonNode.Parse(Valid)!;
        json["gateway"] = new System.Text.Json.Nodes.JsonObject { ["control_group"] = "root" };
        Assert.True(ConfigLoader.TryParse(json.ToJsonString(), ".", out var next, out _));
        Assert.Equal(["gateway.control_group"], ConfigDiff.Between(old, next).NeedRestart);
    }

    [Fact]
    public void TryParse_DuplicateConnectionName_RefusedNamingIt()
    {
        var json = """
            {
              "connections": {
                "c": { "local": { "id": "moon" }, "children": { "net": { "local_ts": "10.1.0.0/24", "remote_ts": "10.2.0.0/24" } } },
                "c": { "local": { "id": "moon" }, "children": { "net": { "local_ts": "10.1.0.0/24", "remote_ts": "10.3.0.0/24" } } }
              },
              "secrets": { "ike-c": { "secret": "a-pre-shared-key-of-some-length" } }
            }
            """;
        Assert.False(ConfigLoader.TryParse(json, ".", out _, out var problems));
        Assert.Equal(["connections.c: is written more than once in its object; each name may appear once: give the second its own name"], problems);
    }

    [Theory]
    [InlineData("""{ "connections": { "c": { "rekey_time": "1h", "rekey_time": "2h" } } }""", "connections.c.rekey_time: is written more than once in its object; each key may appear once: keep one")]
    [InlineData("""{ "connections": { "c": { "children": { "net": {}, "net": {} } } } }""", "connections.c.children.net: is written more than once in its object; each name may appear once")]
    [InlineData("""{ "secrets": { "ike-a": { "secret": "x" }, "ike-a": { "secret": "y" } } }""", "secrets.ike-a: is written more than once in its object; each name may appear once")]
    [InlineData("""{ "gateway": { "mtu": 1400, "mtu": 1500 } }""", "gateway.mtu: is written more than once")]
    public void TryParse_DuplicateKey_RefusedNamingItsPath(string json, string expected)
    {
        Assert.False(ConfigLoader.TryParse(json, ".", out _, out var problems));
        Assert.Contains(problems, line => line.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void TryParse_RekeyTimeZero_RekeyingOffAndNoHardLifetime()
    {
        var json = Merge(Valid, """{ "rekey_time": "0s", "children": { "net": { "rekey_time": "0" } } }""");
        Assert.True(ConfigLoader.TryParse(json, ".", out var config, out var problems), string.Join('\n', problems));
        var c = Assert.Single(config.Connections);
        Assert.Equal((TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero), (c.RekeyTime, c.RandTime, c.EffectiveLifeTime));
        var child = Assert.Single(c.Children);
        Assert.Equal((TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero), (child.RekeyTime, child.RandTime, child.EffectiveLifeTime));
    }

    [Fact]
    public void TryParse_RekeyTimeZeroWithLifeTime_HardLifetimeOnly()
    {
        var json = Merge(Valid, """{ "rekey_time": "0", "life_time": "8h", "rand_time": "5m", "children": { "net": { "rekey_time": "0", "life_time": "2h" } } }""");
        Assert.True(ConfigLoader.TryParse(json, ".", out var config, out var problems), string.Join('\n', problems));
        var c = Assert.Single(config.Connections);
        Assert.Equal(TimeSpan.FromHours(8), c.EffectiveLifeTime);
        Assert.Equal(TimeSpan.FromHours(2), c.Children[0].EffectiveLifeTime);
    }

    [Fact]
    public void TryParse_ReauthTime_AsSwanctl_RekeyOffRandAndLifeFromTheLonger()
    {
        var json = Merge(Valid, """{ "reauth_time": "2h" }""");
        Assert.True(ConfigLoader.TryParse(json, ".", out var config, out var problems), string.Join('\n', problems));
        var c = Assert.Single(config.Connections);
        // swanctl: reauth_time set, rekey_time defaults to zero; rand_time to over_time, 10% of the longer.
        Assert.Equal((TimeSpan.FromHours(2), TimeSpan.Zero, TimeSpan.FromMinutes(12), TimeSpan.FromMinutes(132)),
            (c.ReauthTime, c.RekeyTime, c.RandTime, c.EffectiveLifeTime));

        json = Merge(Valid, """{ "reauth_time": "24h", "rekey_time": "4h" }""");
        Assert.True(ConfigLoader.TryParse(json, ".", out config, out problems), string.Join('\n', problems));
        c = Assert.Single(config.Connections);
        // Both: each is scheduled; the hard lifetime follows the earlier (the rekey), plus 10% of the longer.
        Assert.Equal((TimeSpan.FromHours(24), TimeSpan.FromHours(4), TimeSpan.FromMinutes(144), TimeSpan.FromMinutes(384)),
            (c.ReauthTime, c.RekeyTime, c.RandTime, c.EffectiveLifeTime));

        Assert.True(ConfigLoader.TryParse(Valid, ".", out config, out _));
        Assert.Equal(TimeSpan.Zero, Assert.Single(config.Connections).ReauthTime);
    }

    [Fact]
    public void TryParse_SeveralMistakes_AllReportedAtOnce()
    {
        var json = Merge(Valid, """{ "rekey_time": "x", "local_port": 0, "children": { "net": { "local_ts": "nonsense" } } }""");
        Assert.False(ConfigLoader.TryParse(json, ".", out _, out var problems));
        Assert.Equal(3, problems.Count);
    }

    [Theory]
    [InlineData("30s", 30)]
    [InlineData("10m", 600)]
    [InlineData("8h", 28800)]
    [InlineData("1d", 86400)]
    [InlineData("45", 45)]
    public void Duration_SwanctlForms_Parse(string text, int seconds)
    {
        Assert.True(Duration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
    }

    /// <summary>Overlays <paramref name="fragment"/> on connection "c" of <paramref name="baseJson"/>, deeply.</summary>
    private static string Merge(string baseJson, string fragment)
    {
        var root = System.Text.Json.Nodes.JsonNode.Parse(baseJson)!;
        var overlay = System.Text.Json.Nodes.JsonNode.Parse(fragment)!;
        MergeInto(root["connections"]!["c"]!.AsObject(), overlay.AsObject());
        return root.ToJsonString();
    }

    private static void MergeInto(System.Text.Json.Nodes.JsonObject target, System.Text.Json.Nodes.JsonObject source)
    {
        foreach (var (key, value) in source.ToList())
        {
            if (value is System.Text.Json.Nodes.JsonObject child && target[key] is System.Text.Json.Nodes.JsonObject existing)
                MergeInto(existing, child);
            else
                target[key] = value?.DeepClone();
        }
    }

    /// <summary>swanctl picks the secret that matches both identities; a hub's secrets all list the hub's own id.</summary>
    [Fact]
    public void Load_TwoConnectionsWithOneLocalId_EachGetsTheSecretNamingBothIds()
    {
        var config = Core.TestConfig.Load("""
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
}
