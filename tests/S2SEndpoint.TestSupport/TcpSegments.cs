using System.Buffers.Binary;
using System.Net;

namespace S2SEndpoint.TestSupport;

/// <summary>
/// TCP segments in IPv4 and IPv6 packets for the MSS clamp's tests, with a TCP checksum computed in full here (RFC 9293
/// 3.1: the pseudo-header, then the segment with the checksum field as zero, RFC 1071's one's complement sum), on
/// purpose apart from the ESP library's checksum code, so that a test compares the clamp's incremental update with an
/// independent computation.
/// </summary>
public static class TcpSegments
{
    public const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Ack = 0x10;

    /// <summary>The options of a Linux SYN: MSS, SACK permitted, timestamps, NOP, window scale 7 (20 octets).</summary>
    public static byte[] LinuxSynOptions(ushort mss) =>
        [2, 4, (byte)(mss >> 8), unchecked((byte)mss), 4, 2, 8, 10, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0, 1, 3, 3, 7];

    /// <summary>
    /// A TCP header from port 40000 to 443 with <paramref name="options"/> (a multiple of 4 octets, or padded here with
    /// zeros, which read as End of Option List), <paramref name="flags"/>, and <paramref name="payload"/> octets of data;
    /// checksum 0 until it is put in a packet.
    /// </summary>
    public static byte[] Tcp(byte[] options, byte flags = Syn, int payload = 0)
    {
        var optionRoom = (options.Length + 3) / 4 * 4;
        var segment = new byte[20 + optionRoom + payload];
        BinaryPrimitives.WriteUInt16BigEndian(segment, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), 443);
        BinaryPrimitives.WriteUInt32BigEndian(segment.AsSpan(4), 0x0A0B0C0D);
        BinaryPrimitives.WriteUInt32BigEndian(segment.AsSpan(8), (flags & Ack) != 0 ? 0x01020304u : 0);
        segment[12] = (byte)((20 + optionRoom) / 4 << 4);
        segment[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(14), 64240);
        options.CopyTo(segment, 20);
        for (var i = 20 + optionRoom; i < segment.Length; i++)
            segment[i] = unchecked((byte)(i * 13 + 5));
        return segment;
    }

    /// <summary>
    /// <paramref name="segment"/> in an IPv4 packet, after <paramref name="ipOptions"/> (a multiple of 4 octets) if any, with
    /// <paramref name="fragment"/> as the flags and fragment offset field; both checksums computed.
    /// </summary>
    public static byte[] Ipv4(string source, string destination, byte[] segment, byte[]? ipOptions = null, ushort fragment = 0, byte protocol = 6)
    {
        var headerLength = 20 + (ipOptions?.Length ?? 0);
        var packet = new byte[headerLength + segment.Length];
        packet[0] = (byte)(0x40 | headerLength / 4);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), 0x4321);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), fragment);
        packet[8] = 64;
        packet[9] = protocol;
        IPAddress.Parse(source).TryWriteBytes(packet.AsSpan(12), out _);
        IPAddress.Parse(destination).TryWriteBytes(packet.AsSpan(16), out _);
        ipOptions?.CopyTo(packet, 20);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), Finish(Sum(packet.AsSpan(0, headerLength))));
        segment.CopyTo(packet, headerLength);
        if (protocol == 6)
            WriteChecksum(packet);
        return packet;
    }

    /// <summary>
    /// <paramref name="segment"/> in an IPv6 packet behind <paramref name="extensions"/>: each a Next Header value (0
    /// hop-by-hop, 43 routing, 60 destination options, each 8 octets of PadN; 44 a Fragment header with
    /// <paramref name="fragment"/> as its offset and M flag; 51 AH with a 12-octet ICV); the TCP checksum computed.
    /// </summary>
    public static byte[] Ipv6(string source, string destination, byte[] segment, byte[]? extensions = null, ushort fragment = 0)
    {
        extensions ??= [];
        var lengths = extensions.Select(e => e == 51 ? 24 : 8).ToArray();
        var packet = new byte[40 + lengths.Sum() + segment.Length];
        packet[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)(packet.Length - 40));
        packet[6] = extensions.Length > 0 ? extensions[0] : (byte)6;
        packet[7] = 64;
        IPAddress.Parse(source).TryWriteBytes(packet.AsSpan(8), out _);
        IPAddress.Parse(destination).TryWriteBytes(packet.AsSpan(24), out _);
        var offset = 40;
        for (var i = 0; i < extensions.Length; i++)
        {
            packet[offset] = i + 1 < extensions.Length ? extensions[i + 1] : (byte)6;
            switch (extensions[i])
            {
                case 44:
                    BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(offset + 2), fragment);
                    BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(offset + 4), 0xCAFE);
                    break;
                case 51:
                    packet[offset + 1] = 24 / 4 - 2;
                    BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(offset + 4), 0x1000);
                    break;
                default:
                    // PadN (RFC 8200 4.2) over the 6 octets after Next Header and Hdr Ext Len.
                    packet[offset + 2] = 1;
                    packet[offset + 3] = 4;
                    break;
            }
            offset += lengths[i];
        }
        segment.CopyTo(packet, offset);
        WriteChecksum(packet);
        return packet;
    }

    /// <summary>Where the TCP header starts: after the IPv4 header, or after the IPv6 header and its extension headers.</summary>
    public static int TcpOffset(ReadOnlySpan<byte> packet)
    {
        if (packet[0] >> 4 == 4)
            return (packet[0] & 0x0F) * 4;
        var next = packet[6];
        var offset = 40;
        while (next != 6)
        {
            var length = next switch
            {
                44 => 8,
                51 => (packet[offset + 1] + 2) * 4,
                _ => (packet[offset + 1] + 1) * 8,
            };
            next = packet[offset];
            offset += length;
        }
        return offset;
    }

    /// <summary>The TCP checksum <paramref name="packet"/> should carry, computed over all of it (RFC 9293 3.1).</summary>
    public static ushort ComputeChecksum(ReadOnlySpan<byte> packet)
    {
        var tcp = TcpOffset(packet);
        var ipv6 = packet[0] >> 4 == 6;
        var end = ipv6 ? 40 + BinaryPrimitives.ReadUInt16BigEndian(packet[4..]) : BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        var segment = packet[tcp..end].ToArray();
        segment[16] = 0;
        segment[17] = 0;
        // The pseudo-header: both addresses, the protocol and the segment's length.
        var sum = ipv6 ? Sum(packet.Slice(8, 32)) : Sum(packet.Slice(12, 8));
        sum += 6 + (ulong)segment.Length;
        return Finish(sum + Sum(segment));
    }

    public static ushort StoredChecksum(ReadOnlySpan<byte> packet) => BinaryPrimitives.ReadUInt16BigEndian(packet[(TcpOffset(packet) + 16)..]);

    /// <summary>The value of the first MSS option, or -1 when there is none.</summary>
    public static int Mss(ReadOnlySpan<byte> packet) =>
        MssOffset(packet) is var at and >= 0 ? BinaryPrimitives.ReadUInt16BigEndian(packet[at..]) : -1;

    /// <summary>Where the value of the first MSS option is in <paramref name="packet"/>, or -1 when there is none (the options read as plainly as can be).</summary>
    public static int MssOffset(ReadOnlySpan<byte> packet)
    {
        var offset = TcpOffset(packet);
        var tcp = packet[offset..];
        var end = (tcp[12] >> 4) * 4;
        for (var i = 20; i < end && tcp[i] != 0;)
        {
            if (tcp[i] == 1)
            {
                i++;
                continue;
            }
            if (tcp[i] == 2)
                return offset + i + 2;
            if (tcp[i + 1] < 2)
                return -1;
            i += tcp[i + 1];
        }
        return -1;
    }

    private static void WriteChecksum(byte[] packet) =>
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(TcpOffset(packet) + 16), ComputeChecksum(packet));

    /// <summary>RFC 1071 4.1, octet pair by octet pair; an odd last octet is padded with a zero.</summary>
    private static ulong Sum(ReadOnlySpan<byte> data)
    {
        ulong sum = 0;
        for (var i = 0; i < data.Length; i += 2)
            sum += (ulong)(data[i] << 8 | (i + 1 < data.Length ? data[i + 1] : 0));
        return sum;
    }

    private static ushort Finish(ulong sum)
    {
        while (sum > 0xFFFF)
            sum = (sum & 0xFFFF) + (sum >> 16);
        return unchecked((ushort)~sum);
    }
}
