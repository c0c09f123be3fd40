using System.Buffers.Binary;

namespace S2SEndpoint.Esp;

// IPv4 (RFC 791) and IPv6 (RFC 8200) headers as the data path reads them: the inner packet of tunnel mode on both
// paths, and the outer header when the buffer carries one. Only what ESP needs: version and length, TTL/hop
// limit, traffic class, addresses, and the protocol and ports the traffic selectors may name. Never throws: a
// method that cannot read what it needs says so. Public so that the gateway's policy lookup reads packets with this
// reader too (one IP header reader for the whole data path).
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |Version|  IHL  |Type of Service|          Total Length         |   IPv4 (RFC 791 3.1)
// |         Identification        |Flags|      Fragment Offset    |
// |  Time to Live |    Protocol   |         Header Checksum       |
// |                       Source Address                          |
// |                    Destination Address                        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |Version| Traffic Class |           Flow Label                  |   IPv6 (RFC 8200 3)
// |         Payload Length        |  Next Header  |   Hop Limit   |
// |                Source Address (128 bits) ...                  |
// |             Destination Address (128 bits) ...                |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
public static class IpPacket
{
    public const int Ipv4HeaderSize = 20;
    public const int Ipv6HeaderSize = 40;
    public const int Ipv4TotalLengthOffset = 2;
    public const int Ipv4FlagsOffset = 6;
    public const int Ipv4TtlOffset = 8;
    public const int Ipv4ProtocolOffset = 9;
    public const int Ipv4ChecksumOffset = 10;
    public const int Ipv4SourceOffset = 12;
    public const int Ipv4DestinationOffset = 16;
    public const int Ipv6PayloadLengthOffset = 4;
    public const int Ipv6NextHeaderOffset = 6;
    public const int Ipv6HopLimitOffset = 7;
    public const int Ipv6SourceOffset = 8;
    public const int Ipv6DestinationOffset = 24;
    public const byte DontFragment = 0x40;
    /// <summary>IPv4 More Fragments flag and Fragment Offset: non-zero in any fragment.</summary>
    public const ushort Ipv4FragmentFields = 0x3FFF;
    public const ushort Ipv4FragmentOffset = 0x1FFF;

    /// <summary>IPv6 Fragment header: Fragment Offset (high 13 bits) and the M flag (bit 0).</summary>
    public const int FragmentOffsetAndMore = 0xFFF9;
    public const int MoreFragments = 1;

    /// <summary>Not a port: the packet has no ports, or they are not in this packet (a later fragment).</summary>
    public const int NoPort = -1;

    private const int MaxExtensionHeaders = 8;

    /// <summary>
    /// Reads the IP version and the packet length its header claims. False when the header is cut short, the
    /// version is neither 4 nor 6, or the claimed length is longer than <paramref name="packet"/>.
    /// </summary>
    public static bool TryReadLength(ReadOnlySpan<byte> packet, out int version, out int length)
    {
        if (!TryReadClaimedLength(packet, out version, out length))
            return false;
        if (version == 4)
        {
            if (packet.Length < Ipv4HeaderSize)
                return false;
            var headerLength = HeaderLengthV4(packet);
            return headerLength >= Ipv4HeaderSize && length >= headerLength && length <= packet.Length;
        }
        return packet.Length >= Ipv6HeaderSize && length <= packet.Length;
    }

    /// <summary>
    /// The length the header claims for the whole packet (IPv4 Total Length; IPv6 the fixed header and Payload Length),
    /// checked against nothing: a TUN read that filled its buffer compares it with what it got. False when the packet
    /// ends before that field or is neither IPv4 nor IPv6.
    /// </summary>
    public static bool TryReadClaimedLength(ReadOnlySpan<byte> packet, out int version, out int length)
    {
        length = 0;
        version = packet.IsEmpty ? 0 : packet[0] >> 4;
        if (version == 4 && packet.Length >= Ipv4TotalLengthOffset + sizeof(ushort))
        {
            length = BinaryPrimitives.ReadUInt16BigEndian(packet[Ipv4TotalLengthOffset..]);
            return true;
        }
        if (version == 6 && packet.Length >= Ipv6PayloadLengthOffset + sizeof(ushort))
        {
            length = Ipv6HeaderSize + BinaryPrimitives.ReadUInt16BigEndian(packet[Ipv6PayloadLengthOffset..]);
            return true;
        }
        return false;
    }

    public static int HeaderLengthV4(ReadOnlySpan<byte> packet) => (packet[0] & 0x0F) * 4;

    /// <summary>
    /// Decrements the TTL (IPv4, fixing the header checksum as RFC 1624 allows) or the hop limit (IPv6) of a
    /// packet being forwarded. False, with the packet untouched, when the value would reach zero.
    /// </summary>
    public static bool TryDecrementHopLimit(Span<byte> packet, int version)
    {
        if (version == 4)
        {
            // RFC 1812 5.3.1: "When a router forwards a packet, it MUST reduce the TTL by at least one. ... If the
            // TTL is reduced to zero (or less), the packet MUST be discarded".
            if (packet[Ipv4TtlOffset] <= 1)
                return false;
            var oldWord = BinaryPrimitives.ReadUInt16BigEndian(packet[Ipv4TtlOffset..]);
            var newWord = (ushort)(oldWord - 0x100);
            var checksum = BinaryPrimitives.ReadUInt16BigEndian(packet[Ipv4ChecksumOffset..]);
            BinaryPrimitives.WriteUInt16BigEndian(packet[Ipv4TtlOffset..], newWord);
            BinaryPrimitives.WriteUInt16BigEndian(packet[Ipv4ChecksumOffset..], Checksum.Update(checksum, oldWord, newWord));
            return true;
        }
        // RFC 8200 3, Hop Limit: "Decremented by 1 by each node that forwards the packet. ... The packet is
        // discarded if Hop Limit is decremented to zero."
        if (packet[Ipv6HopLimitOffset] <= 1)
            return false;
        packet[Ipv6HopLimitOffset]--;
        return true;
    }

    /// <summary>The IPv4 Type of Service or IPv6 Traffic Class octet (DSCP and ECN) and the IPv4 DF flag.</summary>
    public static byte TrafficClass(ReadOnlySpan<byte> packet, int version, out bool dontFragment)
    {
        if (version == 4)
        {
            dontFragment = (packet[Ipv4FlagsOffset] & DontFragment) != 0;
            return packet[1];
        }
        dontFragment = false;
        return (byte)(((packet[0] & 0x0F) << 4) | (packet[1] >> 4));
    }

    /// <summary>Source and destination addresses as integers: IPv4 in the low 32 bits.</summary>
    public static void ReadAddresses(ReadOnlySpan<byte> packet, bool ipv6, out UInt128 source, out UInt128 destination)
    {
        if (ipv6)
        {
            source = ReadUInt128(packet[Ipv6SourceOffset..]);
            destination = ReadUInt128(packet[Ipv6DestinationOffset..]);
            return;
        }
        source = BinaryPrimitives.ReadUInt32BigEndian(packet[Ipv4SourceOffset..]);
        destination = BinaryPrimitives.ReadUInt32BigEndian(packet[Ipv4DestinationOffset..]);
    }

    public static UInt128 ReadUInt128(ReadOnlySpan<byte> bytes) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(bytes), BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]));

    /// <summary>
    /// The upper-layer protocol and its ports, as traffic selectors see them (RFC 4301 4.4.1.1, RFC 7296 3.13.1):
    /// TCP, UDP, SCTP and UDP-Lite ports; for ICMP and ICMPv6 the Type in the high and the Code in the low octet,
    /// as both "ports". Ports are <see cref="NoPort"/> when the packet carries none or a later fragment.
    /// </summary>
    public static void ReadTransport(ReadOnlySpan<byte> packet, bool ipv6, out byte protocol, out int sourcePort, out int destinationPort)
    {
        sourcePort = NoPort;
        destinationPort = NoPort;
        int offset;
        if (ipv6)
        {
            protocol = packet[Ipv6NextHeaderOffset];
            offset = Ipv6HeaderSize;
            if (!TrySkipExtensionHeaders(packet, ref protocol, ref offset, out var fragment) || (fragment & ~MoreFragments) != 0)
                return;
        }
        else
        {
            protocol = packet[Ipv4ProtocolOffset];
            offset = HeaderLengthV4(packet);
            if ((BinaryPrimitives.ReadUInt16BigEndian(packet[Ipv4FlagsOffset..]) & Ipv4FragmentOffset) != 0)
                return;
        }
        switch (protocol)
        {
            case IpProtocol.Tcp or IpProtocol.Udp or IpProtocol.Sctp or IpProtocol.UdpLite when offset + 4 <= packet.Length:
                sourcePort = BinaryPrimitives.ReadUInt16BigEndian(packet[offset..]);
                destinationPort = BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 2)..]);
                break;
            case IpProtocol.Icmp or IpProtocol.Icmpv6 when offset + 2 <= packet.Length:
                sourcePort = destinationPort = BinaryPrimitives.ReadUInt16BigEndian(packet[offset..]);
                break;
        }
    }

    /// <summary>
    /// What a traffic selector names of a packet (RFC 4301 4.4.1.1, RFC 7296 3.13.1): the IP version, both addresses
    /// (IPv4 in the low 32 bits) and, as <see cref="ReadTransport"/> reads them, the upper-layer protocol and ports.
    /// False when the packet is shorter than its version's fixed header or is neither IPv4 nor IPv6.
    /// </summary>
    public static bool TryReadFlow(ReadOnlySpan<byte> packet, out bool ipv6, out UInt128 source, out UInt128 destination,
        out byte protocol, out int sourcePort, out int destinationPort)
    {
        var version = packet.IsEmpty ? 0 : packet[0] >> 4;
        ipv6 = version == 6;
        if (!(version == 4 && packet.Length >= Ipv4HeaderSize) && !(ipv6 && packet.Length >= Ipv6HeaderSize))
        {
            source = destination = 0;
            protocol = 0;
            sourcePort = destinationPort = NoPort;
            return false;
        }
        ReadAddresses(packet, ipv6, out source, out destination);
        ReadTransport(packet, ipv6, out protocol, out sourcePort, out destinationPort);
        return true;
    }

    /// <summary>
    /// Walks IPv6 extension headers (hop-by-hop, routing, destination options, fragment, AH) from
    /// <paramref name="offset"/> to the upper-layer header. <paramref name="fragment"/> is the Fragment Offset
    /// (times 8) with the M flag in bit 0 of a Fragment header, 0 when there is none. False when the chain runs past
    /// the packet or is longer than a sane packet carries.
    /// </summary>
    public static bool TrySkipExtensionHeaders(ReadOnlySpan<byte> packet, ref byte nextHeader, ref int offset, out int fragment) =>
        TrySkipExtensionHeaders(packet, ref nextHeader, ref offset, out fragment, out _);

    /// <summary>
    /// As <see cref="TrySkipExtensionHeaders(ReadOnlySpan{byte}, ref byte, ref int, out int)"/>, and
    /// <paramref name="walked"/> names the kinds of extension header on the way: a Fragment header is there even when
    /// its offset and M flag are 0 (an atomic fragment, RFC 6946).
    /// </summary>
    public static bool TrySkipExtensionHeaders(ReadOnlySpan<byte> packet, ref byte nextHeader, ref int offset, out int fragment, out Ipv6ExtensionHeaders walked)
    {
        fragment = 0;
        walked = Ipv6ExtensionHeaders.None;
        for (var i = 0; i < MaxExtensionHeaders; i++)
        {
            int length;
            switch (nextHeader)
            {
                case IpProtocol.HopByHop or IpProtocol.Ipv6Routing or IpProtocol.Ipv6DestinationOptions:
                    if (offset + 2 > packet.Length)
                        return false;
                    length = (packet[offset + 1] + 1) * 8;
                    walked |= nextHeader switch
                    {
                        IpProtocol.HopByHop => Ipv6ExtensionHeaders.HopByHop,
                        IpProtocol.Ipv6Routing => Ipv6ExtensionHeaders.Routing,
                        _ => Ipv6ExtensionHeaders.DestinationOptions,
                    };
                    break;
                case IpProtocol.Ipv6Fragment:
                    if (offset + 8 > packet.Length)
                        return false;
                    fragment = BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 2)..]) & FragmentOffsetAndMore;
                    length = 8;
                    walked |= Ipv6ExtensionHeaders.Fragment;
                    break;
                case IpProtocol.Ah:
                    if (offset + 2 > packet.Length)
                        return false;
                    length = (packet[offset + 1] + 2) * 4;
                    walked |= Ipv6ExtensionHeaders.Ah;
                    break;
                default:
                    return true;
            }
            if (offset + length > packet.Length)
                return false;
            nextHeader = packet[offset];
            offset += length;
        }
        return false;
    }
}
