using System.Net;
using S2SEndpoint.Gateway.Config;

namespace S2SEndpoint.Gateway.Tests.Config;

/// <summary>
/// A route-based child's tunnel interface as a routing daemon needs it: interface_addrs (with a point-to-point peer),
/// routes with a metric, and one prefix into several tunnels, ordered by metric or, with equal metrics, one multipath
/// route (ECMP). What `s2s run` could not install is refused (by `s2s check` as by `s2s run`) with one line naming both
/// children: a tunnel's route equal to a policy-based child's, one prefix twice in a list.
/// </summary>
public sealed class TunnelRoutingConfigTests
{
    /// <summary>
    /// Two connections, a and b, whose children take <paramref name="childA"/> and <paramref name="childB"/>: route-based
    /// into vti0 and vti1, or policy-based where the interface is null.
    /// </summary>
    private static string TwoTunnels(string childA, string childB, string? ifaceA = "vti0", string? ifaceB = "vti1") => $$"""
        {
          "connections": {
            "a": {
              "local_addrs": "192.0.2.1", "remote_addrs": "192.0.2.2",
              "local": { "auth": "psk", "id": "moon" }, "remote": { "auth": "psk", "id": "sun" },
              "children": { "net": { {{Interface(ifaceA)}} {{childA}} } }
            },
            "b": {
              "local_addrs": "192.0.2.1", "remote_addrs": "192.0.2.3",
              "local": { "auth": "psk", "id": "moon" }, "remote": { "auth": "psk", "id": "venus" },
              "children": { "net": { {{Interface(ifaceB)}} {{childB}} } }
            }
          },
          "secrets": { "ike-a": { "id": "sun", "secret": "a-pre-shared-key-of-26-chars" }, "ike-b": { "id": "venus", "secret": "a-pre-shared-key-of-26-chars" } }
        }
        """;

    private static string Interface(string? name) => name is null ? "" : $"\"interface\": \"{name}\",";

    private static IReadOnlyList<string> Problems(string json)
    {
        Assert.False(ConfigLoader.TryParse(json, ".", out _, out var problems));
        return problems;
    }

    private static GatewayConfig Loads(string json)
    {
        Assert.True(ConfigLoader.TryParse(json, ".", out var config, out var problems), string.Join('\n', problems));
        return config;
    }

    [Fact]
    public void TryParse_InterfaceAddrs_PrefixAndPointToPointForms()
    {
        var config = Loads(TwoTunnels(
            """ "interface_addrs": ["169.254.21.2/30", "fd00:21::2/64"] """,
            """ "interface_addrs": "169.254.22.2 peer 169.254.22.1, 169.254.22.6/32 peer 169.254.22.5/30, fd00:22::2 peer fd00:22::1" """));

        Assert.Equal(
            [new InterfaceAddress(IPAddress.Parse("169.254.21.2"), 30, null), new InterfaceAddress(IPAddress.Parse("fd00:21::2"), 64, null)],
            config.Routing[0].InterfaceAddresses);
        Assert.Equal(
        [
            new InterfaceAddress(IPAddress.Parse("169.254.22.2"), 32, IPAddress.Parse("169.254.22.1")),
            new InterfaceAddress(IPAddress.Parse("169.254.22.6"), 30, IPAddress.Parse("169.254.22.5")),
            new InterfaceAddress(IPAddress.Parse("fd00:22::2"), 128, IPAddress.Parse("fd00:22::1")),
        ], config.Routing[1].InterfaceAddresses);
        Assert.Equal(["169.254.22.2 peer 169.254.22.1/32", "169.254.22.6 peer 169.254.22.5/30", "fd00:22::2 peer fd00:22::1/128"],
            config.Routing[1].InterfaceAddresses.Select(a => a.ToString()));
    }

    [Fact]
    public void TryParse_RoutesWithAndWithoutMetric()
    {
        var config = Loads(TwoTunnels(""" "routes": ["10.2.0.0/16 metric 100", "10.9.0.1/16", "fd00:2::/48 metric 4294967295"] """, """ "routes": "10.3.0.0/16" """));

        Assert.Equal(
        [
            new TunnelRoute(IPNetwork.Parse("10.2.0.0/16"), 100),
            new TunnelRoute(IPNetwork.Parse("10.9.0.0/16"), null),
            new TunnelRoute(IPNetwork.Parse("fd00:2::/48"), uint.MaxValue),
        ], config.Routing[0].Routes);
        Assert.Equal(["10.2.0.0/16 metric 100", "10.9.0.0/16", "fd00:2::/48 metric 4294967295"], config.Routing[0].Routes.Select(r => r.ToString()));
        Assert.Equal(new TunnelRoute(IPNetwork.Parse("10.3.0.0/16"), null), Assert.Single(config.Routing[1].Routes));
        Assert.Empty(config.Routing[1].InterfaceAddresses);
    }

    public static TheoryData<string, string> BadValues => new()
    {
        { """ "routes": "10.2.0.0/16 metric" """, "connections.a.children.net.routes[0]: '10.2.0.0/16 metric' is not a route; valid: a prefix, optionally with a metric from 0 to 4294967295, such as 10.2.0.0/16 or 10.2.0.0/16 metric 100" },
        { """ "routes": "10.2.0.0/16 metric -1" """, "connections.a.children.net.routes[0]: '10.2.0.0/16 metric -1' is not a route; valid: a prefix, optionally with a metric from 0 to 4294967295, such as 10.2.0.0/16 or 10.2.0.0/16 metric 100" },
        { """ "routes": "10.2.0.0/16 metric 4294967296" """, "connections.a.children.net.routes[0]: '10.2.0.0/16 metric 4294967296' is not a route; valid: a prefix, optionally with a metric from 0 to 4294967295, such as 10.2.0.0/16 or 10.2.0.0/16 metric 100" },
        { """ "routes": "10.2.0.0/16 weight 2" """, "connections.a.children.net.routes[0]: '10.2.0.0/16 weight 2' is not a route; valid: a prefix, optionally with a metric from 0 to 4294967295, such as 10.2.0.0/16 or 10.2.0.0/16 metric 100" },
        { """ "routes": "10.2.0.0/33 metric 5" """, "connections.a.children.net.routes[0]: '10.2.0.0/33 metric 5' is not a CIDR prefix; valid: a prefix, optionally with a metric, such as 10.2.0.0/16 or 10.2.0.0/16 metric 100" },
        { """ "interface_addrs": "169.254.21.2" """, "connections.a.children.net.interface_addrs[0]: '169.254.21.2' has no prefix length; valid: ADDRESS/PREFIX such as 169.254.21.2/30, or ADDRESS peer PEER such as 169.254.21.2 peer 169.254.21.1" },
        { """ "interface_addrs": "169.254.21.2/33" """, "connections.a.children.net.interface_addrs[0]: '169.254.21.2/33' is not an interface address; valid: ADDRESS/PREFIX such as 169.254.21.2/30, or ADDRESS peer PEER such as 169.254.21.2 peer 169.254.21.1" },
        { """ "interface_addrs": "169.254.21.2/30 via 169.254.21.1" """, "connections.a.children.net.interface_addrs[0]: '169.254.21.2/30 via 169.254.21.1' is not an interface address; valid: ADDRESS/PREFIX such as 169.254.21.2/30, or ADDRESS peer PEER such as 169.254.21.2 peer 169.254.21.1" },
        { """ "interface_addrs": "169.254.21.2 peer azure" """, "connections.a.children.net.interface_addrs[0]: '169.254.21.2 peer azure': 'azure' is not an address; valid: ADDRESS/PREFIX such as 169.254.21.2/30, or ADDRESS peer PEER such as 169.254.21.2 peer 169.254.21.1" },
        { """ "interface_addrs": "169.254.21.2 peer fd00::1" """, "connections.a.children.net.interface_addrs[0]: '169.254.21.2 peer fd00::1': the address and its peer must both be IPv4 or both IPv6" },
        { """ "interface_addrs": "169.254.21.2/30 peer 169.254.21.1" """, "connections.a.children.net.interface_addrs[0]: '169.254.21.2/30 peer 169.254.21.1': with a peer the prefix length belongs to the peer; write 169.254.21.2 peer 169.254.21.1/30" },
        { """ "interface_addrs": ["169.254.21.2/30", "169.254.21.2/32 peer 169.254.21.1"] """, "connections.a.children.net.interface_addrs: '169.254.21.2' is listed 2 times; an interface takes an address once" },
        { """ "interface_addrs": { "address": "169.254.21.2/30" } """, "connections.a.children.net.interface_addrs: must be a list of strings, as an array or a comma-separated string" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void TryParse_BadInterfaceAddrOrRoute_OneLineNamesKeyValueAndWhatIsValid(string childA, string expected)
    {
        Assert.Equal([expected], Problems(TwoTunnels(childA, """ "routes": "10.3.0.0/16" """)));
    }

    [Fact]
    public void TryParse_InterfaceAddrsWithoutInterface_Refused()
    {
        var json = TwoTunnels(""" "routes": "10.2.0.0/16" """, """ "local_ts": "10.1.0.0/16", "remote_ts": "10.3.0.0/16", "interface_addrs": ["169.254.21.2/30", "169.254.21.6 peer 169.254.21.5"] """, ifaceB: null);

        Assert.Equal(
            ["connections.b.children.net.interface_addrs: '169.254.21.2/30, 169.254.21.6 peer 169.254.21.5/32' is for a route-based child's tunnel interface, and this child has no interface; give it one (\"interface\": \"vti0\") or remove interface_addrs"],
            Problems(json));
    }

    [Theory]
    [InlineData("10.2.0.0/16 metric 100", "10.2.0.0/16 metric 200")]
    [InlineData("10.2.0.0/16", "10.2.0.0/16 metric 1")]
    [InlineData("fd00:2::/48", "fd00:2::/48 metric 100")]
    [InlineData("10.2.0.0/16", "fd00:2::/48")]
    [InlineData("0.0.0.0/0 metric 10", "0.0.0.0/0 metric 20")]
    public void TryParse_OnePrefixIntoTwoTunnels_DifferentMetrics_Loads(string routeA, string routeB)
    {
        var config = Loads(TwoTunnels($""" "routes": "{routeA}" """, $""" "routes": "{routeB}" """));
        Assert.Equal(2, config.Routing.Count);
    }

    [Theory]
    [InlineData("10.2.0.0/16", "10.2.0.0/16")]
    [InlineData("10.2.0.0/16 metric 100", "10.2.1.2/16 metric 100")]
    [InlineData("10.2.0.0/16 metric 0", "10.2.0.0/16")]
    // IPv6: no metric and metric 0 are both the kernel's 1024.
    [InlineData("fd00:2::/48 metric 0", "fd00:2::/48 metric 1024")]
    [InlineData("fd00:2::/48", "fd00:2::/48")]
    public void TryParse_OnePrefixIntoTwoTunnels_EqualMetrics_LoadsAsEcmp(string routeA, string routeB)
    {
        var config = Loads(TwoTunnels($""" "routes": "{routeA}" """, $""" "routes": "{routeB}" """));

        Assert.Equal(["vti0", "vti1"], config.Routing.Select(r => r.Interface));
        Assert.Equal(config.Routing[0].Routes.Single().EffectiveMetric, config.Routing[1].Routes.Single().EffectiveMetric);
    }

    [Fact]
    public void TryParse_OnePrefixTwiceInOneChild_Refused()
    {
        Assert.Equal(
            ["connections.a.children.net.routes[1]: '10.2.0.0/16 metric 0' is already routed into vti0 with metric 0 earlier in this list; an interface takes a prefix once per metric: remove one of them"],
            Problems(TwoTunnels(""" "routes": "10.2.0.0/16, 10.2.0.0/16 metric 0" """, """ "routes": "10.3.0.0/16" """)));
    }

    [Fact]
    public void TryParse_OnePrefixTwiceInAChildThatSharesItWithAnotherTunnel_Refused()
    {
        Assert.Equal(
            ["connections.b.children.net.routes[2]: '10.2.0.0/16 metric 0' is already routed into vti1 with metric 0 earlier in this list; an interface takes a prefix once per metric: remove one of them"],
            Problems(TwoTunnels(""" "routes": "10.2.0.0/16" """, """ "routes": "10.2.0.0/16, 10.3.0.0/16, 10.2.0.0/16 metric 0" """)));
    }

    [Fact]
    public void TryParse_RouteBasedRouteEqualToAPolicyBasedRemoteTs_Refused()
    {
        var json = TwoTunnels(""" "routes": "10.2.0.0/16" """, """ "local_ts": "10.1.0.0/16", "remote_ts": "10.2.0.0/16" """, ifaceB: null);

        Assert.Equal(
            ["connections.b.children.net.remote_ts: '10.2.0.0/16' is already routed into vti0 with metric 0 by connections.a.children.net; the kernel keeps one route per prefix and metric, "
                + "which only tunnel interfaces share (as ECMP): give the route-based child's route a metric (\"10.2.0.0/16 metric 100\"); a policy-based child's route has the kernel's default"],
            Problems(json));
    }

    /// <summary>The policy-based child comes first: each of the two tunnels that would share a route is refused.</summary>
    [Theory]
    [InlineData("10.2.0.0/16", "10.2.0.0/16", "'10.2.0.0/16' is already routed into s2s%d with metric 0")]
    [InlineData("fd00:2::/48", "fd00:2::/48 metric 0", "'fd00:2::/48 metric 0' is already routed into s2s%d with metric 1024")]
    public void TryParse_APolicyBasedRemoteTsThenEqualRoutesOfTwoTunnels_EachTunnelRefused(string remoteTs, string route, string expected)
    {
        var json = $$"""
            {
              "connections": {
                "a": {
                  "local_addrs": "192.0.2.1", "remote_addrs": "192.0.2.2",
                  "local": { "auth": "psk", "id": "moon" }, "remote": { "auth": "psk", "id": "sun" },
                  "children": { "net": { "local_ts": "10.1.0.0/16, fd00:1::/48", "remote_ts": "{{remoteTs}}" } }
                },
                "b": {
                  "local_addrs": "192.0.2.1", "remote_addrs": "192.0.2.3",
                  "local": { "auth": "psk", "id": "moon" }, "remote": { "auth": "psk", "id": "venus" },
                  "children": { "net": { "interface": "vti0", "routes": "{{route}}" }, "other": { "interface": "vti1", "routes": "{{route}}" } }
                }
              },
              "secrets": { "ike-a": { "id": "sun", "secret": "a-pre-shared-key-of-26-chars" }, "ike-b": { "id": "venus", "secret": "a-pre-shared-key-of-26-chars" } }
            }
            """;

        var problems = Problems(json);

        Assert.Equal(2, problems.Count);
        Assert.StartsWith($"connections.b.children.net.routes[0]: {expected} by connections.a.children.net; the kernel keeps one route per prefix and metric, which only tunnel interfaces share (as ECMP): ", problems[0], StringComparison.Ordinal);
        Assert.StartsWith($"connections.b.children.other.routes[0]: {expected} by connections.a.children.net;", problems[1], StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_Ipv6EcmpThroughAnInterfaceWithTheNexthopGatewaysAddress_Refused()
    {
        var shared = Problems(TwoTunnels(""" "routes": "fd00:2::/48", "interface_addrs": "fe80::525/64" """, """ "routes": "fd00:2::/48" """));
        var ordered = Loads(TwoTunnels(""" "routes": "fd00:2::/48", "interface_addrs": "fe80::525/64" """, """ "routes": "fd00:2::/48 metric 2000" """));
        var ipv4 = Loads(TwoTunnels(""" "routes": "10.2.0.0/16", "interface_addrs": "fe80::525/64" """, """ "routes": "10.2.0.0/16" """));

        Assert.Equal(
            ["connections.a.children.net.interface_addrs: 'fe80::525' is the gateway of the nexthops of an IPv6 route this interface shares with other tunnels (ECMP), "
                + "and the kernel takes no gateway that is the interface's own address: give the interface another link-local address"],
            shared);
        Assert.Equal(2, ordered.Routing.Count);
        Assert.Equal(2, ipv4.Routing.Count);
    }

    [Fact]
    public void TryParse_TwoPolicyBasedChildrenWithOneRemoteTs_ShareTheRoute()
    {
        var json = TwoTunnels(""" "local_ts": "10.1.0.0/16", "remote_ts": "10.2.0.0/16" """, """ "local_ts": "10.4.0.0/16", "remote_ts": "10.2.0.0/16" """, null, null);

        Assert.Equal(2, Loads(json).Routing.Count(r => r.Interface is null));
    }

    [Fact]
    public void Diff_MetricOrInterfaceAddrChanged_ChangesTheConnection()
    {
        var old = Loads(TwoTunnels(""" "routes": "10.2.0.0/16 metric 100", "interface_addrs": "169.254.21.2/30" """, """ "routes": "10.2.0.0/16 metric 200" """));
        var metric = Loads(TwoTunnels(""" "routes": "10.2.0.0/16 metric 300", "interface_addrs": "169.254.21.2/30" """, """ "routes": "10.2.0.0/16 metric 200" """));
        var address = Loads(TwoTunnels(""" "routes": "10.2.0.0/16 metric 100", "interface_addrs": "169.254.21.2 peer 169.254.21.1" """, """ "routes": "10.2.0.0/16 metric 200" """));

        Assert.Equal(["a"], ConfigDiff.Between(old, metric).Changed);
        Assert.Equal(["a"], ConfigDiff.Between(old, address).Changed);
    }
}
