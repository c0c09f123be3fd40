using System.Buffers.Binary;
using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Tun;
using static S2SEndpoint.Gateway.Tests.Tun.OffloadPackets;

namespace S2SEndpoint.Gateway.Tests.Tun;

/// <summary>
/// Splitting what a TUN queue with offload reads (Documentation/networking/segmentation-offloads.rst): every segment
/// equals, octet for octet, the packet written independently with the fields the kernel's tcp_gso_segment and
/// __udp_gso_segment give it; whole packets get their checksum completed; malformed frames give nothing.
/// </summary>
public sealed class TsoSegmenterTests
{
    private const int Mtu = 1500;

    private static PacketBuffer[] Buffers(int count = TunReadBatch.MaxSegments)
    {
        var buffers = new PacketBuffer[count];
        for (var i = 0; i < count; i++)
            buffers[i] = new PacketBuffer(Mtu + PacketBuffer.Headroom + PacketBuffer.Tailroom + TunReadBatch.Slack);
        return buffers;
    }

    public static TheoryData<bool, bool, bool, int, int> TcpCases() => new()
    {
        // ipv6, timestamps, don't fragment, payload, gso_size
        { false, false, false, 5000, 1400 },
        { false, true, true, 4200, 1388 },
        { true, false, false, 2800, 1400 },
        { true, true, false, 65535 - 20 - 12, 1348 },
        { false, false, true, 1000, 1400 },
        { false, true, false, 65535 - 40 - 12, 1024 },
    };

    [Theory]
    [MemberData(nameof(TcpCases))]
    public void TrySplit_TcpSuperPacket_GivesTheSegmentsTheKernelWould(bool ipv6, bool timestamps, bool dontFragment, int payloadLength, int gsoSize)
    {
        var payload = Payload(payloadLength);
        var super = new Tcp
        {
            Ipv6 = ipv6,
            Options = timestamps ? Timestamps : [],
            DontFragment = dontFragment,
            Identification = 0xFFFE,
            Sequence = 0xFFFFF000,
            Flags = Ack | Psh | Fin | Cwr,
            Payload = payload,
        };
        var frame = Frame(TsoHeader(super.Build(), gsoSize), super.Build());
        var buffers = Buffers();

        Assert.True(TsoSegmenter.TrySplit(frame, buffers, out var count, out var error), error.ToString());
        Assert.Equal(TunFrameError.None, error);
        var expectedCount = (payloadLength + gsoSize - 1) / gsoSize;
        Assert.Equal(expectedCount, count);
        for (var i = 0; i < count; i++)
        {
            var last = i == count - 1;
            var flags = (byte)(Ack | (last ? Psh | Fin : 0) | (i == 0 ? Cwr : 0));
            var expected = super with
            {
                Identification = unchecked((ushort)(0xFFFE + i)),
                Sequence = unchecked(0xFFFFF000 + (uint)(i * gsoSize)),
                Flags = flags,
                Payload = payload.AsSpan(i * gsoSize, Math.Min(gsoSize, payloadLength - i * gsoSize)).ToArray(),
            };
            var segment = buffers[i];
            Assert.Equal(PacketBuffer.Headroom, segment.Offset);
            Assert.True(segment.Length <= Mtu || gsoSize + 60 > Mtu);
            Assert.Equal(Convert.ToHexString(expected.Build()), Convert.ToHexString(segment.Data));
            Assert.True(ChecksumsValid(segment.Data));
        }
        Assert.True(count == 1 || payloadLength % gsoSize == 0 || buffers[count - 1].Length < buffers[0].Length);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TrySplit_UdpSuperPacket_GivesDatagramsOfGsoSize(bool ipv6)
    {
        var payload = Payload(3000, 3);
        var packet = Udp(ipv6, payload, identification: 7);
        var ipHeaderLength = ipv6 ? 40 : 20;
        var header = new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, VirtioNetHeader.GsoUdpL4, (ushort)(ipHeaderLength + 8), 1200,
            (ushort)ipHeaderLength, VirtioNetHeader.UdpChecksumOffset);
        var buffers = Buffers();

        Assert.True(TsoSegmenter.TrySplit(Frame(header, packet), buffers, out var count, out var error), error.ToString());
        Assert.Equal(3, count);
        for (var i = 0; i < count; i++)
        {
            var expected = Udp(ipv6, payload.AsSpan(i * 1200, Math.Min(1200, 3000 - i * 1200)).ToArray(), identification: (ushort)(7 + i));
            Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(buffers[i].Data));
        }
        Assert.Equal(ipHeaderLength + 8 + 600, buffers[2].Length);
    }

    [Theory]
    [InlineData(false, 6, 16)]
    [InlineData(true, 6, 16)]
    [InlineData(false, 17, 6)]
    [InlineData(true, 17, 6)]
    public void TrySplit_WholePacketNeedingChecksum_CompletesIt(bool ipv6, byte protocol, int checksumOffset)
    {
        var packet = protocol == 6 ? new Tcp { Ipv6 = ipv6, Payload = Payload(333) }.Build() : Udp(ipv6, Payload(333));
        var ipHeaderLength = ipv6 ? 40 : 20;
        var header = new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, VirtioNetHeader.GsoNone, 0, 0, (ushort)ipHeaderLength, (ushort)checksumOffset);
        var frame = Frame(header, packet);
        Assert.NotEqual(Convert.ToHexString(packet), Convert.ToHexString(frame.AsSpan(VirtioNetHeader.Size)));
        var buffers = Buffers(1);

        Assert.True(TsoSegmenter.TrySplit(frame, buffers, out var count, out _));
        Assert.Equal(1, count);
        Assert.Equal(Convert.ToHexString(packet), Convert.ToHexString(buffers[0].Data));
    }

    [Fact]
    public void TrySplit_WholePacketWithoutFlags_IsCopiedAsItIs()
    {
        var packet = new Tcp { Payload = Payload(100) }.Build();
        var buffers = Buffers(1);
        Assert.True(TsoSegmenter.TrySplit(Frame(default, packet), buffers, out var count, out _));
        Assert.Equal(1, count);
        Assert.Equal(packet, buffers[0].Data.ToArray());
    }

    public static TheoryData<string, TunFrameError> MalformedCases() => new()
    {
        { "shorter than a header", TunFrameError.Truncated },
        { "header alone", TunFrameError.Truncated },
        { "hdr_len beyond the packet", TunFrameError.BadHeaderLength },
        { "csum_start beyond a whole packet", TunFrameError.BadChecksumPosition },
        { "csum_offset beyond a whole packet", TunFrameError.BadChecksumPosition },
        { "csum_start not at TCP", TunFrameError.BadChecksumPosition },
        { "csum_offset not at TCP's checksum", TunFrameError.BadChecksumPosition },
        { "gso_size 0", TunFrameError.BadGsoSize },
        { "GSO without NEEDS_CSUM", TunFrameError.BadGsoSize },
        { "UFO", TunFrameError.UnknownGsoType },
        { "gso_type 2", TunFrameError.UnknownGsoType },
        { "gso_type 0x85", TunFrameError.UnknownGsoType },
        { "TCPV4 over IPv6", TunFrameError.BadIpHeader },
        { "TCPV6 over IPv4", TunFrameError.BadIpHeader },
        { "IPv4 total length beyond the frame", TunFrameError.BadIpHeader },
        { "IPv6 payload length short of the frame", TunFrameError.BadIpHeader },
        { "IPv4 fragment", TunFrameError.BadIpHeader },
        { "IPv4 header length 16", TunFrameError.BadIpHeader },
        { "version 5", TunFrameError.BadIpHeader },
        { "TCPV4 over UDP", TunFrameError.BadTransportHeader },
        { "TCP data offset 4", TunFrameError.BadTransportHeader },
        { "TCP header cut", TunFrameError.Truncated },
        { "headers but no payload", TunFrameError.Truncated },
        { "too many segments", TunFrameError.TooManySegments },
        { "segment beyond the buffer", TunFrameError.TooLarge },
        { "whole packet beyond the buffer", TunFrameError.TooLarge },
    };

    [Theory]
    [MemberData(nameof(MalformedCases))]
    public void TrySplit_MalformedFrame_GivesNoPacketsAndTheReason(string name, TunFrameError reason)
    {
        var frame = Malformed(name);
        var buffers = Buffers();
        Assert.False(TsoSegmenter.TrySplit(frame, buffers, out var count, out var error));
        Assert.Equal(0, count);
        Assert.Equal(reason, error);
    }

    [Fact]
    public void TrySplit_EveryOctetOfAFrameMutated_NeverThrows()
    {
        var good = Frame(TsoHeader(new Tcp { Options = Timestamps, Payload = Payload(4000) }.Build(), 1000),
            new Tcp { Options = Timestamps, Payload = Payload(4000) }.Build());
        var buffers = Buffers();
        var random = new Random(1);
        for (var round = 0; round < 20000; round++)
        {
            var frame = (byte[])good.Clone();
            for (var k = random.Next(1, 4); k > 0; k--)
                frame[random.Next(0, Math.Min(frame.Length, 90))] = (byte)random.Next(256);
            var length = random.Next(8) == 0 ? random.Next(frame.Length) : frame.Length;
            if (TsoSegmenter.TrySplit(frame.AsSpan(0, length), buffers, out var count, out _))
                Assert.InRange(count, 1, buffers.Length);
        }
    }

    private static byte[] Malformed(string name)
    {
        var tcp = new Tcp { Payload = Payload(3000) }.Build();
        var tcp6 = new Tcp { Ipv6 = true, Payload = Payload(3000) }.Build();
        var tso = TsoHeader(tcp, 1400);
        var small = new Tcp { Payload = Payload(100) }.Build();
        byte[] Tso(VirtioNetHeader header, byte[]? packet = null) => Frame(header, packet ?? tcp);
        byte[] Edited(Action<byte[]> edit)
        {
            var copy = (byte[])tcp.Clone();
            edit(copy);
            return Tso(tso, copy);
        }
        var whole = new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, 0, 0, 0, 20, 16);
        return name switch
        {
            "shorter than a header" => new byte[9],
            "header alone" => new byte[VirtioNetHeader.Size],
            "hdr_len beyond the packet" => Tso(tso with { HeaderLength = (ushort)(tcp.Length + 1) }),
            "csum_start beyond a whole packet" => Frame(whole with { ChecksumStart = (ushort)small.Length, ChecksumOffset = 0 }, small, false),
            "csum_offset beyond a whole packet" => Frame(whole with { ChecksumOffset = (ushort)(small.Length - 21) }, small, false),
            "csum_start not at TCP" => Tso(tso with { ChecksumStart = 24 }),
            "csum_offset not at TCP's checksum" => Tso(tso with { ChecksumOffset = 6 }),
            "gso_size 0" => Tso(tso with { GsoSize = 0 }),
            "GSO without NEEDS_CSUM" => Tso(tso with { Flags = 0 }),
            "UFO" => Tso(tso with { GsoType = VirtioNetHeader.GsoUdp }),
            "gso_type 2" => Tso(tso with { GsoType = 2 }),
            "gso_type 0x85" => Tso(tso with { GsoType = 0x85 }),
            "TCPV4 over IPv6" => Tso(tso, tcp6),
            "TCPV6 over IPv4" => Tso(tso with { GsoType = VirtioNetHeader.GsoTcpV6 }),
            "IPv4 total length beyond the frame" => Edited(p => BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), (ushort)(p.Length + 1))),
            "IPv6 payload length short of the frame" => Tso(TsoHeader(tcp6, 1400), Edit(tcp6, p => BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(4), 100))),
            "IPv4 fragment" => Edited(p => p[6] = 0x20),
            "IPv4 header length 16" => Edited(p => p[0] = 0x44),
            "version 5" => Edited(p => p[0] = 0x55),
            "TCPV4 over UDP" => Tso(tso, Udp(false, Payload(3000))),
            "TCP data offset 4" => Edited(p => p[32] = 0x40),
            "TCP header cut" => Tso(tso with { HeaderLength = 0 }, Edit(tcp[..30], p => BinaryPrimitives.WriteUInt16BigEndian(p.AsSpan(2), 30))),
            "headers but no payload" => Tso(tso with { HeaderLength = 40 }, new Tcp().Build()),
            "too many segments" => Tso(tso with { GsoSize = 46 }),
            "segment beyond the buffer" => Tso(tso with { GsoSize = 1600 }),
            "whole packet beyond the buffer" => Frame(default, new Tcp { Payload = Payload(Mtu + TunReadBatch.Slack) }.Build()),
            _ => throw new ArgumentException(name, nameof(name)),
        };
    }

    private static byte[] Edit(byte[] packet, Action<byte[]> edit)
    {
        var copy = (byte[])packet.Clone();
        edit(copy);
        return copy;
    }
}
