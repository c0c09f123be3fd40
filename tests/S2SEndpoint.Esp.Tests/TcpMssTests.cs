using System.Buffers.Binary;
using static S2SEndpoint.TestSupport.TcpSegments;

namespace S2SEndpoint.Esp.Tests;

/// <summary>
/// TCP MSS clamping (RFC 9293 3.2 and 3.7.1, RFC 6691) on inner packets: a SYN or SYN-ACK whose MSS option offers more
/// than the maximum gets the maximum, its checksum updated as RFC 1624 says and equal to a full computation done apart
/// (<see cref="TcpSegments"/>), every other octet as it was. Anything else is left as it came: no MSS option (none is
/// added), an MSS at or below the maximum, a segment without SYN, other protocols, later fragments, and option lists or
/// headers that are cut short or malformed, never read past the packet's end.
/// </summary>
public sealed class TcpMssTests
{
    private const ushort Maximum = 1350;

    private static byte[] Packet(bool ipv6, byte[] segment) =>
        ipv6 ? Ipv6("fd00:1::5", "fd00:2::7", segment) : Ipv4("10.1.0.5", "10.2.0.7", segment);

    /// <summary>Clamps a copy of <paramref name="packet"/> in a span of exactly its length (a read past it would throw).</summary>
    private static (bool Changed, ushort Previous, byte[] After) Clamp(byte[] packet, ushort maximum = Maximum)
    {
        var after = (byte[])packet.Clone();
        var changed = TcpMss.Clamp(after, maximum, out var previous);
        return (changed, previous, after);
    }

    /// <summary>The octets where <paramref name="after"/> differs from <paramref name="before"/>.</summary>
    private static int[] Changed(byte[] before, byte[] after) => [.. Enumerable.Range(0, before.Length).Where(i => before[i] != after[i])];

    /// <summary>
    /// <paramref name="after"/> carries <paramref name="maximum"/> in its MSS option and a checksum equal to the full
    /// computation, and differs from <paramref name="before"/> in no octet but those of the MSS value and the checksum.
    /// </summary>
    private static void AssertClampedTo(byte[] before, byte[] after, ushort maximum = Maximum)
    {
        Assert.Equal(maximum, Mss(after));
        Assert.Equal(ComputeChecksum(after), StoredChecksum(after));
        var checksum = TcpOffset(before) + 16;
        var mss = MssOffset(before);
        Assert.All(Changed(before, after), at => Assert.Contains(at, new[] { checksum, checksum + 1, mss, mss + 1 }));
    }

    // ---- clamped ----

    [Theory]
    [InlineData(false, Syn)]
    [InlineData(false, Syn | Ack)]
    [InlineData(true, Syn)]
    [InlineData(true, Syn | Ack)]
    public void Clamp_SynOrSynAckAboveTheMaximum_LowersIt_ChecksumEqualsAFullComputation(bool ipv6, byte flags)
    {
        var packet = Packet(ipv6, Tcp(LinuxSynOptions(1460), flags));

        var (changed, previous, after) = Clamp(packet);

        Assert.True(changed);
        Assert.Equal(1460, previous);
        AssertClampedTo(packet, after);
    }

    /// <summary>
    /// Every octet but the MSS value's two and the checksum's two stays as it was: IP header, ports, sequence numbers,
    /// window, SACK permitted, timestamps, NOP, window scale, and the data a SYN may carry (TCP Fast Open).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Clamp_OtherOptionsAndOctets_KeptOctetForOctet(bool ipv6)
    {
        var packet = Packet(ipv6, Tcp(LinuxSynOptions(8960), Syn, payload: 37));
        var tcp = TcpOffset(packet);

        var (changed, previous, after) = Clamp(packet);

        Assert.True(changed);
        Assert.Equal(8960, previous);
        Assert.Equal(tcp + 22, MssOffset(packet));
        Assert.Equal(packet.Length, after.Length);
        AssertClampedTo(packet, after);
    }

    /// <summary>
    /// The MSS option anywhere in the list, also astride two 16-bit words behind a lone NOP (RFC 9293 3.2: "receivers
    /// MUST be prepared to process options even if they do not begin on a word boundary (MUST-64)").
    /// </summary>
    [Theory]
    [InlineData("020405b4")]                                  // alone
    [InlineData("01020405b4010100")]                          // behind one NOP: the value at an odd offset
    [InlineData("0101020405b40100")]                          // behind two NOPs
    [InlineData("010101020405b400")]                          // behind three NOPs: odd again
    [InlineData("0402080a123456780000000001030307020405b4")]  // last, behind SACK permitted, timestamps and window scale
    [InlineData("0303070402020405b4000000")]                  // behind window scale and SACK permitted, EOL after it
    [InlineData("020405b401010101")]                          // NOPs to the end of the header
    public void Clamp_MssAnywhereInTheList_LowersIt_ChecksumEqualsAFullComputation(string options)
    {
        foreach (var ipv6 in new[] { false, true })
        {
            var packet = Packet(ipv6, Tcp(Convert.FromHexString(options)));

            var (changed, previous, after) = Clamp(packet);

            Assert.True(changed);
            Assert.Equal(1460, previous);
            AssertClampedTo(packet, after);
        }
    }

    /// <summary>
    /// Many MSS values, maxima, alignments and payloads (a seeded run): the incremental checksum always equals the full
    /// computation, also where one's complement arithmetic has two zeros (RFC 1624 3).
    /// </summary>
    [Fact]
    public void Clamp_ManyValuesAndAlignments_ChecksumAlwaysEqualsAFullComputation()
    {
        var random = new Random(1624);
        for (var i = 0; i < 4000; i++)
        {
            var nops = random.Next(4);
            var mss = (ushort)random.Next(2, 65536);
            var maximum = (ushort)random.Next(1, mss);
            var options = new byte[8];
            options.AsSpan(0, nops).Fill(1);
            options[nops] = 2;
            options[nops + 1] = 4;
            BinaryPrimitives.WriteUInt16BigEndian(options.AsSpan(nops + 2), mss);
            var segment = Tcp(options, Syn, payload: random.Next(3));
            random.NextBytes(segment.AsSpan(4, 8));
            var packet = Packet(i % 2 == 1, segment);

            var (changed, previous, after) = Clamp(packet, maximum);

            Assert.True(changed);
            Assert.Equal(mss, previous);
            AssertClampedTo(packet, after, maximum);
        }
    }

    [Fact]
    public void Clamp_Ipv4WithOptions_FindsTheTcpHeaderBehindThem()
    {
        // IHL 7: a NOP, a Record Route option of 7 octets, EOL (RFC 791 3.1).
        var packet = Ipv4("10.1.0.5", "10.2.0.7", Tcp(LinuxSynOptions(1460)), ipOptions: [1, 7, 7, 4, 0, 0, 0, 0]);
        Assert.Equal(28, TcpOffset(packet));

        var (changed, _, after) = Clamp(packet);

        Assert.True(changed);
        AssertClampedTo(packet, after);
    }

    [Theory]
    [InlineData(new byte[] { 0 })]          // hop-by-hop options
    [InlineData(new byte[] { 43 })]         // routing
    [InlineData(new byte[] { 60 })]         // destination options
    [InlineData(new byte[] { 0, 60, 43, 60 })]
    public void Clamp_Ipv6BehindExtensionHeaders_LowersIt(byte[] extensions)
    {
        var packet = Ipv6("fd00:1::5", "fd00:2::7", Tcp(LinuxSynOptions(1440), Syn | Ack), extensions);

        var (changed, previous, after) = Clamp(packet);

        Assert.True(changed);
        Assert.Equal(1440, previous);
        AssertClampedTo(packet, after);
    }

    /// <summary>The first fragment carries the TCP header; the delta is right for the reassembled segment.</summary>
    [Fact]
    public void Clamp_FirstIpv4Fragment_LowersIt()
    {
        var packet = Ipv4("10.1.0.5", "10.2.0.7", Tcp(LinuxSynOptions(1460), Syn, payload: 24), fragment: 0x2000);

        var (changed, _, after) = Clamp(packet);

        Assert.True(changed);
        AssertClampedTo(packet, after);
    }

    /// <summary>Each MSS option above the maximum is lowered, so that a receiver reads the maximum whichever it takes.</summary>
    [Fact]
    public void Clamp_TwoMssOptions_LowersBoth()
    {
        var packet = Packet(false, Tcp(Convert.FromHexString("020405b40102040fa0000000")));

        var (changed, previous, after) = Clamp(packet);

        Assert.True(changed);
        Assert.Equal(1460, previous);
        Assert.Equal(Maximum, BinaryPrimitives.ReadUInt16BigEndian(after.AsSpan(20 + 22)));
        Assert.Equal(Maximum, BinaryPrimitives.ReadUInt16BigEndian(after.AsSpan(20 + 27)));
        Assert.Equal(ComputeChecksum(after), StoredChecksum(after));
        Assert.All(Changed(packet, after), at => Assert.Contains(at, new[] { 20 + 16, 20 + 17, 20 + 22, 20 + 23, 20 + 27, 20 + 28 }));
    }

    /// <summary>TFC padding after the inner packet (RFC 4303 2.7) is not the packet's: the clamp stops at the IP length.</summary>
    [Fact]
    public void Clamp_OctetsAfterThePacket_AreNeitherReadNorWritten()
    {
        var packet = Packet(false, Tcp(LinuxSynOptions(1460)));
        var padded = new byte[packet.Length + 16];
        packet.CopyTo(padded, 0);
        padded.AsSpan(packet.Length).Fill(0xEE);

        Assert.True(TcpMss.Clamp(padded, Maximum, out _));

        Assert.All(padded.AsSpan(packet.Length).ToArray(), b => Assert.Equal(0xEE, b));
        Assert.Equal(Maximum, Mss(padded));
    }

    // ---- left as they came ----

    public static TheoryData<string, byte[]> LeftAlone()
    {
        var data = new TheoryData<string, byte[]>
        {
            { "MSS equal to the maximum", Packet(false, Tcp(LinuxSynOptions(Maximum))) },
            { "MSS below the maximum", Packet(true, Tcp(LinuxSynOptions(1220))) },
            { "SYN without an MSS option: none is added", Packet(false, Tcp(Convert.FromHexString("0402080a12345678000000000103030700"))) },
            { "SYN without options", Packet(true, Tcp([])) },
            { "ACK carrying an MSS option", Packet(false, Tcp(LinuxSynOptions(1460), Ack)) },
            { "FIN-ACK carrying an MSS option", Packet(true, Tcp(LinuxSynOptions(1460), Fin | Ack)) },
            { "RST carrying an MSS option", Packet(false, Tcp(LinuxSynOptions(1460), Rst)) },
            { "MSS after End of Option List", Packet(false, Tcp(Convert.FromHexString("01000000020405b4"))) },
            { "UDP", Ipv4("10.1.0.5", "10.2.0.7", Tcp(LinuxSynOptions(1460)), protocol: 17) },
            { "ICMP", Ipv4("10.1.0.5", "10.2.0.7", Tcp(LinuxSynOptions(1460)), protocol: 1) },
            { "later IPv4 fragment", Ipv4("10.1.0.5", "10.2.0.7", Tcp(LinuxSynOptions(1460)), fragment: 185) },
            { "later IPv4 fragment, the last", Ipv4("10.1.0.5", "10.2.0.7", Tcp(LinuxSynOptions(1460)), fragment: 0x2000 | 185) },
            { "IPv6 first fragment", Ipv6("fd00:1::5", "fd00:2::7", Tcp(LinuxSynOptions(1460)), [44], fragment: 1) },
            { "IPv6 atomic fragment", Ipv6("fd00:1::5", "fd00:2::7", Tcp(LinuxSynOptions(1460)), [0, 44]) },
            { "IPv6 later fragment", Ipv6("fd00:1::5", "fd00:2::7", Tcp(LinuxSynOptions(1460)), [44], fragment: 8 << 3) },
            { "IPv6 with AH: its ICV covers the option", Ipv6("fd00:1::5", "fd00:2::7", Tcp(LinuxSynOptions(1460)), [51]) },
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(LeftAlone))]
    public void Clamp_NothingToLower_LeavesThePacketAsItCame(string what, byte[] packet)
    {
        var (changed, previous, after) = Clamp(packet);

        Assert.False(changed, what);
        Assert.Equal(0, previous);
        Assert.Equal(packet, after);
    }

    /// <summary>
    /// RFC 9293 3.1: "TCP implementations MUST be prepared to handle an illegal option length (e.g., zero)". A list that
    /// is not well formed is left whole, the MSS option before the fault too: the clamp reads the list before it writes.
    /// </summary>
    [Theory]
    [InlineData("020405b4 08000000", "an option of length 0")]
    [InlineData("020405b4 08010000", "an option of length 1")]
    [InlineData("020405b4 080a0000", "an option running past the header")]
    [InlineData("020305b4", "an MSS option of length 3")]
    [InlineData("020505b4 00000000", "an MSS option of length 5")]
    [InlineData("020405b4 010101 08", "a kind without its length at the header's end")]
    [InlineData("010101010101 0204", "an MSS option cut by the header's end")]
    public void Clamp_MalformedOptionList_LeavesThePacketAsItCame(string options, string what)
    {
        foreach (var ipv6 in new[] { false, true })
        {
            var packet = Packet(ipv6, Tcp(Convert.FromHexString(options.Replace(" ", "", StringComparison.Ordinal))));

            var (changed, previous, after) = Clamp(packet);

            Assert.False(changed, what);
            Assert.Equal(0, previous);
            Assert.Equal(packet, after);
        }
    }

    /// <summary>Headers that claim more than there is: nothing is read past the packet, nothing changes.</summary>
    [Theory]
    [InlineData("data offset under 5")]
    [InlineData("data offset past the packet")]
    [InlineData("TCP header cut by the IP length")]
    [InlineData("IP length past the buffer")]
    [InlineData("IPv6 extension header past the packet")]
    [InlineData("IPv4 header only")]
    [InlineData("not IP")]
    public void Clamp_HeadersCutShortOrOverlong_LeaveThePacketAsItCame(string what)
    {
        var packet = Packet(false, Tcp(LinuxSynOptions(1460)));
        switch (what)
        {
            case "data offset under 5":
                packet[20 + 12] = 4 << 4;
                break;
            case "data offset past the packet":
                packet = Packet(false, Tcp(LinuxSynOptions(1460)))[..(20 + 36)];
                BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
                break;
            case "TCP header cut by the IP length":
                BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), 20 + 19);
                break;
            case "IP length past the buffer":
                BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)(packet.Length + 1));
                break;
            case "IPv6 extension header past the packet":
                packet = Ipv6("fd00:1::5", "fd00:2::7", Tcp(LinuxSynOptions(1460)), [60]);
                packet[40 + 1] = 200;
                break;
            case "IPv4 header only":
                packet = packet[..20];
                BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), 20);
                break;
            default:
                packet[0] = 0x55;
                break;
        }

        var (changed, _, after) = Clamp(packet);

        Assert.False(changed, what);
        Assert.Equal(packet, after);
    }

    [Fact]
    public void Clamp_EmptySpan_IsFalse() => Assert.False(TcpMss.Clamp([], Maximum, out _));

    [Fact]
    public void Clamp_MaximumZero_IsACallerBug() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => TcpMss.Clamp(Packet(false, Tcp(LinuxSynOptions(1460))), 0, out _));

    /// <summary>
    /// Random mutations of the TCP header, options and data, and packets cut anywhere (a seeded run): nothing throws or
    /// reads past the span (exactly the packet's length); a packet that changes differs only in the checksum and the
    /// value octets of MSS options, and a checksum that was right before is right after.
    /// </summary>
    [Fact]
    public void Clamp_RandomAndMutatedPackets_NeverThrow_ChangeOnlyMssAndChecksum()
    {
        var random = new Random(9293);
        for (var i = 0; i < 20000; i++)
        {
            var packet = Packet(i % 2 == 1, Tcp(LinuxSynOptions((ushort)random.Next(65536)), Syn, payload: random.Next(4)));
            var tcp = TcpOffset(packet);
            for (var flips = random.Next(1, 4); flips > 0; flips--)
                packet[tcp + 12 + random.Next(packet.Length - tcp - 12)] = (byte)random.Next(256);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(tcp + 16), ComputeChecksum(packet));
            if (i % 5 == 0)
                packet = packet[..random.Next(packet.Length)];
            var before = (byte[])packet.Clone();

            var changed = TcpMss.Clamp(packet, (ushort)random.Next(1, 65536), out _);

            if (!changed)
            {
                Assert.Equal(before, packet);
                continue;
            }
            foreach (var at in Changed(before, packet))
                Assert.True(at == tcp + 16 || at == tcp + 17 || (at >= tcp + 22 && (before[at - 2] == 2 || before[at - 3] == 2)), $"octet {at} changed");
            Assert.Equal(ComputeChecksum(packet), StoredChecksum(packet));
        }
    }

    /// <summary>The clamp allocates nothing: thousands of SYNs through one buffer leave the allocation counter where it was.</summary>
    [Fact]
    public void Clamp_AfterWarmUp_AllocatesNothing()
    {
        var v4 = Packet(false, Tcp(LinuxSynOptions(1460)));
        var v6 = Ipv6("fd00:1::5", "fd00:2::7", Tcp(LinuxSynOptions(1440)), [0, 60]);
        var buffer = new byte[v6.Length];

        void Clamps(int count)
        {
            for (var i = 0; i < count; i++)
            {
                var packet = i % 2 == 0 ? v4 : v6;
                packet.CopyTo(buffer, 0);
                if (!TcpMss.Clamp(buffer.AsSpan(0, packet.Length), Maximum, out _))
                    Assert.Fail($"clamp {i} changed nothing");
            }
        }

        Clamps(300);
        // Up to three rounds: the runtime may allocate once while it recompiles a hot method (tiering), not per packet.
        var rounds = new List<long>();
        for (var round = 0; round < 3 && (rounds.Count == 0 || rounds[^1] != 0); round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            Clamps(5000);
            rounds.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.True(rounds[^1] == 0, $"allocated {string.Join(", ", rounds)} bytes in rounds of 5000 clamps");
    }
}
