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
public sealed record TunnelRoute(IPNetwork Prefix, uint? Metric, uint? Table = null)
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
        (Table is { } t ? string.Create(CultureInfo.InvariantCulture, $" table {t}") : "");
}
