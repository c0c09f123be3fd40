using System.Globalization;
using System.Net;
using System.Net.Sockets;
using S2SEndpoint.Esp;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Gateway.Updown;

/// <summary>
/// The environment of an updown script, as strongSwan's updown plugin sets it (updown_listener.c, PLUTO_VERSION 1.1),
/// so that scripts written for strongSwan run unchanged, plus two of our own:
///   PLUTO_VERB            up-client or down-client, with -v6 for IPv6 selectors; up-host or down-host when the local
///                         selector is our own outer address alone;
///   PLUTO_CONNECTION      the child's name (strongSwan names the CHILD_SA config here, not the IKE connection);
///   PLUTO_INTERFACE       the outer interface that holds PLUTO_ME ("unknown" when none does), as strongSwan's;
///   PLUTO_REQID, PLUTO_PROTO (esp), PLUTO_UNIQUEID (the IKE SA's unique ID);
///   PLUTO_ME, PLUTO_PEER  the outer addresses; PLUTO_MY_ID, PLUTO_PEER_ID the IKE identities;
///   PLUTO_MY_CLIENT, PLUTO_PEER_CLIENT the selectors as subnets (10.1.0.0/24; a range becomes the smallest subnet
///                         that holds it), with their PLUTO_*_PORT and PLUTO_*_PROTOCOL;
///   PLUTO_UDP_ENC         the peer's UDP port while ESP goes in UDP (always, for this user-mode gateway);
///   S2S_TUNNEL_INTERFACE  ours: the tunnel device of the child (its own interface, or the shared device);
///   S2S_IKE_CONNECTION    ours: the connection's name (connections.NAME).
/// PATH is a fixed minimal one: nothing else of the daemon's environment reaches the script.
/// </summary>
public static class UpdownEnvironment
{
    public const string Path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>The variables for <paramref name="run"/>, in strongSwan's order, ours last.</summary>
    /// <param name="outerInterface">The interface that holds <see cref="UpdownEvent.Me"/>'s address, or null when none does.</param>
    public static IReadOnlyList<KeyValuePair<string, string>> Of(UpdownEvent run, string? outerInterface)
    {
        ArgumentNullException.ThrowIfNull(run);
        var me = run.Me.Address;
        var isHost = IsHost(run.MyTs, me);
        var isIpv6 = isHost ? me.AddressFamily == AddressFamily.InterNetworkV6 : run.MyTs.TsType == TrafficSelectorType.Ipv6AddressRange;
        var verb = $"{(run.Up ? "up" : "down")}{(isHost ? "-host" : "-client")}{(isIpv6 ? "-v6" : "")}";
        var u = CultureInfo.InvariantCulture;
        var env = new List<KeyValuePair<string, string>>
        {
            new("PATH", Path),
            new("PLUTO_VERSION", "1.1"),
            new("PLUTO_VERB", verb),
            new("PLUTO_CONNECTION", run.Child),
            new("PLUTO_INTERFACE", outerInterface ?? "unknown"),
            new("PLUTO_REQID", run.ReqId.ToString(u)),
            new("PLUTO_PROTO", "esp"),
            new("PLUTO_UNIQUEID", run.UniqueId.ToString(u)),
            new("PLUTO_ME", me.ToString()),
            new("PLUTO_MY_ID", run.MyId),
            new("PLUTO_MY_CLIENT", Subnet(run.MyTs)),
            new("PLUTO_MY_PORT", Port(run.MyTs, run.PeerTs, local: true)),
            new("PLUTO_MY_PROTOCOL", run.MyTs.IpProtocol.ToString(u)),
            new("PLUTO_PEER", run.Peer.Address.ToString()),
            new("PLUTO_PEER_ID", run.PeerId),
            new("PLUTO_PEER_CLIENT", Subnet(run.PeerTs)),
            new("PLUTO_PEER_PORT", Port(run.MyTs, run.PeerTs, local: false)),
            new("PLUTO_PEER_PROTOCOL", run.PeerTs.IpProtocol.ToString(u)),
        };
        if (run.UdpEncapsulation)
            env.Add(new("PLUTO_UDP_ENC", run.Peer.Port.ToString(u)));
        env.Add(new("S2S_TUNNEL_INTERFACE", run.Device));
        env.Add(new("S2S_IKE_CONNECTION", run.Connection));
        return env;
    }

    /// <summary>Whether the selector is one address, ours: the host forms of the verb.</summary>
    private static bool IsHost(TrafficSelector ts, IPAddress me) => ts.StartAddress.Equals(ts.EndAddress) && ts.StartAddress.Equals(me);

    /// <summary>The smallest subnet that holds the selector's range, as ADDRESS/PREFIX (strongSwan's to_subnet).</summary>
    internal static string Subnet(TrafficSelector ts) => Config.SelectorPrefix.Smallest(ts).ToString();

    /// <summary>
    /// PLUTO_MY_PORT and PLUTO_PEER_PORT as strongSwan writes them: a port, "FROM:TO" for a range, 0 for any; for ICMP
    /// the type (ours) and the code (the peer's). RFC 7296 3.13.1: "For the ICMP and ICMPv6 protocols, the two one-octet
    /// fields Type and Code are treated as a single 16-bit integer (with Type in the most significant eight bits and Code
    /// in the least significant eight bits) port number".
    /// </summary>
    private static string Port(TrafficSelector mine, TrafficSelector other, bool local)
    {
        var protocol = Math.Max(mine.IpProtocol, other.IpProtocol);
        if (protocol is IpProtocol.Icmp or IpProtocol.Icmpv6)
        {
            var port = Math.Max(mine.StartPort, other.StartPort);
            return (local ? port >> 8 : port & 0xFF).ToString(CultureInfo.InvariantCulture);
        }
        var ts = local ? mine : other;
        var (from, to) = (ts.StartPort, ts.EndPort);
        return from == to || (from == 0 && to == ushort.MaxValue)
            ? from.ToString(CultureInfo.InvariantCulture)
            : string.Create(CultureInfo.InvariantCulture, $"{from}:{to}");
    }
}
