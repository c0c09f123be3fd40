using System.Globalization;
using System.Net;
using System.Net.Sockets;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Gateway.Config;

/// <summary>
/// One entry of local_ts or remote_ts as swanctl reads it: a CIDR prefix or one address, or %any (0.0.0.0/0 and ::/0),
/// then optionally [PROTOCOL/PORT]: 10.1.0.0/24[tcp/443], 10.1.0.0/24[udp], 10.1.0.0/24[tcp/1024-65535], [17/53],
/// %any[udp/53], 10.1.0.0/24[/80]. The protocol is a name (tcp, udp, icmp... as /etc/protocols) or a number from 0 to
/// 255, empty or any for any; the port a number, a range FROM-TO, opaque (RFC 7296 3.13.1's OPAQUE) or %any. For ICMP
/// and ICMPv6 the port is the message type and code (RFC 7296 3.13.1: "ICMP Type and Code values are treated as a
/// single 16-bit integer port number, with Type in the most significant eight bits"), and, as swanctl reads it, a number
/// below 256 is a type (with code 0): [icmp/8] is an echo request. Service names (http) are not looked up.
/// <see cref="TrafficSelector.ToString"/> prints what this reads.
/// </summary>
internal static class SelectorText
{
    private const string Valid = "valid: a CIDR prefix, an address or %any, optionally with [protocol/port], such as 10.1.0.0/24 or 10.1.0.0/24[tcp/443]";

    /// <summary>Adds the selectors <paramref name="text"/> stands for (two for %any); false with a sentence naming what is wrong.</summary>
    public static bool TryParse(string text, List<TrafficSelector> into, out string problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(into);
        var open = text.IndexOf('[', StringComparison.Ordinal);
        var addressText = open < 0 ? text : text[..open];
        byte protocol = 0;
        ushort startPort = 0, endPort = ushort.MaxValue;
        if (open >= 0)
        {
            if (!text.EndsWith(']') || text.IndexOf(']', StringComparison.Ordinal) != text.Length - 1)
            {
                problem = $"'{text}': the protocol and port go between '[' and a closing ']' at the end, as in 10.1.0.0/24[tcp/443]";
                return false;
            }
            if (!TryProtocolAndPorts(text, text[(open + 1)..^1], out protocol, out startPort, out endPort, out problem))
                return false;
        }
        if (addressText == "%any")
        {
            into.Add(TrafficSelector.FromPrefix(IPAddress.Any, 0, protocol, startPort, endPort));
            into.Add(TrafficSelector.FromPrefix(IPAddress.IPv6Any, 0, protocol, startPort, endPort));
            problem = "";
            return true;
        }
        if (addressText.Length == 0)
        {
            problem = $"'{text}' has no address before '['; {Valid}";
            return false;
        }
        if (!TryPrefix(addressText, out var prefix))
        {
            problem = $"'{text}' is not a CIDR prefix; {Valid}";
            return false;
        }
        into.Add(TrafficSelector.FromPrefix(prefix.StartAddress, prefix.PrefixLength!.Value, protocol, startPort, endPort));
        problem = "";
        return true;
    }

    /// <summary>A CIDR prefix, or one address (a /32 or /128), with any protocol and port.</summary>
    public static bool TryPrefix(string text, out TrafficSelector selector)
    {
        ArgumentNullException.ThrowIfNull(text);
        selector = null!;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];
        if (!AddressText.TryParse(addressText, out var address))
            return false;
        var bits = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var length = bits;
        if (slash >= 0 && (!int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out length) || length > bits))
            return false;
        selector = TrafficSelector.FromPrefix(address, length);
        return true;
    }

    /// <summary>What stands between the brackets: PROTOCOL, PROTOCOL/PORT or /PORT.</summary>
    private static bool TryProtocolAndPorts(string text, string inside, out byte protocol, out ushort startPort, out ushort endPort, out string problem)
    {
        (startPort, endPort) = (0, ushort.MaxValue);
        var slash = inside.IndexOf('/', StringComparison.Ordinal);
        var protocolText = slash < 0 ? inside : inside[..slash];
        var portText = slash < 0 ? "" : inside[(slash + 1)..];
        protocol = 0;
        if (protocolText is not ("" or "any" or "%any") && !IpProtocolName.TryParse(protocolText, out protocol))
        {
            problem = $"'{text}': '{protocolText}' is not a protocol; valid: a number from 0 to 255, or {string.Join(", ", IpProtocolName.Known)}";
            return false;
        }
        if (portText is "" or "any" or "%any")
        {
            problem = "";
            return true;
        }
        if (string.Equals(portText, "opaque", StringComparison.OrdinalIgnoreCase))
        {
            (startPort, endPort) = (ushort.MaxValue, 0);
            problem = "";
            return true;
        }
        if (protocol != 0 && !IpProtocolName.HasPorts(protocol))
        {
            problem = $"'{text}': {IpProtocolName.Format(protocol)} has no ports; a port follows tcp, udp, sctp, udplite, icmp or ipv6-icmp (the message type), or no protocol as in [/80]";
            return false;
        }
        var dash = portText.IndexOf('-', StringComparison.Ordinal);
        var fromText = dash < 0 ? portText : portText[..dash];
        var toText = dash < 0 ? portText : portText[(dash + 1)..];
        if (!TryPort(text, portText, fromText, protocol, out startPort, out problem) || !TryPort(text, portText, toText, protocol, out endPort, out problem))
            return false;
        if (startPort > endPort)
        {
            problem = $"'{text}': the port range {fromText}-{toText} is reversed; write {toText}-{fromText}";
            return false;
        }
        return true;
    }

    /// <summary>One end of a port range; for ICMP a number below 256 is the message type, as swanctl reads it.</summary>
    private static bool TryPort(string text, string portText, string number, byte protocol, out ushort port, out string problem)
    {
        port = 0;
        if (number.Length == 0 || !number.All(char.IsAsciiDigit))
        {
            problem = $"'{text}': '{portText}' is not a port; valid: a number from 0 to 65535, a range such as 1024-65535, opaque or %any (service names such as http are not looked up)";
            return false;
        }
        var value = number.Length > 5 ? int.MaxValue : int.Parse(number, NumberStyles.None, CultureInfo.InvariantCulture);
        if (value > ushort.MaxValue)
        {
            problem = $"'{text}': port {number} is out of range; valid: 0 to 65535";
            return false;
        }
        port = IpProtocolName.IsIcmp(protocol) && value < 256 ? (ushort)(value << 8) : (ushort)value;
        problem = "";
        return true;
    }
}
