using System.Buffers.Binary;
using S2SEndpoint.Esp;

namespace S2SEndpoint.Gateway.Tun;

// The read side of the TUN offloads: a frame from a queue opened with IFF_VNET_HDR and TUNSETOFFLOAD is a virtio-net
// header and one packet, which is either whole but for its checksum (GSO_NONE, perhaps NEEDS_CSUM) or a super-packet
// of up to 64 KiB that the kernel left to the device to segment (TSO, USO). Outbound then sees only packets no longer
// than the MTU, each in its own PacketBuffer after the headroom, with complete checksums, ready to seal.
//
// Segmentation is what the kernel's software GSO would have done (Documentation/networking/segmentation-offloads.rst;
// net/ipv4/tcp_offload.c tcp_gso_segment, net/ipv4/udp_offload.c __udp_gso_segment): the headers of the super-packet
// repeated in front of each gso_size octets of payload; IPv4 Total Length, an Identification one higher per segment
// and the header checksum; IPv6 Payload Length; TCP sequence numbers advanced by the payload before, FIN and PSH only
// on the last segment, CWR only on the first; UDP Length; the TCP or UDP checksum computed in full over the
// pseudo-header (RFC 9293 3.1, RFC 768, RFC 8200 8.1). Every field the kernel gave is checked before it is used:
// a frame that does not add up gives no packets and a TunFrameError.

/// <summary>Splits a frame read from a TUN queue with offload into whole packets.</summary>
public static class TsoSegmenter
{
    private const int TcpHeaderSize = 20;
    private const int UdpHeaderSize = 8;
    private const int TcpSequenceOffset = 4;
    private const int TcpDataOffsetOffset = 12;
    private const int TcpFlagsOffset = 13;
    private const int UdpLengthOffset = 4;
    private const int Ipv4IdentificationOffset = 4;
    private const byte TcpFin = 0x01;
    private const byte TcpPsh = 0x08;
    private const byte TcpCwr = 0x80;

    /// <summary>
    /// Puts the packets of <paramref name="frame"/> (a virtio-net header and what follows it) into
    /// <paramref name="segments"/>, from the first, each after <see cref="PacketBuffer.Headroom"/>.
    /// </summary>
    /// <returns>True with <paramref name="count"/> packets; false with <paramref name="error"/> and no packets.</returns>
    public static bool TrySplit(ReadOnlySpan<byte> frame, ReadOnlySpan<PacketBuffer> segments, out int count, out TunFrameError error)
    {
        count = 0;
        if (!VirtioNetHeader.TryRead(frame, out var header) || frame.Length == VirtioNetHeader.Size)
        {
            error = TunFrameError.Truncated;
            return false;
        }
        var packet = frame[VirtioNetHeader.Size..];
        if (header.HeaderLength > packet.Length)
        {
            error = TunFrameError.BadHeaderLength;
            return false;
        }
        if (segments.IsEmpty)
        {
            error = TunFrameError.TooManySegments;
            return false;
        }
        var made = 1;
        error = header.GsoType == VirtioNetHeader.GsoNone ? CopyWhole(packet, header, segments[0]) : Segment(packet, header, segments, out made);
        if (error != TunFrameError.None)
            return false;
        count = made;
        return true;
    }

    /// <summary>
    /// Completes the checksum of a packet whose header says NEEDS_CSUM (CHECKSUM_PARTIAL): the field at
    /// csum_start + csum_offset holds the pseudo-header sum; the sum from csum_start to the end goes in its place.
    /// Does nothing to a packet without the flag. False, with the packet untouched, when the position is outside it.
    /// </summary>
    public static bool TryCompleteChecksum(Span<byte> packet, in VirtioNetHeader header)
    {
        if ((header.Flags & VirtioNetHeader.FlagNeedsChecksum) == 0)
            return true;
        var at = header.ChecksumStart + header.ChecksumOffset;
        if (header.ChecksumStart >= packet.Length || at + sizeof(ushort) > packet.Length)
            return false;
        var partial = BinaryPrimitives.ReadUInt16BigEndian(packet[at..]);
        BinaryPrimitives.WriteUInt16BigEndian(packet[at..], 0);
        var sum = Checksum.Finish(Checksum.Add(partial, packet[header.ChecksumStart..]));
        // As the kernel's skb_checksum_help: a sum of 0 is sent as 0xFFFF, which UDP reads as "computed" (RFC 768).
        BinaryPrimitives.WriteUInt16BigEndian(packet[at..], sum == 0 ? (ushort)0xFFFF : sum);
        return true;
    }

    private static TunFrameError CopyWhole(ReadOnlySpan<byte> packet, in VirtioNetHeader header, PacketBuffer destination)
    {
        if (packet.Length > destination.MaxInnerPacketSize)
            return TunFrameError.TooLarge;
        var at = header.ChecksumStart + header.ChecksumOffset;
        if ((header.Flags & VirtioNetHeader.FlagNeedsChecksum) != 0 && (header.ChecksumStart >= packet.Length || at + sizeof(ushort) > packet.Length))
            return TunFrameError.BadChecksumPosition;
        var room = destination.ResetForInnerPacket().Span;
        packet.CopyTo(room);
        destination.SetLength(packet.Length);
        TryCompleteChecksum(destination.Data, header);
        return TunFrameError.None;
    }

    private static TunFrameError Segment(ReadOnlySpan<byte> packet, in VirtioNetHeader header, ReadOnlySpan<PacketBuffer> segments, out int count)
    {
        count = 0;
        var error = Validate(packet, header, out var ipv6, out var tcp, out var ipHeaderLength, out var headersLength);
        if (error != TunFrameError.None)
            return error;
        var gsoSize = header.GsoSize;
        var payload = packet.Length - headersLength;
        var made = (payload + gsoSize - 1) / gsoSize;
        if (made > segments.Length)
            return TunFrameError.TooManySegments;
        for (var i = 0; i < made; i++)
        {
            if (segments[i].MaxInnerPacketSize < headersLength + Math.Min(gsoSize, payload - i * gsoSize))
                return TunFrameError.TooLarge;
        }

        var protocol = tcp ? IpProtocol.Tcp : IpProtocol.Udp;
        var addressLength = ipv6 ? 16 : 4;
        var addresses = ipv6 ? IpPacket.Ipv6SourceOffset : IpPacket.Ipv4SourceOffset;
        var source = packet.Slice(addresses, addressLength);
        var destination = packet.Slice(addresses + addressLength, addressLength);
        var firstSequence = tcp ? BinaryPrimitives.ReadUInt32BigEndian(packet[(ipHeaderLength + TcpSequenceOffset)..]) : 0;
        var firstIdentification = ipv6 ? (ushort)0 : BinaryPrimitives.ReadUInt16BigEndian(packet[Ipv4IdentificationOffset..]);
        for (var i = 0; i < made; i++)
        {
            var start = headersLength + i * gsoSize;
            var length = Math.Min(gsoSize, packet.Length - start);
            var total = headersLength + length;
            var buffer = segments[i];
            var room = buffer.ResetForInnerPacket().Span;
            packet[..headersLength].CopyTo(room);
            packet.Slice(start, length).CopyTo(room[headersLength..]);
            var segment = room[..total];
            if (ipv6)
            {
                BinaryPrimitives.WriteUInt16BigEndian(segment[IpPacket.Ipv6PayloadLengthOffset..], (ushort)(total - IpPacket.Ipv6HeaderSize));
            }
            else
            {
                BinaryPrimitives.WriteUInt16BigEndian(segment[IpPacket.Ipv4TotalLengthOffset..], (ushort)total);
                BinaryPrimitives.WriteUInt16BigEndian(segment[Ipv4IdentificationOffset..], unchecked((ushort)(firstIdentification + i)));
                BinaryPrimitives.WriteUInt16BigEndian(segment[IpPacket.Ipv4ChecksumOffset..], 0);
                BinaryPrimitives.WriteUInt16BigEndian(segment[IpPacket.Ipv4ChecksumOffset..], Checksum.Compute(segment[..ipHeaderLength]));
            }

            var transport = segment[ipHeaderLength..];
            if (tcp)
            {
                BinaryPrimitives.WriteUInt32BigEndian(transport[TcpSequenceOffset..], unchecked(firstSequence + (uint)(i * gsoSize)));
                if (i != made - 1)
                    transport[TcpFlagsOffset] &= unchecked((byte)~(TcpFin | TcpPsh));
                if (i != 0)
                    transport[TcpFlagsOffset] &= unchecked((byte)~TcpCwr);
            }
            else
            {
                BinaryPrimitives.WriteUInt16BigEndian(transport[UdpLengthOffset..], (ushort)transport.Length);
            }
            var checksumAt = tcp ? VirtioNetHeader.TcpChecksumOffset : VirtioNetHeader.UdpChecksumOffset;
            BinaryPrimitives.WriteUInt16BigEndian(transport[checksumAt..], 0);
            var sum = Checksum.Finish(Checksum.Add(Checksum.AddPseudoHeader(0, source, destination, protocol, transport.Length), transport));
            // RFC 768: "If the computed checksum is zero, it is transmitted as all ones".
            BinaryPrimitives.WriteUInt16BigEndian(transport[checksumAt..], !tcp && sum == 0 ? (ushort)0xFFFF : sum);
            buffer.SetLength(total);
        }
        count = made;
        return TunFrameError.None;
    }

    /// <summary>
    /// Checks a GSO frame: a GSO type the gateway asked for and of the packet's IP version; IP lengths that match the
    /// frame; no fragment, no IPv6 routing header; csum_start at the transport header and csum_offset at its checksum;
    /// a whole transport header and some payload.
    /// </summary>
    private static TunFrameError Validate(ReadOnlySpan<byte> packet, in VirtioNetHeader header, out bool ipv6, out bool tcp, out int ipHeaderLength, out int headersLength)
    {
        ipv6 = false;
        tcp = false;
        ipHeaderLength = headersLength = 0;
        var version = packet[0] >> 4;
        switch (header.GsoType)
        {
            case VirtioNetHeader.GsoTcpV4 or (VirtioNetHeader.GsoTcpV4 | VirtioNetHeader.GsoEcn) when version == 4:
                tcp = true;
                break;
            case VirtioNetHeader.GsoTcpV6 or (VirtioNetHeader.GsoTcpV6 | VirtioNetHeader.GsoEcn) when version == 6:
                tcp = true;
                ipv6 = true;
                break;
            case VirtioNetHeader.GsoUdpL4 when version is 4 or 6:
                ipv6 = version == 6;
                break;
            case VirtioNetHeader.GsoTcpV4 or VirtioNetHeader.GsoTcpV6 or VirtioNetHeader.GsoUdpL4
                or (VirtioNetHeader.GsoTcpV4 | VirtioNetHeader.GsoEcn) or (VirtioNetHeader.GsoTcpV6 | VirtioNetHeader.GsoEcn):
                return TunFrameError.BadIpHeader;
            default:
                return TunFrameError.UnknownGsoType;
        }
        if ((header.Flags & VirtioNetHeader.FlagNeedsChecksum) == 0 || header.GsoSize == 0)
            return TunFrameError.BadGsoSize;

        var protocol = tcp ? IpProtocol.Tcp : IpProtocol.Udp;
        if (ipv6)
        {
            if (packet.Length < IpPacket.Ipv6HeaderSize)
                return TunFrameError.Truncated;
            if (IpPacket.Ipv6HeaderSize + BinaryPrimitives.ReadUInt16BigEndian(packet[IpPacket.Ipv6PayloadLengthOffset..]) != packet.Length)
                return TunFrameError.BadIpHeader;
            var next = packet[IpPacket.Ipv6NextHeaderOffset];
            var offset = IpPacket.Ipv6HeaderSize;
            if (!IpPacket.TrySkipExtensionHeaders(packet, ref next, ref offset, out _, out var walked)
                || (walked & (Ipv6ExtensionHeaders.Routing | Ipv6ExtensionHeaders.Fragment | Ipv6ExtensionHeaders.Ah)) != 0)
            {
                return TunFrameError.BadIpHeader;
            }
            if (next != protocol)
                return TunFrameError.BadTransportHeader;
            ipHeaderLength = offset;
        }
        else
        {
            if (packet.Length < IpPacket.Ipv4HeaderSize)
                return TunFrameError.Truncated;
            ipHeaderLength = IpPacket.HeaderLengthV4(packet);
            if (ipHeaderLength < IpPacket.Ipv4HeaderSize || ipHeaderLength > packet.Length
                || BinaryPrimitives.ReadUInt16BigEndian(packet[IpPacket.Ipv4TotalLengthOffset..]) != packet.Length
                || (BinaryPrimitives.ReadUInt16BigEndian(packet[IpPacket.Ipv4FlagsOffset..]) & IpPacket.Ipv4FragmentFields) != 0)
            {
                return TunFrameError.BadIpHeader;
            }
            if (packet[IpPacket.Ipv4ProtocolOffset] != protocol)
                return TunFrameError.BadTransportHeader;
        }

        if (header.ChecksumStart != ipHeaderLength
            || header.ChecksumOffset != (tcp ? VirtioNetHeader.TcpChecksumOffset : VirtioNetHeader.UdpChecksumOffset))
        {
            return TunFrameError.BadChecksumPosition;
        }
        if (packet.Length < ipHeaderLength + (tcp ? TcpHeaderSize : UdpHeaderSize))
            return TunFrameError.Truncated;
        var transportHeaderLength = tcp ? (packet[ipHeaderLength + TcpDataOffsetOffset] >> 4) * 4 : UdpHeaderSize;
        if (transportHeaderLength < TcpHeaderSize && tcp)
            return TunFrameError.BadTransportHeader;
        headersLength = ipHeaderLength + transportHeaderLength;
        // hdr_len is not used: the kernel sends its linear part's length there, which may be the whole first segment.
        return headersLength >= packet.Length ? TunFrameError.Truncated : TunFrameError.None;
    }
}
