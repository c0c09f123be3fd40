using System.Net;
using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Gateway.Tests.Core;

namespace S2SEndpoint.Gateway.Tests.Config;

/// <summary>pools, a connection's pools and vips, and dynamic selectors: what loads, and one line for each mistake.</summary>
public sealed class PoolConfigTests
{
    private static string Responder(string pools, string connectionPools, string child) => $$"""
        {
          "pools": { {{pools}} },
          "connections": {
            "rw": {
              "remote_addrs": "%any", {{connectionPools}}
              "local": { "auth": "psk", "id": "gw" },
              "children": { "lan": { {{child}} } }
            }
          },
          "secrets": { "ike-rw": { "secret": "psk-of-the-test" } }
        }
        """;

    private static string Client(string vips, string child) => $$"""
        {
          "connections": {
            "home": {
              "remote_addrs": "192.0.2.1", {{vips}}
              "local": { "auth": "psk", "id": "me" }, "remote": { "auth": "psk", "id": "gw" },
              "children": { "lan": { {{child}} } }
            }
          },
          "secrets": { "ike-home": { "id": "gw", "secret": "psk-of-the-test" } }
        }
        """;

    [Fact]
    public void Load_PrefixAndRangePools_RemoteTsOmittedIsDynamic()
    {
        var config = TestConfig.Load(Responder("""
            "v4": { "addrs": "10.9.0.0/24", "dns": ["10.2.0.53", "fd00:2::53"] },
            "v4r": { "addrs": "10.9.1.10-10.9.1.200" },
            "v6": { "addrs": "fd00:9::/112" }
            """, """ "pools": ["v4", "v4r", "v6"], """, """ "local_ts": "10.2.0.0/24,fd00:2::/64" """));
        var c = Assert.Single(config.Connections);
        Assert.Equal(["10.9.0.1-10.9.0.254", "10.9.1.10-10.9.1.200", "fd00:9::1-fd00:9::ffff"], c.Pools.Select(p => p.ToString()));
        Assert.Equal([IPAddress.Parse("10.2.0.53"), IPAddress.Parse("fd00:2::53")], c.Pools[0].Dns);
        Assert.True(c.Children[0].RemoteDynamic);
        Assert.Empty(c.Children[0].RemoteTs);
        // The shared device routes the pools: a prefix whole, a range as the fewest prefixes that cover it.
        Assert.Equal(["10.9.0.0/24"], TunnelRoute.OfPools([c.Pools[0]]).Select(r => r.ToString()));
        Assert.Equal(["10.9.1.10/31", "10.9.1.12/30", "10.9.1.16/28", "10.9.1.32/27", "10.9.1.64/26", "10.9.1.128/26", "10.9.1.192/29", "10.9.1.200/32"],
            TunnelRoute.OfPools([c.Pools[1]]).Select(r => r.ToString()));
    }

    [Fact]
    public void Load_ClientVipsAndDynamicLocalTs()
    {
        var config = TestConfig.Load(Client(""" "vips": ["0.0.0.0", "::"], """, """ "local_ts": "dynamic", "remote_ts": "10.2.0.0/24,fd00:2::/64" """));
        var c = Assert.Single(config.Connections);
        Assert.Equal([IPAddress.Any, IPAddress.IPv6Any], c.VirtualIps);
        Assert.True(c.Children[0].LocalDynamic);
    }

    public static TheoryData<string, string> Mistakes => new()
    {
        {
            Responder(""" "p": { "addrs": "10.9.0.200-10.9.0.10" } """, """ "pools": ["p"], """, """ "local_ts": "10.2.0.0/24" """),
            "pools.p.addrs: '10.9.0.200-10.9.0.10' starts above where it ends (write 10.9.0.10-10.9.0.200); valid: a prefix (10.9.0.0/24, fd00:9::/112) or a range of one family (10.9.0.10-10.9.0.200)"
        },
        {
            Responder(""" "p": { "addrs": "10.9.0.1-fd00::9" } """, """ "pools": ["p"], """, """ "local_ts": "10.2.0.0/24" """),
            "pools.p.addrs: '10.9.0.1-fd00::9' mixes IPv4 and IPv6; valid: a prefix"
        },
        {
            Responder(""" "p": { "addrs": "ten-nine" } """, """ "pools": ["p"], """, """ "local_ts": "10.2.0.0/24" """),
            "pools.p.addrs: 'ten-nine' is not a range of two addresses; valid:"
        },
        {
            Responder(""" "p": { "addrs": "10.9.0.0/24", "dns": ["resolver"] } """, """ "pools": ["p"], """, """ "local_ts": "10.2.0.0/24" """),
            "pools.p.dns[0]: 'resolver' is not an IP address; valid: the addresses of DNS servers, IPv4 or IPv6"
        },
        {
            Responder(""" "p": { "addrs": "10.9.0.0/24" } """, """ "pools": ["q"], """, """ "local_ts": "10.2.0.0/24" """),
            "connections.rw.pools[0]: 'q' names no pool; defined: p (pools.NAME { \"addrs\": \"10.9.0.0/24\" })"
        },
        {
            Responder(""" "p6": { "addrs": "fd00:9::/112" } """, """ "pools": ["p6"], """, """ "local_ts": "10.2.0.0/24" """),
            "connections.rw.pools[0]: 'p6' leases IPv6 addresses (fd00:9::1-fd00:9::ffff), and child lan (remote_ts dynamic) has no IPv6 local_ts to pair them with; add one, or use a pool of IPv4"
        },
        {
            Client(""" "vips": ["::"], """, """ "local_ts": "dynamic", "remote_ts": "10.2.0.0/24" """),
            "connections.home.vips[0]: '::' asks for an IPv6 address, and child lan (local_ts dynamic) has no IPv6 remote_ts to reach with it; ask for 0.0.0.0, or add such a remote_ts"
        },
        {
            Client(""" "vips": ["any"], """, """ "local_ts": "dynamic", "remote_ts": "10.2.0.0/24" """),
            "connections.home.vips[0]: 'any' is not an IP address; valid: 0.0.0.0 (any IPv4 address), :: (any IPv6 address), or the address wished for"
        },
        {
            Responder(""" "p": { "addrs": "10.9.0.0/24" } """, "", """ "local_ts": "10.2.0.0/24", "remote_ts": "dynamic" """),
            "connections.rw.children.lan.remote_ts: 'dynamic' is the client's virtual IP, and the connection has no pools to lease one from; add \"pools\": [\"NAME\"] to the connection, or write the subnets"
        },
        {
            Client("", """ "local_ts": "dynamic", "remote_ts": "10.2.0.0/24" """),
            "connections.home.children.lan.local_ts: 'dynamic' is the virtual IP the peer gives us, and the connection has no vips to ask for one; add \"vips\": [\"0.0.0.0\"] to the connection, or write the subnets"
        },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public void Load_Mistake_OneLineNamingTheKeyTheValueAndWhatIsValid(string json, string expected)
    {
        Assert.False(ConfigLoader.TryParse(json, ".", out _, out var problems));
        var line = Assert.Single(problems);
        Assert.StartsWith(expected, line, StringComparison.Ordinal);
    }
}
