using System.Buffers.Binary;
using System.Net;

namespace S2SEndpoint.Gateway.Tests.Tun;

/// <summary>
/// ICMP and ICMPv6 echo packets for the TUN tests: recognise an echo request, turn it into its reply in place (as
/// the far end of a tunnel would answer), and build a request. Checksums per RFC 1071; ICMPv6 over the IPv6
/// pseudo-header (RFC 8200 8.1).
/// </summary>
internal static class IcmpEcho
{
    public const byte ProtocolIcmp = 1;
    public const byte NextHeaderIcmpV6 = 58;
    public const byte EchoRequest = 8;
    public const byte EchoReply = 0;
    public const byte EchoRequestV6 = 128;
    public const byte EchoReplyV6 = 129;
    private const int Ipv4HeaderLength = 20;
    private const int Ipv6HeaderLength = 40;

    /// <summary>Whether <paramref name="packet"/> is an IPv4 ICMP echo request to <paramref name="destination"/>.</summary>
    public static bool IsRequestV4(ReadOnlySpan<byte> packet, IPAddress destination) =>
        packet.Length >= Ipv4HeaderLength + 8 && packet[0] >> 4 == 4 && packet[9] == ProtocolIcmp
        && new IPAddress(packet[16..20]).Equals(destination) && packet[(packet[0] & 0xF) * 4] == EchoRequest;

    /// <summary>Whether <paramref name="packet"/> is an IPv6 ICMPv6 echo request to <paramref name="destination"/>.</summary>
    public static bool IsRequestV6(ReadOnlySpan<byte> packet, IPAddress destination) =>
        packet.Length >= Ipv6HeaderLength + 8 && packet[0] >> 4 == 6 && packet[6] == NextHeaderIcmpV6
        && new IPAddress(packet[24..40]).Equals(destination) && packet[Ipv6HeaderLength] == EchoRequestV6;

    /// <summary>Turns an IPv4 echo request into its reply: addresses swapped, type 0, both checksums recomputed.</summary>
    public static void ToReplyV4(Span<byte> packet)
    {
        var headerLength = (packet[0] & 0xF) * 4;
        var totalLength = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        Swap(packet.Slice(12, 4), packet.Slice(16, 4));
        packet[8] = 64;
        BinaryPrimitives.WriteUInt16BigEndian(packet[10..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(packet[10..], Checksum(0, packet[..headerLength]));
        var icmp = packet[headerLength..totalLength];
        icmp[0] = EchoReply;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Checksum(0, icmp));
    }

    /// <summary>Turns an IPv6 echo request into its reply: addresses swapped, type 129, checksum recomputed.</summary>
    public static void ToReplyV6(Span<byte> packet)
    {
        var payloadLength = BinaryPrimitives.ReadUInt16BigEndian(packet[4..]);
        Swap(packet.Slice(8, 16), packet.Slice(24, 16));
        packet[7] = 64;
        var icmp = packet.Slice(Ipv6HeaderLength, payloadLength);
        icmp[0] = EchoReplyV6;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], ChecksumV6(packet[8..40], icmp));
    }

    /// <summary>An IPv4 echo request with a header and an ICMP checksum that verify.</summary>
    public static byte[] RequestV4(IPAddress source, IPAddress destination, ushort identifier, ushort sequence, int dataLength)
    {
        var packet = new byte[Ipv4HeaderLength + 8 + dataLength];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        packet[8] = 64;
        packet[9] = ProtocolIcmp;
        source.TryWriteBytes(packet.AsSpan(12, 4), out _);
        destination.TryWriteBytes(packet.AsSpan(16, 4), out _);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), Checksum(0, packet.AsSpan(0, Ipv4HeaderLength)));
        var icmp = packet.AsSpan(Ipv4HeaderLength);
        icmp[0] = EchoRequest;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[4..], identifier);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], sequence);
        for (var i = 8; i < icmp.Length; i++)
            icmp[i] = (byte)(i & 0xFF);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Checksum(0, icmp));
        return packet;
    }

    /// <summary>The Internet checksum of <paramref name="data"/> added to <paramref name="sum"/>: 0 when a header with its checksum verifies.</summary>
    public static ushort Checksum(uint sum, ReadOnlySpan<byte> data)
    {
        for (var i = 0; i + 1 < data.Length; i += 2)
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if (data.Length % 2 == 1)
            sum += (uint)data[^1] << 8;
        while (sum >> 16 != 0)
            sum = (sum & 0xFFFF) + (sum >> 16);
        return unchecked((ushort)~sum);
    }

    /// <summary>The ICMPv6 checksum over the pseudo-header (source and destination, upper-layer length, next header 58).</summary>
    public static ushort ChecksumV6(ReadOnlySpan<byte> addresses, ReadOnlySpan<byte> icmp)
    {
        uint sum = (uint)icmp.Length + NextHeaderIcmpV6;
        for (var i = 0; i < addresses.Length; i += 2)
            sum += BinaryPrimitives.ReadUInt16BigEndian(addresses[i..]);
        return Checksum(sum, icmp);
    }

    private static void Swap(Span<byte> a, Span<byte> b)
    {
        Span<byte> keep = stackalloc byte[a.Length];
        a.CopyTo(keep);
        b.CopyTo(a);
        keep.CopyTo(b);
    }
}
