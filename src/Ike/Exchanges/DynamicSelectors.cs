using System.Net;
using System.Net.Sockets;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Exchanges;

/// <summary>
/// The selectors of a child whose local_ts or remote_ts is dynamic (swanctl's word): the virtual IPs of its IKE SA
/// (RFC 7296 2.19), each as a selector of that one address. Before the peer gave us any, a client proposes the whole of
/// each family it asked for, as the RFC's example does ("TSi = (0, 0-65535,0.0.0.0-255.255.255.255)") and strongSwan does,
/// and the responder narrows it to the address it leased.
/// </summary>
internal static class DynamicSelectors
{
    /// <summary>Our selectors for <paramref name="child"/>: its local_ts, or for a dynamic one the virtual IPs we were given.</summary>
    public static IReadOnlyList<TrafficSelector> Local(IkeSa sa, ChildSaConfig child)
    {
        if (!child.LocalDynamic)
            return child.LocalTs;
        if (sa.LocalVirtualIps.Count > 0)
            return Hosts(sa.LocalVirtualIps);
        return [.. sa.Config.VirtualIps.Select(v => v.AddressFamily).Distinct()
            .Select(f => TrafficSelector.FromPrefix(f == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0))];
    }

    /// <summary>The peer's selectors for <paramref name="child"/>: its remote_ts, or for a dynamic one the virtual IPs leased to the peer (none: none).</summary>
    public static IReadOnlyList<TrafficSelector> Remote(IkeSa sa, ChildSaConfig child) =>
        child.RemoteDynamic ? Hosts(sa.RemoteVirtualIps) : child.RemoteTs;

    /// <summary>Each address as a selector of itself alone (/32, /128), all protocols and ports.</summary>
    public static List<TrafficSelector> Hosts(IEnumerable<IPAddress> addresses) =>
        [.. addresses.Select(a => TrafficSelector.FromPrefix(a, a.AddressFamily == AddressFamily.InterNetwork ? 32 : 128))];
}
