using System.Globalization;

namespace S2SEndpoint.Ike.Messages;

// IANA "Assigned Internet Protocol Numbers", by the names /etc/protocols gives them: the names strongSwan prints in a
// traffic selector (getprotobynumber) and swanctl reads in local_ts and remote_ts (getprotobyname). A fixed table, so
// that a selector reads and prints the same on every host.

/// <summary>IP protocol numbers by name, both ways, for traffic selectors as swanctl writes them (10.1.0.0/24[tcp/443]).</summary>
public static class IpProtocolName
{
    private static readonly (string Name, byte Number)[] Names =
    [
        ("icmp", 1), ("igmp", 2), ("tcp", 6), ("udp", 17), ("gre", 47), ("esp", 50), ("ah", 51), ("ipv6-icmp", 58),
        ("ospf", 89), ("sctp", 132), ("udplite", 136),
    ];

    /// <summary>The names read besides those printed: another name for a number that has one already.</summary>
    private static readonly (string Name, byte Number)[] Aliases = [("icmpv6", 58)];

    public const byte Icmp = 1;
    public const byte Tcp = 6;
    public const byte Udp = 17;
    public const byte Icmpv6 = 58;
    public const byte Sctp = 132;
    public const byte UdpLite = 136;

    /// <summary>The names a selector takes, for a line that lists what is valid.</summary>
    public static IEnumerable<string> Known => Names.Select(n => n.Name);

    /// <summary>The protocol's name where it has one (tcp), else its number (99).</summary>
    public static string Format(byte protocol)
    {
        foreach (var (name, number) in Names)
        {
            if (number == protocol)
                return name;
        }
        return protocol.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>A protocol by name (any case) or by number from 0 to 255.</summary>
    public static bool TryParse(string text, out byte protocol)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var (name, number) in Names.Concat(Aliases))
        {
            if (string.Equals(name, text, StringComparison.OrdinalIgnoreCase))
            {
                protocol = number;
                return true;
            }
        }
        return byte.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out protocol);
    }

    /// <summary>
    /// Whether the protocol carries ports that a selector can restrict (RFC 7296 3.13.1), as the ESP data path reads them:
    /// TCP, UDP, SCTP, UDP-Lite, and ICMP and ICMPv6, whose type and code stand for the port.
    /// </summary>
    public static bool HasPorts(byte protocol) => protocol is Tcp or Udp or Sctp or UdpLite || IsIcmp(protocol);

    /// <summary>ICMP or ICMPv6: the "port" is the message type in the high octet and the code in the low one (RFC 7296 3.13.1).</summary>
    public static bool IsIcmp(byte protocol) => protocol is Icmp or Icmpv6;
}
