using System.Buffers.Binary;
using System.Net;

namespace S2SEndpoint.Esp.Tests.Support;

/// <summary>Inner packets for the tests: IPv4 and IPv6 datagrams with valid headers, from the left LAN to the right LAN.</summary>
internal static class TestPackets
{
    public static readonly IPAddress LeftHostV4 = IPAddress.Parse("10.1.0.5");
    public static readonly IPAddress RightHostV4 = IPAddress.Parse("10.2.0.7");
    public static readonly IPAddress LeftHostV6 = IPAddress.Parse("fd00:1::5");
    public static readonly IPAddress RightHostV6 = IPAddress.Parse("fd00:2::7");

    public static int MinimumLength(bool ipv6) => ipv6 ? 48 : 28;

    /// <summary>A UDP datagram of <paramref name="length"/> octets in all, from the left host to the right host.</summary>
    public static byte[] Udp(bool ipv6, int length, ushort sourcePort = 40000, ushort destinationPort = 53, byte ttl = 64, byte trafficClass = 0, bool dontFragment = false) =>
        ipv6
            ? Ipv6(length, LeftHostV6, RightHostV6, 17, sourcePort, destinationPort, ttl, trafficClass)
            : Ipv4(length, LeftHostV4, RightHostV4, 17, sourcePort, destinationPort, ttl, trafficClass, dontFragment);

    public static byte[] Ipv4(int length, IPAddress source, IPAddress destination, byte protocol = 17, ushort sourcePort = 40000,
        ushort destinationPort = 53, byte ttl = 64, byte tos = 0, bool dontFragment = false, ushort fragment = 0)
    {
        var packet = new byte[length];
        packet[0] = 0x45;
        packet[1] = tos;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)length);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), 0x1234);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), (ushort)((dontFragment ? 0x4000 : 0) | fragment));
        packet[8] = ttl;
        packet[9] = protocol;
        source.TryWriteBytes(packet.AsSpan(12), out _);
        destination.TryWriteBytes(packet.AsSpan(16), out _);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), Checksum.Compute(packet.AsSpan(0, 20)));
        FillTransport(packet.AsSpan(20), protocol, sourcePort, destinationPort);
        return packet;
    }

    public static byte[] Ipv6(int length, IPAddress source, IPAddress destination, byte nextHeader = 17, ushort sourcePort = 40000,
        ushort destinationPort = 53, byte hopLimit = 64, byte trafficClass = 0)
    {
        var packet = new byte[length];
        packet[0] = (byte)(0x60 | (trafficClass >> 4));
        packet[1] = unchecked((byte)(trafficClass << 4));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)(length - 40));
        packet[6] = nextHeader;
        packet[7] = hopLimit;
        source.TryWriteBytes(packet.AsSpan(8), out _);
        destination.TryWriteBytes(packet.AsSpan(24), out _);
        FillTransport(packet.AsSpan(40), nextHeader, sourcePort, destinationPort);
        return packet;
    }

    private static void FillTransport(Span<byte> segment, byte protocol, ushort sourcePort, ushort destinationPort)
    {
        for (var i = 0; i < segment.Length; i++)
            segment[i] = unchecked((byte)(i * 7 + 3));
        if (protocol is 17 or 6 && segment.Length >= 8)
        {
            BinaryPrimitives.WriteUInt16BigEndian(segment, sourcePort);
            BinaryPrimitives.WriteUInt16BigEndian(segment[2..], destinationPort);
            if (protocol == 17)
            {
                BinaryPrimitives.WriteUInt16BigEndian(segment[4..], (ushort)segment.Length);
                BinaryPrimitives.WriteUInt16BigEndian(segment[6..], 0);
            }
        }
        if (protocol is 1 or 58 && segment.Length >= 2)
        {
            segment[0] = (byte)(sourcePort >> 8);
            segment[1] = unchecked((byte)sourcePort);
        }
    }

    /// <summary>What a router makes of <paramref name="packet"/>: TTL or hop limit one less, IPv4 checksum computed afresh.</summary>
    public static byte[] Forwarded(byte[] packet)
    {
        var copy = (byte[])packet.Clone();
        if (copy[0] >> 4 == 6)
        {
            copy[7]--;
            return copy;
        }
        copy[8]--;
        copy[10] = 0;
        copy[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(10), Checksum.Compute(copy.AsSpan(0, (copy[0] & 0x0F) * 4)));
        return copy;
    }
}
