using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace S2SEndpoint.Gateway.Config;

/// <summary>
/// One of a route-based child's routes (children.NAME.routes): a prefix routed into the child's tunnel interface,
/// written "10.2.0.0/16" or "10.2.0.0/16 metric 100". The same prefix may go into several tunnel interfaces: with
/// different metrics the lowest metric whose interface has carrier wins, so the others stand by in order; with equal
/// ones they are one multipath route (ECMP) whose nexthops are the interfaces with carrier.
/// </summary>
/// <param name="Metric">The route's metric (lower wins), or null for the kernel's default.</param>
/// <param name="Table">
/// The routing table it goes into: null for main; <see cref="FullTunnelTable"/> for a policy-based child's default route
/// (a full tunnel), which RouteTable's rules let everything but s2s's own IKE and ESP use.
/// </param>
/// <param name="Source">
/// The source address the kernel gives the host's own packets on this route (<c>src</c>): a road warrior's virtual IP on
/// the routes of the connection that got it; null: the kernel's choice.
/// </param>
public sealed record TunnelRoute(IPNetwork Prefix, uint? Metric, uint? Table = null, IPAddress? Source = null)
{
    /// <summary>
    /// The routing table of full tunnels: a policy-based child whose remote selectors hold a whole address family
    /// (0.0.0.0/0, ::/0) routes it here, not in main, where it would also take the tunnel's own packets to the peer. The
    /// rules that lead into it skip what s2s's UDP sockets send (marked <see cref="FullTunnelMark"/>), as wg-quick does
    /// it for WireGuard; strongSwan keeps its routes in table 220 with a route for the peer beside them.
    /// </summary>
    public const uint FullTunnelTable = 5325;

    /// <summary>The firewall mark (SO_MARK) of s2s's UDP sockets while a full tunnel is routed: their packets keep the main table.</summary>
    public const uint FullTunnelMark = 0x5325;

    /// <summary>
    /// The routes of a policy-based child through the shared device: each remote selector that is exactly one prefix
    /// (a range that is none is not routed), a whole address family into <see cref="FullTunnelTable"/>.
    /// </summary>
    public static IEnumerable<TunnelRoute> OfRemoteSelectors(IEnumerable<S2SEndpoint.Ike.Messages.TrafficSelector> remoteTs)
    {
        ArgumentNullException.ThrowIfNull(remoteTs);
        foreach (var ts in remoteTs)
        {
            if (SelectorPrefix.Exact(ts) is { } prefix)
                yield return new TunnelRoute(prefix, null, prefix.PrefixLength == 0 ? FullTunnelTable : null);
        }
    }

    /// <summary>
    /// The routes of a policy-based child whose remote_ts is dynamic (a point-to-site responder): its connection's pools, each
    /// as the fewest prefixes that cover it exactly, so that what goes to a client's virtual IP reaches the shared device.
    /// </summary>
    public static IEnumerable<TunnelRoute> OfPools(IEnumerable<S2SEndpoint.Ike.Sa.AddressPoolConfig> pools)
    {
        ArgumentNullException.ThrowIfNull(pools);
        foreach (var pool in pools)
        {
            var bits = pool.Family == AddressFamily.InterNetwork ? 32 : 128;
            // A prefix pool routes its whole prefix (network and broadcast addresses included), as it was written.
            var covering = new IPNetwork(Mask(pool.First, pool.PrefixLength), pool.PrefixLength);
            if (covering.Contains(pool.Last) && (bits - pool.PrefixLength < 2 || pool.Size >= (UInt128.One << (bits - pool.PrefixLength)) - 2))
            {
                yield return new TunnelRoute(covering, null);
                continue;
            }
            var start = Number(pool.First);
            var end = Number(pool.Last);
            while (start <= end)
            {
                var length = bits;
                while (length > 0)
                {
                    var size = UInt128.One << (bits - length + 1);
                    if ((start & (size - 1)) != 0 || start + size - 1 > end || start + size - 1 < start)
                        break;
                    length--;
                }
                yield return new TunnelRoute(new IPNetwork(Address(start, pool.Family), length), null);
                var step = UInt128.One << (bits - length);
                if (start + step - 1 == end || start + step < start)
                    break;
                start += step;
            }
        }
    }

    private static UInt128 Number(IPAddress address)
    {
        UInt128 value = 0;
        foreach (var b in address.GetAddressBytes())
            value = (value << 8) | b;
        return value;
    }

    private static IPAddress Address(UInt128 value, AddressFamily family)
    {
        var bytes = new byte[family == AddressFamily.InterNetwork ? 4 : 16];
        for (var i = bytes.Length - 1; i >= 0; i--)
        {
            bytes[i] = (byte)(value & 0xFF);
            value >>= 8;
        }
        return new IPAddress(bytes);
    }

    private static IPAddress Mask(IPAddress address, int prefixLength)
    {
        var bits = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var host = bits - prefixLength;
        var n = Number(address);
        if (host > 0)
            n &= host >= 128 ? UInt128.Zero : ~((UInt128.One << host) - 1);
        return Address(n, address.AddressFamily);
    }

    /// <summary>Whether it routes a whole address family through a full tunnel's table.</summary>
    public bool IsFullTunnel => Table == FullTunnelTable;

    /// <summary>The metric the kernel gives a route without one: 0 for IPv4; for IPv6 1024, which it also puts for 0.</summary>
    public const uint DefaultIpv4Metric = 0;

    /// <inheritdoc cref="DefaultIpv4Metric"/>
    public const uint DefaultIpv6Metric = 1024;

    /// <summary>
    /// The metric the kernel will show: routes of one prefix and one effective metric are one route to it (into several
    /// interfaces, one multipath route).
    /// </summary>
    public uint EffectiveMetric => Prefix.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6
        ? Metric is null or 0 ? DefaultIpv6Metric : Metric.Value
        : Metric ?? DefaultIpv4Metric;

    /// <summary>As it is written in the configuration.</summary>
    public override string ToString() =>
        (Metric is { } m ? string.Create(CultureInfo.InvariantCulture, $"{Prefix} metric {m}") : Prefix.ToString()) +
        (Table is { } t ? string.Create(CultureInfo.InvariantCulture, $" table {t}") : "") +
        (Source is { } src ? $" src {src}" : "");
}
