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
public sealed record TunnelRoute(IPNetwork Prefix, uint? Metric)
{
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
        Metric is { } m ? string.Create(CultureInfo.InvariantCulture, $"{Prefix} metric {m}") : Prefix.ToString();
}
