using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Gateway.Tests.Config;

/// <summary>
/// local_ts and remote_ts with protocol and port as swanctl writes them (10.1.0.0/24[tcp/443]): each form read into the
/// selector it means and printed back as strongSwan prints it, each mistake one line naming the key, the value and what
/// is valid, and a policy-based child's route the address part of its selectors.
/// </summary>
public sealed class SelectorConfigTests
{
    private static string Config(string localTs, string remoteTs, string child = "") => $$"""
        {
          "connections": {
            "c": {
              "local_addrs": "192.0.2.1", "remote_addrs": "192.0.2.2",
              "local": { "auth": "psk", "id": "moon" }, "remote": { "auth": "psk", "id": "sun" },
              "children": { "net": { "local_ts": {{localTs}}, "remote_ts": {{remoteTs}} {{child}} } }
            }
          },
          "secrets": { "ike-c": { "id": "sun", "secret": "a-pre-shared-key-of-26-chars" } }
        }
        """;

    [Theory]
    [InlineData("10.1.0.0/24", 0, 0, 65535, "10.1.0.0/24")]
    [InlineData("10.1.0.0/24[tcp/443]", 6, 443, 443, "10.1.0.0/24[tcp/443]")]
    [InlineData("10.1.0.0/24[udp]", 17, 0, 65535, "10.1.0.0/24[udp]")]
    [InlineData("10.1.0.0/24[tcp/1024-65535]", 6, 1024, 65535, "10.1.0.0/24[tcp/1024-65535]")]
    [InlineData("10.1.0.0/24[17/53]", 17, 53, 53, "10.1.0.0/24[udp/53]")]
    [InlineData("10.1.0.0/24[/80]", 0, 80, 80, "10.1.0.0/24[0/80]")]
    [InlineData("10.1.0.0/24[0/80]", 0, 80, 80, "10.1.0.0/24[0/80]")]
    [InlineData("10.1.0.0/24[any/80]", 0, 80, 80, "10.1.0.0/24[0/80]")]
    [InlineData("10.1.0.0/24[TCP/443]", 6, 443, 443, "10.1.0.0/24[tcp/443]")]
    [InlineData("10.1.0.0/24[tcp/%any]", 6, 0, 65535, "10.1.0.0/24[tcp]")]
    [InlineData("10.1.0.0/24[tcp/]", 6, 0, 65535, "10.1.0.0/24[tcp]")]
    [InlineData("10.1.0.0/24[udp/opaque]", 17, 65535, 0, "10.1.0.0/24[udp/OPAQUE]")]
    [InlineData("10.1.0.0/24[udp/OPAQUE]", 17, 65535, 0, "10.1.0.0/24[udp/OPAQUE]")]
    [InlineData("10.1.0.0/24[gre]", 47, 0, 65535, "10.1.0.0/24[gre]")]
    [InlineData("10.1.0.0/24[icmp/8]", 1, 0x0800, 0x0800, "10.1.0.0/24[icmp/8]")]
    [InlineData("10.1.0.0/24[icmp/769]", 1, 0x0301, 0x0301, "10.1.0.0/24[icmp/3(1)]")]
    [InlineData("10.1.0.0/24[icmp/768-1023]", 1, 0x0300, 0x03FF, "10.1.0.0/24[icmp/3-3(255)]")]
    [InlineData("fd00:1::/64[ipv6-icmp/128]", 58, 0x8000, 0x8000, "fd00:1::/64[ipv6-icmp/128]")]
    [InlineData("fd00:1::/64[icmpv6]", 58, 0, 65535, "fd00:1::/64[ipv6-icmp]")]
    [InlineData("10.1.0.7[tcp/22]", 6, 22, 22, "10.1.0.7/32[tcp/22]")]
    public void Load_SelectorForm_ReadAsItsProtocolAndPorts_PrintedAsSwanctlDoes(string text, byte protocol, int start, int end, string printed)
    {
        Assert.True(ConfigLoader.TryParse(Config($"\"{text}\"", "\"10.2.0.0/24\""), ".", out var config, out var problems), string.Join('\n', problems));
        var ts = Assert.Single(config.Connections[0].Children[0].LocalTs);
        Assert.Equal((protocol, (ushort)start, (ushort)end), (ts.IpProtocol, ts.StartPort, ts.EndPort));
        Assert.Equal(printed, ts.ToString());
        // What it prints reads back as the same selector; strongSwan's ICMP code in parentheses, 3(1), is print only.
        if (printed.Contains('(', StringComparison.Ordinal))
            return;
        var again = new List<TrafficSelector>();
        Assert.True(SelectorText.TryParse(printed, again, out var problem), problem);
        Assert.Equal(ts, Assert.Single(again));
    }

    [Fact]
    public void Load_AnyWithProtocolAndPort_IsBothFamilies()
    {
        Assert.True(ConfigLoader.TryParse(Config("\"%any[udp/53]\"", "\"10.2.0.0/24\""), ".", out var config, out var problems), string.Join('\n', problems));
        Assert.Equal(["0.0.0.0/0[udp/53]", "::/0[udp/53]"], config.Connections[0].Children[0].LocalTs.Select(t => t.ToString()));
    }

    [Theory]
    [InlineData("10.1.0.0/24[tcp/http]", "'10.1.0.0/24[tcp/http]': 'http' is not a port; valid: a number from 0 to 65535, a range such as 1024-65535, opaque or %any (service names such as http are not looked up)")]
    [InlineData("10.1.0.0/24[tpc/443]", "'10.1.0.0/24[tpc/443]': 'tpc' is not a protocol; valid: a number from 0 to 255, or icmp, igmp, tcp, udp, gre, esp, ah, ipv6-icmp, ospf, sctp, udplite")]
    [InlineData("10.1.0.0/24[256]", "'10.1.0.0/24[256]': '256' is not a protocol; valid: a number from 0 to 255")]
    [InlineData("10.1.0.0/24[tcp/65536]", "'10.1.0.0/24[tcp/65536]': port 65536 is out of range; valid: 0 to 65535")]
    [InlineData("10.1.0.0/24[tcp/1024-999999]", "'10.1.0.0/24[tcp/1024-999999]': port 999999 is out of range; valid: 0 to 65535")]
    [InlineData("10.1.0.0/24[tcp/2000-1000]", "'10.1.0.0/24[tcp/2000-1000]': the port range 2000-1000 is reversed; write 1000-2000")]
    [InlineData("10.1.0.0/24[tcp/-80]", "'10.1.0.0/24[tcp/-80]': '-80' is not a port")]
    [InlineData("10.1.0.0/24[tcp/80-]", "'10.1.0.0/24[tcp/80-]': '80-' is not a port")]
    [InlineData("10.1.0.0/24[gre/80]", "'10.1.0.0/24[gre/80]': gre has no ports; a port follows tcp, udp, sctp, udplite, icmp or ipv6-icmp (the message type), or no protocol as in [/80]")]
    [InlineData("10.1.0.0/24[esp/1-2]", "'10.1.0.0/24[esp/1-2]': esp has no ports")]
    [InlineData("10.1.0.0/24[tcp/443", "'10.1.0.0/24[tcp/443': the protocol and port go between '[' and a closing ']' at the end, as in 10.1.0.0/24[tcp/443]")]
    [InlineData("10.1.0.0/24[tcp]/443", "'10.1.0.0/24[tcp]/443': the protocol and port go between '[' and a closing ']' at the end")]
    [InlineData("[17/53]", "'[17/53]' has no address before '['; valid: a CIDR prefix, an address or %any, optionally with [protocol/port], such as 10.1.0.0/24 or 10.1.0.0/24[tcp/443]")]
    [InlineData("10.1.0.0/33[tcp/443]", "'10.1.0.0/33[tcp/443]' is not a CIDR prefix; valid: a CIDR prefix, an address or %any")]
    [InlineData("dynamic[tcp/443]", "'dynamic[tcp/443]' is not a CIDR prefix")]
    public void Load_SelectorMistake_OneLineNamingKeyValueAndWhatIsValid(string text, string expected)
    {
        Assert.False(ConfigLoader.TryParse(Config($"\"{text}\"", "\"10.2.0.0/24\""), ".", out _, out var problems));
        var line = Assert.Single(problems);
        Assert.StartsWith($"connections.c.children.net.local_ts[0]: {expected}", line, StringComparison.Ordinal);
    }

    /// <summary>Its address part is everything: a full tunnel's default routes, into their own table.</summary>
    [Fact]
    public void Load_AnyToAnyPortOnAPolicyBasedChildsRemoteSide_IsAFullTunnel()
    {
        Assert.True(ConfigLoader.TryParse(Config("\"10.1.0.0/24\"", "\"%any[udp/53]\""), ".", out var config, out var problems), string.Join('\n', problems));
        var routes = TunnelRoute.OfRemoteSelectors(config.Connections[0].Children[0].RemoteTs).ToList();
        Assert.Equal(["0.0.0.0/0 table 5325", "::/0 table 5325"], routes.Select(r => r.ToString()));
        Assert.All(routes, r => Assert.True(r.IsFullTunnel));
    }

    /// <summary>A policy-based child routes its remote selectors' addresses into the shared device: one prefix with two ports is one route.</summary>
    [Fact]
    public void Load_PolicyBasedChildWithPortsOnOnePrefix_RoutesThePrefixOnce()
    {
        Assert.True(ConfigLoader.TryParse(Config("\"10.1.0.0/24\"", "[\"10.2.0.0/24[tcp/443]\", \"10.2.0.0/24[udp/53]\", \"10.3.0.0/24[icmp]\"]"), ".", out var config, out var problems),
            string.Join('\n', problems));
        var remote = config.Connections[0].Children[0].RemoteTs;
        Assert.Equal(["10.2.0.0/24[tcp/443]", "10.2.0.0/24[udp/53]", "10.3.0.0/24[icmp]"], remote.Select(t => t.ToString()));
        Assert.Equal(["10.2.0.0/24", "10.3.0.0/24"], remote.Select(SelectorPrefix.Exact).Distinct().Select(n => n.ToString()));
    }

    /// <summary>A route-based child's route clashing with a policy-based child's selector is found by the selector's address part.</summary>
    [Fact]
    public void Load_RouteClashWithAPortSelector_FoundByItsAddresses()
    {
        var json = """
            {
              "connections": {
                "a": { "remote_addrs": "192.0.2.2", "local": { "id": "moon" }, "remote": { "id": "sun" },
                       "children": { "net": { "local_ts": "10.1.0.0/24", "remote_ts": "10.2.0.0/24[tcp/443]" } } },
                "b": { "remote_addrs": "192.0.2.3", "local": { "id": "moon" }, "remote": { "id": "star" },
                       "children": { "vti": { "interface": "vti0", "routes": "10.2.0.0/24" } } }
              },
              "secrets": { "ike-a": { "id": "sun", "secret": "a-pre-shared-key-of-26-chars" }, "ike-b": { "id": "star", "secret": "a-pre-shared-key-of-26-chars" } }
            }
            """;
        Assert.False(ConfigLoader.TryParse(json, ".", out _, out var problems));
        Assert.Contains(problems, l => l.StartsWith("connections.b.children.vti.routes[0]: '10.2.0.0/24' is already routed into s2s%d with metric 0 by connections.a.children.net", StringComparison.Ordinal));
    }
}
