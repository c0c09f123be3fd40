using System.Buffers.Binary;

namespace S2SEndpoint.Esp;

// TCP MSS clamping (children.NAME.mss_clamp), on the inner packet of either path: a SYN or SYN-ACK whose Maximum
// Segment Size option offers more than the tunnel carries in one packet is given the maximum instead, so that neither
// end sends segments that the ESP, UDP and outer IP headers make too large for the path. In place: the two octets of
// the option's value change, the TCP checksum follows them (RFC 1624), and every other octet stays as it was. The
// gateway's data path calls it after the route is found on the way out (before the seal) and after the open on the
// way in (before the TUN write), so that the SYN of either side is clamped.
//
// RFC 9293 3.1, the TCP header:
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |          Source Port          |       Destination Port        |
// |                        Sequence Number                        |
// |                    Acknowledgment Number                      |
// |  Data |       |C|E|U|A|P|R|S|F|                               |
// | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
// |       |       |R|E|G|K|H|T|N|N|                               |
// |           Checksum            |         Urgent Pointer        |
// |                           [Options]                           |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// RFC 9293 3.2, the Maximum Segment Size option:
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |       2       |     Length    |   Maximum Segment Size (MSS)  |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// "If this option is present, then it communicates the maximum receive segment size at the TCP endpoint that sends
// this segment. ... This field may be sent in the initial connection request (i.e., in segments with the SYN control
// bit set) and MUST NOT be sent in other segments (MUST-65)." Length == 4.
//
// RFC 9293 3.7.1: "If an MSS Option is not received at connection setup, TCP implementations MUST assume a default
// send MSS of 536 (576 - 40) for IPv4 or 1220 (1280 - 60) for IPv6 (MUST-15)." A SYN without the option asks for no
// more than that, so none is added.
//
// RFC 6691 2: "When calculating the value to put in the TCP MSS option, the MTU value SHOULD be decreased by only the
// size of the fixed IP and TCP headers and SHOULD NOT be decreased to account for any possible IP or TCP options". The
// maximum is such a value, and the option is compared with it as it stands.
//
// RFC 1624 3: the checksum follows the changed word, "HC' = ~(~HC + ~m + m')" (Checksum.Update), without a pass over
// the segment; a segment whose checksum was wrong stays exactly as wrong.
public static class TcpMss
{
    /// <summary>How much longer an IPv6 header is than an IPv4 one (40 and 20 octets): an MSS for IPv4 less this fills an IPv6 packet of the same size.</summary>
    public const int Ipv6HeaderGrowth = 20;

    private const int TcpHeaderSize = 20;
    private const int DataOffsetOffset = 12;
    private const int FlagsOffset = 13;
    private const int ChecksumOffset = 16;
    private const byte Syn = 0x02;

    private const byte EndOfOptionList = 0;
    private const byte NoOperation = 1;
    private const byte MaximumSegmentSize = 2;
    private const int MaximumSegmentSizeLength = 4;

    /// <summary>The extension headers a clamped IPv6 packet may carry before TCP: not a Fragment header, not AH.</summary>
    private const Ipv6ExtensionHeaders Passable =
        Ipv6ExtensionHeaders.HopByHop | Ipv6ExtensionHeaders.Routing | Ipv6ExtensionHeaders.DestinationOptions;

    /// <summary>
    /// Lowers the MSS option of a TCP segment with SYN set (a SYN or a SYN-ACK) in <paramref name="packet"/>, an IPv4 or
    /// IPv6 packet perhaps followed by other octets (TFC padding), to <paramref name="maximum"/> where it offers more,
    /// and updates the TCP checksum for it. True when it changed the packet, with the MSS the option carried in
    /// <paramref name="previous"/>. False, with the packet untouched, for everything else: not TCP, SYN not set, no
    /// MSS option or none above the maximum; a later IPv4 fragment, an IPv6 packet with a Fragment header or AH; a
    /// header, TCP header or option list that is cut short or malformed. Never reads or writes past the packet.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maximum"/> is 0: no segment could be sent.</exception>
    public static bool Clamp(Span<byte> packet, ushort maximum, out ushort previous)
    {
        ArgumentOutOfRangeException.ThrowIfZero(maximum);
        previous = 0;
        if (!IpPacket.TryReadLength(packet, out var version, out var length) || !TryFindTcp(packet[..length], version, out var offset))
            return false;
        var segment = packet[offset..length];
        if (segment.Length < TcpHeaderSize || (segment[FlagsOffset] & Syn) == 0)
            return false;
        var headerLength = (segment[DataOffsetOffset] >> 4) * 4;
        if (headerLength < TcpHeaderSize || headerLength > segment.Length)
            return false;
        // The whole option list is read before anything changes: a list that is not well formed stays as it came.
        if (WalkOptions(segment, headerLength, maximum, write: false, out previous) == 0)
        {
            previous = 0;
            return false;
        }
        WalkOptions(segment, headerLength, maximum, write: true, out _);
        return true;
    }

    /// <summary>
    /// Where the TCP header of <paramref name="packet"/> (its length checked) starts: false when it is not TCP or
    /// carries no TCP header a clamp may change.
    /// </summary>
    private static bool TryFindTcp(ReadOnlySpan<byte> packet, int version, out int offset)
    {
        if (version == 4)
        {
            offset = IpPacket.HeaderLengthV4(packet);
            // A later fragment holds no TCP header. The first one does, and the checksum's update is right for the
            // reassembled segment whatever the later fragments carry.
            return packet[IpPacket.Ipv4ProtocolOffset] == IpProtocol.Tcp &&
                (BinaryPrimitives.ReadUInt16BigEndian(packet[IpPacket.Ipv4FlagsOffset..]) & IpPacket.Ipv4FragmentOffset) == 0;
        }
        var nextHeader = packet[IpPacket.Ipv6NextHeaderOffset];
        offset = IpPacket.Ipv6HeaderSize;
        // Fragments are left alone, and so is a packet AH protects: its ICV covers the option.
        return IpPacket.TrySkipExtensionHeaders(packet, ref nextHeader, ref offset, out _, out var walked) &&
            (walked & ~Passable) == 0 && nextHeader == IpProtocol.Tcp;
    }

    /// <summary>
    /// Walks the options of <paramref name="segment"/> (up to <paramref name="headerLength"/>) and counts the MSS options
    /// above <paramref name="maximum"/>, the first one's value in <paramref name="first"/>; with
    /// <paramref name="write"/>, lowers each of them and updates the checksum. 0 when there is none, or when the list is
    /// malformed: an option whose length is under 2 or runs past the header, an MSS option whose length is not 4.
    /// </summary>
    private static int WalkOptions(Span<byte> segment, int headerLength, ushort maximum, bool write, out ushort first)
    {
        first = 0;
        var over = 0;
        var i = TcpHeaderSize;
        while (i < headerLength)
        {
            var kind = segment[i];
            // RFC 9293 3.2: End of Option List "indicates the end of the option list"; what follows is padding.
            if (kind == EndOfOptionList)
                break;
            if (kind == NoOperation)
            {
                i++;
                continue;
            }
            // RFC 9293 3.1: "All TCP Options except End of Option List Option (EOL) and No-Operation (NOP) MUST have
            // length fields ... TCP implementations MUST be prepared to handle an illegal option length (e.g., zero)".
            if (i + 1 >= headerLength)
                return 0;
            int optionLength = segment[i + 1];
            if (optionLength < 2 || i + optionLength > headerLength)
                return 0;
            if (kind == MaximumSegmentSize)
            {
                if (optionLength != MaximumSegmentSizeLength)
                    return 0;
                var value = segment[(i + 2)..];
                var mss = BinaryPrimitives.ReadUInt16BigEndian(value);
                if (mss > maximum)
                {
                    if (over++ == 0)
                        first = mss;
                    if (write)
                        Lower(segment, i + 2, mss, maximum);
                }
            }
            i += optionLength;
        }
        return over;
    }

    /// <summary>Writes <paramref name="maximum"/> over the MSS <paramref name="mss"/> at <paramref name="at"/> and updates the checksum (RFC 1624).</summary>
    private static void Lower(Span<byte> segment, int at, ushort mss, ushort maximum)
    {
        // The checksum sums 16-bit words from the segment's start. An option after a lone NOP puts the value astride
        // two words, its octets swapped in the sum, and RFC 1071 2(B) allows the sum in either byte order: the update
        // is the same with both words swapped.
        var (oldWord, newWord) = (at & 1) == 0
            ? (mss, maximum)
            : (BinaryPrimitives.ReverseEndianness(mss), BinaryPrimitives.ReverseEndianness(maximum));
        var checksum = BinaryPrimitives.ReadUInt16BigEndian(segment[ChecksumOffset..]);
        BinaryPrimitives.WriteUInt16BigEndian(segment[at..], maximum);
        BinaryPrimitives.WriteUInt16BigEndian(segment[ChecksumOffset..], Checksum.Update(checksum, oldWord, newWord));
    }
}
