using System.Buffers.Binary;
using System.Net;
using S2SEndpoint.Gateway.Tun;

namespace S2SEndpoint.Gateway.Tests.Tun;

/// <summary>
/// TCP and UDP packets over IPv4 and IPv6 for the offload tests, written field by field with checksums from the
/// reference below (RFC 1071 by the letter: 16-bit words summed in 32 bits, carries folded at the end), which shares
/// no code with the gateway's Checksum.
/// </summary>
internal static class OffloadPackets
{
    public const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, Ack = 0x10, Urg = 0x20, Ece = 0x40, Cwr = 0x80;

    public static readonly IPAddress SourceV4 = IPAddress.Parse("10.99.1.5");
    public static readonly IPAddress DestinationV4 = IPAddress.Parse("10.99.0.1");
    public static readonly IPAddress SourceV6 = IPAddress.Parse("fd00:99:1::5");
    public static readonly IPAddress DestinationV6 = IPAddress.Parse("fd00:99::1");

    /// <summary>NOP, NOP, Timestamps (RFC 7323 3): 12 octets.</summary>
    public static readonly byte[] Timestamps = [1, 1, 8, 10, 0, 0, 0x12, 0x34, 0, 0, 0x56, 0x78];

    public sealed record Tcp
    {
        public bool Ipv6 { get; init; }
        public IPAddress? Source { get; init; }
        public IPAddress? Destination { get; init; }
        public ushort SourcePort { get; init; } = 40000;
        public ushort DestinationPort { get; init; } = 5001;
        public uint Sequence { get; init; } = 0x10000000;
        public uint Acknowledgment { get; init; } = 0x20000000;
        public byte Flags { get; init; } = Ack;
        public ushort Window { get; init; } = 502;
        public byte[] Options { get; init; } = [];
        public ushort Identification { get; init; } = 0x4000;
        public bool DontFragment { get; init; }
        public byte Ttl { get; init; } = 64;
        public byte TrafficClass { get; init; }
        public int FlowLabel { get; init; }
        public byte[] Payload { get; init; } = [];

        public byte[] Build() => BuildTcp(this);
    }

    public static byte[] Payload(int length, int seed = 0)
    {
        var payload = new byte[length];
        for (var i = 0; i < length; i++)
            payload[i] = unchecked((byte)(i * 7 + seed));
        return payload;
    }

    public static byte[] BuildTcp(Tcp t)
    {
        var tcpLength = 20 + t.Options.Length + t.Payload.Length;
        var transport = new byte[tcpLength];
        BinaryPrimitives.WriteUInt16BigEndian(transport, t.SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(transport.AsSpan(2), t.DestinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(transport.AsSpan(4), t.Sequence);
        BinaryPrimitives.WriteUInt32BigEndian(transport.AsSpan(8), t.Acknowledgment);
        transport[12] = (byte)((20 + t.Options.Length) / 4 << 4);
        transport[13] = t.Flags;
        BinaryPrimitives.WriteUInt16BigEndian(transport.AsSpan(14), t.Window);
        t.Options.CopyTo(transport, 20);
        t.Payload.CopyTo(transport, 20 + t.Options.Length);
        return Ip(t.Ipv6, 6, t.Source, t.Destination, transport, 16, t.Identification, t.DontFragment, t.Ttl, t.TrafficClass, t.FlowLabel);
    }

    public static byte[] Udp(bool ipv6, byte[] payload, ushort identification = 0x4000)
    {
        var transport = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(transport, 40001);
        BinaryPrimitives.WriteUInt16BigEndian(transport.AsSpan(2), 5002);
        BinaryPrimitives.WriteUInt16BigEndian(transport.AsSpan(4), (ushort)transport.Length);
        payload.CopyTo(transport, 8);
        return Ip(ipv6, 17, null, null, transport, 6, identification, false, 64, 0, 0);
    }

    /// <summary>An IP header in front of <paramref name="transport"/>, the transport checksum at <paramref name="checksumAt"/> filled in.</summary>
    private static byte[] Ip(bool ipv6, byte protocol, IPAddress? source, IPAddress? destination, byte[] transport, int checksumAt,
        ushort identification, bool dontFragment, byte ttl, byte trafficClass, int flowLabel)
    {
        var src = (source ?? (ipv6 ? SourceV6 : SourceV4)).GetAddressBytes();
        var dst = (destination ?? (ipv6 ? DestinationV6 : DestinationV4)).GetAddressBytes();
        var headerLength = ipv6 ? 40 : 20;
        var packet = new byte[headerLength + transport.Length];
        if (ipv6)
        {
            BinaryPrimitives.WriteUInt32BigEndian(packet, (uint)(6 << 28 | trafficClass << 20 | flowLabel));
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)transport.Length);
            packet[6] = protocol;
            packet[7] = ttl;
            src.CopyTo(packet, 8);
            dst.CopyTo(packet, 24);
        }
        else
        {
            packet[0] = 0x45;
            packet[1] = trafficClass;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), identification);
            packet[6] = dontFragment ? (byte)0x40 : (byte)0;
            packet[8] = ttl;
            packet[9] = protocol;
            src.CopyTo(packet, 12);
            dst.CopyTo(packet, 16);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), ReferenceChecksum(0, packet.AsSpan(0, 20)));
        }
        var checksum = ReferenceChecksum(PseudoHeaderSum(src, dst, protocol, transport.Length), transport);
        BinaryPrimitives.WriteUInt16BigEndian(transport.AsSpan(checksumAt), protocol == 17 && checksum == 0 ? (ushort)0xFFFF : checksum);
        transport.CopyTo(packet, headerLength);
        return packet;
    }

    /// <summary>RFC 1071: the one's complement of the one's complement sum of the 16-bit words, an odd octet padded with zero.</summary>
    public static ushort ReferenceChecksum(uint initial, ReadOnlySpan<byte> data)
    {
        var sum = initial;
        for (var i = 0; i < data.Length; i += 2)
            sum += (uint)(data[i] << 8 | (i + 1 < data.Length ? data[i + 1] : 0));
        while (sum > 0xFFFF)
            sum = (sum & 0xFFFF) + (sum >> 16);
        return unchecked((ushort)~sum);
    }

    public static uint PseudoHeaderSum(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, byte protocol, int length)
    {
        uint sum = 0;
        for (var i = 0; i < source.Length; i += 2)
            sum += (uint)(source[i] << 8 | source[i + 1]) + (uint)(destination[i] << 8 | destination[i + 1]);
        return sum + protocol + (uint)(length >> 16) + (uint)(length & 0xFFFF);
    }

    /// <summary>Whether the packet's IPv4 header checksum (if IPv4) and TCP or UDP checksum verify.</summary>
    public static bool ChecksumsValid(ReadOnlySpan<byte> packet)
    {
        var ipv6 = packet[0] >> 4 == 6;
        var headerLength = ipv6 ? 40 : (packet[0] & 0xF) * 4;
        if (!ipv6 && ReferenceChecksum(0, packet[..headerLength]) != 0)
            return false;
        var protocol = ipv6 ? packet[6] : packet[9];
        var source = ipv6 ? packet.Slice(8, 16) : packet.Slice(12, 4);
        var destination = ipv6 ? packet.Slice(24, 16) : packet.Slice(16, 4);
        var transport = packet[headerLength..];
        return ReferenceChecksum(PseudoHeaderSum(source, destination, protocol, transport.Length), transport) == 0;
    }

    /// <summary>A frame as the kernel hands it over: the header, then the packet with its checksum left partial (the pseudo-header sum).</summary>
    public static byte[] Frame(VirtioNetHeader header, byte[] packet, bool partialChecksum = true)
    {
        var frame = new byte[VirtioNetHeader.Size + packet.Length];
        header.Write(frame);
        packet.CopyTo(frame, VirtioNetHeader.Size);
        if (partialChecksum && (header.Flags & VirtioNetHeader.FlagNeedsChecksum) != 0 && header.ChecksumStart + header.ChecksumOffset + 2 <= packet.Length)
        {
            var p = frame.AsSpan(VirtioNetHeader.Size);
            var ipv6 = p[0] >> 4 == 6;
            var source = ipv6 ? p.Slice(8, 16) : p.Slice(12, 4);
            var destination = ipv6 ? p.Slice(24, 16) : p.Slice(16, 4);
            var protocol = ipv6 ? p[6] : p[9];
            var sum = PseudoHeaderSum(source, destination, protocol, p.Length - header.ChecksumStart);
            while (sum > 0xFFFF)
                sum = (sum & 0xFFFF) + (sum >> 16);
            BinaryPrimitives.WriteUInt16BigEndian(p[(header.ChecksumStart + header.ChecksumOffset)..], (ushort)sum);
        }
        return frame;
    }

    /// <summary>The header of a TSO super-packet of <paramref name="packet"/>: TCPV4 or TCPV6 by its version.</summary>
    public static VirtioNetHeader TsoHeader(byte[] packet, int gsoSize)
    {
        var ipv6 = packet[0] >> 4 == 6;
        var ipHeaderLength = ipv6 ? 40 : 20;
        var tcpHeaderLength = (packet[ipHeaderLength + 12] >> 4) * 4;
        return new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, ipv6 ? VirtioNetHeader.GsoTcpV6 : VirtioNetHeader.GsoTcpV4,
            (ushort)(ipHeaderLength + tcpHeaderLength), (ushort)gsoSize, (ushort)ipHeaderLength, VirtioNetHeader.TcpChecksumOffset);
    }
}
