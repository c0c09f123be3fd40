using System.Text.Json.Nodes;
using PacketDotNet;
using S2SEndpoint.Esp;

namespace S2SEndpoint.Gateway.Tracing;

/// <summary>
/// The inner packet's headers as `s2s trace` shows them, decoded with PacketDotNet: IP version, addresses, length, TTL
/// or hop limit, protocol, and the TCP or UDP ports (with TCP's flags) or the ICMP type and code. Never a payload
/// octet: what leaves is the header fields, not the packet. The ESP path's own reader (<see cref="IpPacket"/>) first
/// checks that the header is whole, since PacketDotNet throws on a packet cut short.
/// </summary>
internal static class InnerHeaders
{
    /// <summary>Writes the headers of <paramref name="packet"/> (an IPv4 or IPv6 packet, perhaps followed by TFC padding) into <paramref name="step"/>.</summary>
    public static void Describe(ReadOnlySpan<byte> packet, JsonObject step)
    {
        if (!IpPacket.TryReadLength(packet, out var version, out var length))
        {
            step["readable"] = false;
            step["octets"] = packet.Length;
            step["problem"] = packet.IsEmpty ? "no octets"
                : (packet[0] >> 4) is not (4 or 6) ? $"IP version {packet[0] >> 4}, neither 4 nor 6"
                : "its IP header is cut short, or claims more octets than there are";
            return;
        }
        step["version"] = version;
        step["length"] = length;
        IPPacket? ip;
        try
        {
            ip = Packet.ParsePacket(LinkLayers.Raw, packet[..length].ToArray()).Extract<IPPacket>();
        }
#pragma warning disable CA1031 // PacketDotNet throws what it throws on odd headers; the trace says so and the packet goes on.
        catch (Exception e) when (e is not OutOfMemoryException)
#pragma warning restore CA1031
        {
            ip = null;
        }
        if (ip is null)
        {
            step["readable"] = false;
            step["problem"] = "PacketDotNet could not decode the header";
            return;
        }
        step["source"] = ip.SourceAddress.ToString();
        step["destination"] = ip.DestinationAddress.ToString();
        step["header_length"] = ip.HeaderLength * 4;
        step[version == 4 ? "ttl" : "hop_limit"] = ip.TimeToLive;
        if (ip is IPv4Packet v4)
        {
            step["identification"] = v4.Id;
            step["dont_fragment"] = (v4.FragmentFlags & 0x2) != 0;
        }
        step["protocol"] = ProtocolName(ip.Protocol);
        step["protocol_number"] = (int)ip.Protocol;
        try
        {
            Transport(ip, step);
        }
#pragma warning disable CA1031 // As above: a transport header PacketDotNet cannot read is said, not thrown.
        catch (Exception e) when (e is not OutOfMemoryException)
#pragma warning restore CA1031
        {
            step["transport_problem"] = "PacketDotNet could not decode the transport header";
        }
    }

    private static void Transport(IPPacket ip, JsonObject step)
    {
        switch (ip.PayloadPacket)
        {
            case TcpPacket tcp:
                step["source_port"] = tcp.SourcePort;
                step["destination_port"] = tcp.DestinationPort;
                step["tcp_flags"] = TcpFlags(tcp);
                break;
            case UdpPacket udp:
                step["source_port"] = udp.SourcePort;
                step["destination_port"] = udp.DestinationPort;
                step["udp_length"] = udp.Length;
                break;
            case IcmpV4Packet icmp:
                var typeCode = (ushort)icmp.TypeCode;
                step["icmp_type"] = typeCode >> 8;
                step["icmp_code"] = typeCode & 0xFF;
                if (Enum.IsDefined(icmp.TypeCode))
                    step["icmp"] = icmp.TypeCode.ToString();
                if (icmp.TypeCode is IcmpV4TypeCode.EchoRequest or IcmpV4TypeCode.EchoReply)
                {
                    step["icmp_id"] = icmp.Id;
                    step["icmp_sequence"] = icmp.Sequence;
                }
                break;
            case IcmpV6Packet icmp6:
                step["icmp_type"] = (int)icmp6.Type;
                step["icmp_code"] = icmp6.Code;
                if (Enum.IsDefined(icmp6.Type))
                    step["icmp"] = icmp6.Type.ToString();
                break;
        }
    }

    private static string ProtocolName(ProtocolType protocol) => protocol switch
    {
        ProtocolType.Icmp => "ICMP",
        ProtocolType.IcmpV6 => "ICMPv6",
        ProtocolType.Tcp => "TCP",
        ProtocolType.Udp => "UDP",
        ProtocolType.Gre => "GRE",
        ProtocolType.IPSecEncapsulatingSecurityPayload => "ESP",
        _ => Enum.IsDefined(protocol) ? protocol.ToString() : "protocol " + ((int)protocol).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static string TcpFlags(TcpPacket tcp)
    {
        var flags = new List<string>(6);
        if (tcp.Synchronize)
            flags.Add("SYN");
        if (tcp.Acknowledgment)
            flags.Add("ACK");
        if (tcp.Push)
            flags.Add("PSH");
        if (tcp.Finished)
            flags.Add("FIN");
        if (tcp.Reset)
            flags.Add("RST");
        if (tcp.Urgent)
            flags.Add("URG");
        return string.Join(',', flags);
    }
}
