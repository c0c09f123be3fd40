using System.Buffers.Binary;
using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Tun;
using static S2SEndpoint.Gateway.Tests.Tun.OffloadPackets;

namespace S2SEndpoint.Gateway.Tests.Tun;

/// <summary>
/// Coalescing what Inbound decrypted into super-packets for a TUN queue with offload: runs of one flow become one frame
/// whose virtio-net header and IP and TCP fields are what the kernel expects, and which the segmenter splits back into
/// the same segments octet for octet; every field that may not differ within a run breaks it; flows keep their order.
/// </summary>
public sealed class TcpCoalescerTests
{
    private const int Mss = 1400;

    /// <summary>Segments of one flow as a sender's TSO would cut them: consecutive sequence numbers and Identifications.</summary>
    private static List<Tcp> Run(int count, bool ipv6 = false, byte[]? options = null, bool dontFragment = false, int lastPayload = Mss,
        bool lastPush = false, uint sequence = 0xFFFFF000, ushort identification = 0xFFFE)
    {
        var segments = new List<Tcp>();
        for (var i = 0; i < count; i++)
        {
            var last = i == count - 1;
            segments.Add(new Tcp
            {
                Ipv6 = ipv6,
                Options = options ?? [],
                DontFragment = dontFragment,
                Sequence = sequence,
                Identification = unchecked((ushort)(identification + i)),
                Flags = (byte)(Ack | (last && lastPush ? Psh : 0)),
                Payload = Payload(last ? lastPayload : Mss, i),
            });
            sequence = unchecked(sequence + (uint)(last ? lastPayload : Mss));
        }
        return segments;
    }

    private static PacketBuffer Buffer(byte[] packet)
    {
        var buffer = new PacketBuffer(PacketBuffer.Headroom + Math.Max(packet.Length, 20) + PacketBuffer.Tailroom);
        buffer.Load(packet);
        return buffer;
    }

    private static TcpCoalescer Queue(IEnumerable<byte[]> packets, int capacity = 64)
    {
        var coalescer = new TcpCoalescer(capacity);
        foreach (var packet in packets)
        {
            var buffer = Buffer(packet);
            coalescer.Add(buffer.Array, buffer.Offset, buffer.Length);
        }
        return coalescer;
    }

    /// <summary>The packets the frames give back: the segmenter's for a super-packet, the packet after the header for the rest.</summary>
    private static List<byte[]> Unframe(TcpCoalescer coalescer, int frames, List<int>? segmentsPerFrame = null)
    {
        var packets = new List<byte[]>();
        var buffers = new PacketBuffer[TunReadBatch.MaxSegments * 4];
        for (var i = 0; i < buffers.Length; i++)
            buffers[i] = new PacketBuffer(2048);
        for (var f = 0; f < frames; f++)
        {
            var frame = coalescer.BuildFrame(f).ToArray();
            Assert.True(TsoSegmenter.TrySplit(frame, buffers, out var count, out var error), error.ToString());
            Assert.Equal(coalescer.Segments(f), count);
            segmentsPerFrame?.Add(count);
            for (var i = 0; i < count; i++)
                packets.Add(buffers[i].Data.ToArray());
        }
        return packets;
    }

    public static TheoryData<bool, bool, bool, int, bool> RunCases() => new()
    {
        // ipv6, timestamps, don't fragment, last payload, PSH on the last
        { false, false, false, Mss, false },
        { false, true, true, 600, true },
        { true, false, false, 1, true },
        { true, true, false, Mss, false },
    };

    [Theory]
    [MemberData(nameof(RunCases))]
    public void Group_RunOfOneFlow_BecomesOneSuperPacket_ThatSplitsBackIntoTheSameSegments(bool ipv6, bool timestamps, bool dontFragment, int lastPayload, bool lastPush)
    {
        var run = Run(6, ipv6, timestamps ? Timestamps : null, dontFragment, lastPayload, lastPush);
        var packets = run.Select(s => s.Build()).ToList();
        var coalescer = Queue(packets);

        Assert.Equal(1, coalescer.Group());
        Assert.Equal(6, coalescer.Segments(0));
        var frame = coalescer.BuildFrame(0).ToArray();
        Assert.True(VirtioNetHeader.TryRead(frame, out var header));
        var ipHeaderLength = ipv6 ? 40 : 20;
        var tcpHeaderLength = 20 + (timestamps ? 12 : 0);
        var payload = 5 * Mss + lastPayload;
        Assert.Equal(new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, ipv6 ? VirtioNetHeader.GsoTcpV6 : VirtioNetHeader.GsoTcpV4,
            (ushort)(ipHeaderLength + tcpHeaderLength), Mss, (ushort)ipHeaderLength, 16), header);

        var super = frame.AsSpan(VirtioNetHeader.Size);
        Assert.Equal(ipHeaderLength + tcpHeaderLength + payload, super.Length);
        if (ipv6)
        {
            Assert.Equal(tcpHeaderLength + payload, BinaryPrimitives.ReadUInt16BigEndian(super[4..]));
        }
        else
        {
            Assert.Equal(super.Length, BinaryPrimitives.ReadUInt16BigEndian(super[2..]));
            Assert.Equal(0, ReferenceChecksum(0, super[..20]));
            Assert.Equal(0xFFFE, BinaryPrimitives.ReadUInt16BigEndian(super[4..]));
        }
        var tcp = super[ipHeaderLength..];
        Assert.Equal(0xFFFFF000u, BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]));
        Assert.Equal(lastPush ? Ack | Psh : Ack, tcp[13]);
        var pseudo = PseudoHeaderSum(ipv6 ? super.Slice(8, 16) : super.Slice(12, 4), ipv6 ? super.Slice(24, 16) : super.Slice(16, 4), 6, tcp.Length);
        while (pseudo > 0xFFFF)
            pseudo = (pseudo & 0xFFFF) + (pseudo >> 16);
        Assert.Equal(pseudo, BinaryPrimitives.ReadUInt16BigEndian(tcp[16..]));
        for (var i = 0; i < 6; i++)
            Assert.Equal(run[i].Payload, tcp.Slice(tcpHeaderLength + i * Mss, run[i].Payload.Length).ToArray());

        var back = Unframe(coalescer, 1);
        Assert.Equal(packets.Select(Convert.ToHexString), back.Select(Convert.ToHexString));
    }

    public static TheoryData<string, int[]> BreakCases() => new()
    {
        { "sequence gap", [2, 1, 2] },
        { "SYN", [2, 1, 2] },
        { "FIN", [2, 1, 2] },
        { "RST", [2, 1, 2] },
        { "URG", [2, 1, 2] },
        { "ECE", [2, 1, 2] },
        { "no payload", [2, 1, 2] },
        { "other options", [2, 1, 2] },
        { "other header length", [2, 1, 2] },
        { "other acknowledgment", [2, 1, 2] },
        { "other window", [2, 1, 2] },
        { "other TTL", [2, 1, 2] },
        { "other TOS", [2, 1, 2] },
        { "Identification skips", [2, 1, 2] },
        { "short segment", [2, 3] },
        { "PSH", [2, 3] },
        { "larger segment", [2, 1, 2] },
        { "IP options", [2, 1, 2] },
        { "IPv6 extension header", [2, 1, 2] },
        { "garbage", [2, 1, 2] },
        { "bad TCP checksum", [2, 1, 2] },
        { "bad IPv4 header checksum", [2, 1, 2] },
        { "other flow", [5, 1] },
        { "UDP", [5, 1] },
        { "IPv6 flow", [5, 1] },
    };

    [Theory]
    [MemberData(nameof(BreakCases))]
    public void Group_APacketThatCannotJoin_BreaksTheRun_AndEveryFlowKeepsItsOrder(string name, int[] expected)
    {
        // With DF the Identification may be anything (RFC 6864 4.1); without, it must follow on, as it does not here
        // once the third packet is another flow's.
        var run = Run(5, dontFragment: name != "Identification skips");
        var packets = run.Select(s => s.Build()).ToList();
        var third = run[2];
        var other = name switch
        {
            "sequence gap" => (third with { Sequence = third.Sequence + 1 }).Build(),
            "SYN" => (third with { Flags = Ack | Syn }).Build(),
            "FIN" => (third with { Flags = Ack | Fin }).Build(),
            "RST" => (third with { Flags = Ack | Rst }).Build(),
            "URG" => (third with { Flags = Ack | Urg }).Build(),
            "ECE" => (third with { Flags = Ack | Ece }).Build(),
            "no payload" => (third with { Payload = [] }).Build(),
            "other options" => (third with { Options = [1, 1, 1, 1] }).Build(),
            "other header length" => (third with { Options = Timestamps }).Build(),
            "other acknowledgment" => (third with { Acknowledgment = 1 }).Build(),
            "other window" => (third with { Window = 1 }).Build(),
            "other TTL" => (third with { Ttl = 63 }).Build(),
            "other TOS" => (third with { TrafficClass = 0x10 }).Build(),
            "Identification skips" => (third with { Identification = 7 }).Build(),
            "short segment" => ShortSecond(run, packets),
            "PSH" => PushSecond(run, packets),
            "larger segment" => (third with { Payload = Payload(Mss + 1) }).Build(),
            "IP options" => WithIpOptions(packets[2]),
            "IPv6 extension header" => Ipv6WithHopByHop(),
            "garbage" => [0x00, 0x01, 0x02],
            "bad TCP checksum" => Corrupt(packets[2], packets[2].Length - 1),
            "bad IPv4 header checksum" => Corrupt(packets[2], 10),
            "other flow" => (third with { SourcePort = 40002 }).Build(),
            "UDP" => Udp(false, Payload(100)),
            "IPv6 flow" => (third with { Ipv6 = true }).Build(),
            _ => throw new ArgumentException(name, nameof(name)),
        };
        // Another flow's packet comes between two of the run; anything else of this flow takes the third's place.
        if (name is "other flow" or "UDP" or "IPv6 flow")
            packets.Insert(2, other);
        else
            packets[2] = other;
        var coalescer = Queue(packets);

        var frames = coalescer.Group();
        var counts = new List<int>();
        for (var f = 0; f < frames; f++)
            counts.Add(coalescer.Segments(f));
        Assert.Equal(expected, counts);
        var back = Unframe(coalescer, frames);
        Assert.Equal(packets.Count, back.Count);
        foreach (var flow in packets.Select(FlowOf).Distinct())
        {
            Assert.Equal(packets.Where(p => FlowOf(p) == flow).Select(Convert.ToHexString),
                back.Where(p => FlowOf(p) == flow).Select(Convert.ToHexString));
        }
    }

    [Fact]
    public void Group_OnePacket_IsWrittenInPlaceBehindAZeroedHeader()
    {
        var packet = Run(1)[0].Build();
        var buffer = Buffer(packet);
        buffer.Array.AsSpan(0, buffer.Offset).Fill(0xAA);
        var coalescer = new TcpCoalescer(4);
        coalescer.Add(buffer.Array, buffer.Offset, buffer.Length);

        Assert.Equal(1, coalescer.Group());
        var frame = coalescer.BuildFrame(0);
        Assert.Equal(VirtioNetHeader.Size + packet.Length, frame.Length);
        Assert.True(frame.Overlaps(buffer.Array.AsSpan(buffer.Offset - VirtioNetHeader.Size, frame.Length), out var at) && at == 0);
        Assert.True(frame[..VirtioNetHeader.Size].IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal(packet, frame[VirtioNetHeader.Size..].ToArray());
        Assert.Equal(0xAA, buffer.Array[buffer.Offset - VirtioNetHeader.Size - 1]);
    }

    [Fact]
    public void Group_PacketWithoutRoomForTheHeader_IsCopied()
    {
        var packet = Udp(false, Payload(50));
        var coalescer = new TcpCoalescer(4);
        coalescer.Add(packet, 0, packet.Length);
        Assert.Equal(1, coalescer.Group());
        var frame = coalescer.BuildFrame(0);
        Assert.Equal(new byte[VirtioNetHeader.Size], frame[..VirtioNetHeader.Size].ToArray());
        Assert.Equal(packet, frame[VirtioNetHeader.Size..].ToArray());
    }

    [Fact]
    public void Group_BatchBeyondItsCapacity_GrowsAndStopsEachSuperPacketAt65535()
    {
        var run = new List<byte[]>();
        var sequence = 1u;
        for (var i = 0; i < 200; i++)
        {
            run.Add(new Tcp { Sequence = sequence, Identification = (ushort)i, Payload = Payload(500, i) }.Build());
            sequence += 500;
        }
        var coalescer = Queue(run, capacity: 128);

        var frames = coalescer.Group();
        Assert.Equal(2, frames);
        // 130 segments of 500 fit one IPv4 Total Length (20 + 20 + 65000 octets); 131 would not.
        Assert.Equal(130, coalescer.Segments(0));
        Assert.Equal(70, coalescer.Segments(1));
        Assert.Equal(VirtioNetHeader.Size + 40 + 130 * 500, coalescer.BuildFrame(0).Length);
        Assert.Equal(run.Select(Convert.ToHexString), Unframe(coalescer, frames).Select(Convert.ToHexString));
    }

    [Fact]
    public void Group_InterleavedFlows_CoalesceEachOnItsOwn()
    {
        var a = Run(4).Select(s => s.Build()).ToList();
        var b = Run(4, sequence: 5).Select(s => (s with { DestinationPort = 6000 }).Build()).ToList();
        var c = Run(4, ipv6: true).Select(s => s.Build()).ToList();
        var packets = new List<byte[]>();
        for (var i = 0; i < 4; i++)
            packets.AddRange([a[i], b[i], c[i]]);
        var coalescer = Queue(packets);

        Assert.Equal(3, coalescer.Group());
        Assert.Equal([4, 4, 4], new[] { coalescer.Segments(0), coalescer.Segments(1), coalescer.Segments(2) });
        Assert.Equal(a.Concat(b).Concat(c).Select(Convert.ToHexString), Unframe(coalescer, 3).Select(Convert.ToHexString));
    }

    [Fact]
    public void Group_RandomPackets_NeverThrow()
    {
        var random = new Random(2);
        var good = Run(3, options: Timestamps).Select(s => s.Build()).ToList();
        var coalescer = new TcpCoalescer(8);
        var buffers = new List<PacketBuffer>();
        for (var round = 0; round < 3000; round++)
        {
            coalescer.Clear();
            buffers.Clear();
            for (var i = 0; i < 6; i++)
            {
                var packet = (byte[])good[random.Next(good.Count)].Clone();
                for (var k = random.Next(0, 4); k > 0; k--)
                    packet[random.Next(0, 80)] = (byte)random.Next(256);
                var buffer = Buffer(packet[..random.Next(packet.Length / 2, packet.Length + 1)]);
                buffers.Add(buffer);
                coalescer.Add(buffer.Array, buffer.Offset, buffer.Length);
            }
            var frames = coalescer.Group();
            for (var f = 0; f < frames; f++)
                _ = coalescer.BuildFrame(f).Length;
        }
    }

    private static string FlowOf(byte[] packet) =>
        packet.Length < 20 ? "garbage" : packet[0] >> 4 == 6 ? "6:" + Convert.ToHexString(packet, 8, 32) + packet[6]
            : "4:" + Convert.ToHexString(packet, 12, 8) + packet[9] + (packet[9] == 6 ? Convert.ToHexString(packet, 20, 4) : "");

    /// <summary>The second segment short: the run ends there, and the rest starts after it.</summary>
    /// <summary>A copy of <paramref name="packet"/> with one octet changed: its TCP or IPv4 header checksum no longer adds up.</summary>
    private static byte[] Corrupt(byte[] packet, int at)
    {
        var copy = (byte[])packet.Clone();
        copy[at] ^= 0x01;
        return copy;
    }

    private static byte[] ShortSecond(List<Tcp> run, List<byte[]> packets)
    {
        var sequence = run[1].Sequence;
        packets[1] = (run[1] with { Payload = Payload(700) }).Build();
        sequence = unchecked(sequence + 700);
        for (var i = 3; i < run.Count; i++)
            packets[i] = (run[i] with { Sequence = unchecked(sequence + (uint)((i - 2) * Mss)) }).Build();
        return (run[2] with { Sequence = sequence }).Build();
    }

    private static byte[] PushSecond(List<Tcp> run, List<byte[]> packets)
    {
        packets[1] = (run[1] with { Flags = Ack | Psh }).Build();
        return run[2].Build();
    }

    /// <summary>The packet with a 4-octet IPv4 option (NOP, NOP, NOP, End of Options List) and fixed lengths and checksum.</summary>
    private static byte[] WithIpOptions(byte[] packet)
    {
        var longer = new byte[packet.Length + 4];
        packet.AsSpan(0, 20).CopyTo(longer);
        longer[0] = 0x46;
        longer[20] = longer[21] = longer[22] = 1;
        packet.AsSpan(20).CopyTo(longer.AsSpan(24));
        BinaryPrimitives.WriteUInt16BigEndian(longer.AsSpan(2), (ushort)longer.Length);
        BinaryPrimitives.WriteUInt16BigEndian(longer.AsSpan(10), 0);
        BinaryPrimitives.WriteUInt16BigEndian(longer.AsSpan(10), ReferenceChecksum(0, longer.AsSpan(0, 24)));
        return longer;
    }

    private static byte[] Ipv6WithHopByHop()
    {
        var packet = new Tcp { Ipv6 = true, Payload = Payload(10) }.Build();
        var longer = new byte[packet.Length + 8];
        packet.AsSpan(0, 40).CopyTo(longer);
        longer[6] = IpProtocol.HopByHop;
        longer[40] = IpProtocol.Tcp;
        packet.AsSpan(40).CopyTo(longer.AsSpan(48));
        BinaryPrimitives.WriteUInt16BigEndian(longer.AsSpan(4), (ushort)(longer.Length - 40));
        return longer;
    }
}
