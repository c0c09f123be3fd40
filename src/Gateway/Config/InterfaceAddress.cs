using System.Globalization;
using System.Net;

namespace S2SEndpoint.Gateway.Config;

/// <summary>
/// An address of a route-based child's tunnel interface (children.NAME.interface_addrs), written "169.254.21.2/30",
/// or, for a point-to-point link, "169.254.21.2 peer 169.254.21.1" (optionally "/32" after the address and a prefix
/// length after the peer): iproute2's `ip address add ADDRESS peer PEER`, where the prefix length belongs to the peer.
/// </summary>
/// <param name="PrefixLength">The address's prefix length; with a peer, the peer's.</param>
/// <param name="Peer">The other end of a point-to-point link, or null.</param>
public sealed record InterfaceAddress(IPAddress Address, int PrefixLength, IPAddress? Peer)
{
    /// <summary>As it is written in the configuration, with the prefix length always shown.</summary>
    public override string ToString() => Peer is null
        ? string.Create(CultureInfo.InvariantCulture, $"{Address}/{PrefixLength}")
        : string.Create(CultureInfo.InvariantCulture, $"{Address} peer {Peer}/{PrefixLength}");
}
