using System.Buffers.Binary;

namespace S2SEndpoint.Esp;

// The outer headers of tunnel mode, for Framing.IpPacket: written in front of a sealed ESP packet when the gateway
// sends on a raw socket (and for tests and teaching, to compare with the RFC sample packets), and checked and
// stripped in front of a received one.
//
// Writing (RFC 4301 5.1.2.1, outer header construction): version 4 or 6; DSCP and ECN copied from the inner header
// (RFC 4301 5.1.2.1 default, RFC 6040 normal mode); DF copied from an inner IPv4 header; a fresh Identification
// per packet; the SA's TTL; protocol 50, or 17 with a UDP header (RFC 3948 2.1) whose IPv4 checksum is zero and
// whose IPv6 checksum is computed (RFC 8200 8.1: UDP over IPv6 carries one). The IPv4 header checksum is computed.
internal static class OuterHeader
{
    public const int UdpHeaderSize = PacketBuffer.UdpHeaderSize;

    /// <summary>
    /// Writes the outer header(s) of <paramref name="sa"/> at the start of <paramref name="datagram"/>, whose end is
    /// the sealed ESP packet.
    /// </summary>
    public static void Write(EspSa sa, Span<byte> datagram, byte trafficClass, bool dontFragment)
    {
        var udp = sa.IsUdpEncapsulated;
        var protocol = udp ? IpProtocol.Udp : IpProtocol.Esp;
        int ipSize;
        if (sa.OuterIsIpv6)
        {
            ipSize = IpPacket.Ipv6HeaderSize;
            var header = datagram[..ipSize];
            header[0] = (byte)(0x60 | (trafficClass >> 4));
            header[1] = unchecked((byte)(trafficClass << 4));
            header[2] = 0;
            header[3] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(header[IpPacket.Ipv6PayloadLengthOffset..], (ushort)(datagram.Length - ipSize));
            header[IpPacket.Ipv6NextHeaderOffset] = protocol;
            header[IpPacket.Ipv6HopLimitOffset] = sa.Settings.OuterTtl;
            sa.LocalAddressBytes.CopyTo(header[IpPacket.Ipv6SourceOffset..]);
            sa.RemoteAddressBytes.CopyTo(header[IpPacket.Ipv6DestinationOffset..]);
        }
        else
        {
            ipSize = IpPacket.Ipv4HeaderSize;
            var header = datagram[..ipSize];
            header[0] = 0x45;
            header[1] = trafficClass;
            BinaryPrimitives.WriteUInt16BigEndian(header[IpPacket.Ipv4TotalLengthOffset..], (ushort)datagram.Length);
            BinaryPrimitives.WriteUInt16BigEndian(header[4..], sa.TakeIpId());
            header[IpPacket.Ipv4FlagsOffset] = dontFragment ? IpPacket.DontFragment : (byte)0;
            header[IpPacket.Ipv4FlagsOffset + 1] = 0;
            header[IpPacket.Ipv4TtlOffset] = sa.Settings.OuterTtl;
            header[IpPacket.Ipv4ProtocolOffset] = protocol;
            header[IpPacket.Ipv4ChecksumOffset] = 0;
            header[IpPacket.Ipv4ChecksumOffset + 1] = 0;
            sa.LocalAddressBytes.CopyTo(header[IpPacket.Ipv4SourceOffset..]);
            sa.RemoteAddressBytes.CopyTo(header[IpPacket.Ipv4DestinationOffset..]);
            BinaryPrimitives.WriteUInt16BigEndian(header[IpPacket.Ipv4ChecksumOffset..], Checksum.Compute(header));
        }
        if (udp)
            WriteUdp(sa, datagram, ipSize);
    }

    private static void WriteUdp(EspSa sa, Span<byte> datagram, int ipSize)
    {
        var segment = datagram[ipSize..];
        BinaryPrimitives.WriteUInt16BigEndian(segment, sa.Settings.LocalPort);
        BinaryPrimitives.WriteUInt16BigEndian(segment[2..], sa.Settings.RemotePort);
        BinaryPrimitives.WriteUInt16BigEndian(segment[4..], (ushort)segment.Length);
        segment[6] = 0;
        segment[7] = 0;
        if (!sa.OuterIsIpv6)
        {
            // RFC 3948 2.1: "the IPv4 UDP Checksum SHOULD be transmitted as a zero value".
            return;
        }
        // RFC 8200 8.1: the checksum covers a pseudo-header of both addresses, the UDP length and Next Header 17.
        var sum = Checksum.Add(0, sa.LocalAddressBytes);
        sum = Checksum.Add(sum, sa.RemoteAddressBytes);
        sum += (ulong)segment.Length + IpProtocol.Udp;
        var checksum = Checksum.Finish(Checksum.Add(sum, segment));
        // RFC 768: a computed zero is sent as all ones.
        BinaryPrimitives.WriteUInt16BigEndian(segment[6..], checksum == 0 ? ushort.MaxValue : checksum);
    }

    /// <summary>
    /// Checks the outer IPv4/IPv6 header (and UDP header) of a received datagram and finds the ESP packet in it.
    /// Anything else is a drop reason: a bad header, a fragment, IKE or a NAT-keepalive.
    /// </summary>
    public static DropReason TryStrip(ReadOnlySpan<byte> datagram, out int espOffset, out int espLength)
    {
        espOffset = 0;
        espLength = 0;
        if (!IpPacket.TryReadLength(datagram, out var version, out var length))
            return DropReason.MalformedOuter;
        var packet = datagram[..length];
        byte protocol;
        int offset;
        if (version == 4)
        {
            offset = IpPacket.HeaderLengthV4(packet);
            if (Checksum.Compute(packet[..offset]) != 0)
                return DropReason.MalformedOuter;
            // RFC 4303 3.4.1: "If a packet offered to ESP for processing appears to be an IP fragment, i.e., the
            // OFFSET field is non-zero or the MORE FRAGMENTS flag is set, the receiver MUST discard the packet".
            if ((BinaryPrimitives.ReadUInt16BigEndian(packet[IpPacket.Ipv4FlagsOffset..]) & IpPacket.Ipv4FragmentFields) != 0)
                return DropReason.Fragment;
            protocol = packet[IpPacket.Ipv4ProtocolOffset];
        }
        else
        {
            protocol = packet[IpPacket.Ipv6NextHeaderOffset];
            offset = IpPacket.Ipv6HeaderSize;
            if (!IpPacket.TrySkipExtensionHeaders(packet, ref protocol, ref offset, out var fragment))
                return DropReason.MalformedOuter;
            if (fragment != 0)
                return DropReason.Fragment;
        }
        if (protocol == IpProtocol.Esp)
        {
            espOffset = offset;
            espLength = length - offset;
            return DropReason.None;
        }
        if (protocol != IpProtocol.Udp)
            return DropReason.NotEsp;
        if (offset + UdpHeaderSize > length)
            return DropReason.MalformedOuter;
        int udpLength = BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 4)..]);
        if (udpLength < UdpHeaderSize || offset + udpLength > length)
            return DropReason.MalformedOuter;
        // RFC 3948 2.1: "receivers MUST NOT depend on the UDP checksum being a zero value" over IPv4, where the
        // ESP ICV protects what follows. Over IPv6 the checksum is mandatory (RFC 8200 8.1: "IPv6 receivers must
        // discard UDP packets containing a zero checksum"), and it covers the ports the ICV does not.
        if (version == 6)
        {
            var segment = packet.Slice(offset, udpLength);
            if (BinaryPrimitives.ReadUInt16BigEndian(segment[6..]) == 0)
                return DropReason.MalformedOuter;
            var sum = Checksum.Add(0, packet.Slice(IpPacket.Ipv6SourceOffset, 32));
            sum += (ulong)udpLength + IpProtocol.Udp;
            if (Checksum.Finish(Checksum.Add(sum, segment)) != 0)
                return DropReason.MalformedOuter;
        }
        var payload = packet.Slice(offset + UdpHeaderSize, udpLength - UdpHeaderSize);
        switch (UdpEncapsulation.Classify(payload))
        {
            case UdpPayloadKind.Esp:
                espOffset = offset + UdpHeaderSize;
                espLength = payload.Length;
                return DropReason.None;
            case UdpPayloadKind.NatKeepalive:
                return DropReason.NatKeepalive;
            case UdpPayloadKind.Ike:
                return DropReason.NotEsp;
            default:
                return DropReason.Truncated;
        }
    }
}
