using System.Buffers.Binary;
using S2SEndpoint.Esp.Tests.Support;
using S2SEndpoint.Esp.Transforms;

namespace S2SEndpoint.Esp.Tests;

/// <summary>
/// The outbound path: router handling of the inner packet, room, padding, sequence numbers, and the outer headers it
/// writes.
/// </summary>
public sealed class OutboundTests
{
    [Theory]
    [InlineData(false, (byte)1)]
    [InlineData(false, (byte)0)]
    [InlineData(true, (byte)1)]
    [InlineData(true, (byte)0)]
    public void Seal_InnerTtlOrHopLimitOfOneOrLess_DropsAsHopLimitExceeded(bool ipv6, byte ttl)
    {
        using var pair = SaPair.Create("aes256gcm16");
        var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
        var inner = TestPackets.Udp(ipv6, 100, ttl: ttl);
        buffer.Load(inner);

        Assert.Equal(DropReason.HopLimitExceeded, Outbound.Seal(pair.Outbound, buffer));

        Assert.Equal(inner, buffer.Data.ToArray());
        Assert.Equal(1, pair.Outbound.Drops.Count(DropReason.HopLimitExceeded));
        Assert.Equal(0UL, pair.Outbound.LastSequenceNumber);
    }

    [Theory]
    [InlineData((byte)2)]
    [InlineData((byte)64)]
    [InlineData((byte)255)]
    public void Seal_Ipv4Inner_DecrementsTheTtlAndKeepsTheHeaderChecksumValid(byte ttl)
    {
        using var pair = SaPair.Create("aes256gcm16");
        var inner = TestPackets.Udp(false, 100, ttl: ttl, trafficClass: 0x2e, dontFragment: true);

        var (reason, opened) = pair.Open(pair.Seal(inner));

        Assert.Equal(DropReason.None, reason);
        Assert.Equal(ttl - 1, opened[8]);
        Assert.Equal(0, Checksum.Compute(opened.AsSpan(0, 20)));
        Assert.Equal(TestPackets.Forwarded(inner), opened);
    }

    [Fact]
    public void Seal_WithDecrementingOff_LeavesTheInnerPacketAsItWas()
    {
        using var pair = SaPair.Create("aes256gcm16", decrementInnerHopLimit: false);
        var inner = TestPackets.Udp(false, 100, ttl: 1);

        var (reason, opened) = pair.Open(pair.Seal(inner));

        Assert.Equal(DropReason.None, reason);
        Assert.Equal(inner, opened);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Seal_WithoutHeadroomOrTailroom_DropsAsNoRoom(bool atTheStart)
    {
        using var pair = SaPair.Create("aes256-sha512");
        var inner = TestPackets.Udp(false, 300);
        var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
        buffer.Load(inner, atTheStart ? 0 : buffer.Capacity - inner.Length);

        Assert.Equal(DropReason.NoRoom, Outbound.Seal(pair.Outbound, buffer));
        Assert.Equal(inner, buffer.Data.ToArray());
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0x45, 0, 0, 20 })]
    [InlineData(new byte[] { 0x55, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 1, 0, 5, 10, 2, 0, 7 })]
    [InlineData(new byte[] { 0x45, 0, 0, 40, 0, 0, 0, 0, 64, 17, 0, 0, 10, 1, 0, 5, 10, 2, 0, 7 })]
    [InlineData(new byte[] { 0x44, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 1, 0, 5, 10, 2, 0, 7 })]
    public void Seal_NotAWholeIpPacket_DropsAsMalformedInner(byte[] inner)
    {
        using var pair = SaPair.Create("aes256gcm16");
        var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
        buffer.Load(inner);

        Assert.Equal(DropReason.MalformedInner, Outbound.Seal(pair.Outbound, buffer));
    }

    [Fact]
    public void Seal_BytesBeyondTheInnerTotalLength_AreNotSent()
    {
        using var pair = SaPair.Create("aes256gcm16");
        var inner = TestPackets.Udp(false, 100);
        var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
        buffer.Load([.. inner, .. new byte[30]]);

        Assert.Equal(DropReason.None, Outbound.Seal(pair.Outbound, buffer));
        var (reason, opened) = pair.Open(buffer.Data.ToArray());

        Assert.Equal(DropReason.None, reason);
        Assert.Equal(TestPackets.Forwarded(inner), opened);
    }

    [Theory]
    [MemberData(nameof(SaPair.AllTransforms), MemberType = typeof(SaPair))]
    public void Seal_AnySize_PadsToTheBlockWithOneTwoThree(string keywords)
    {
        using var pair = SaPair.Create(keywords);
        var transform = pair.Inbound.Transform;
        for (var size = 28; size < 28 + 2 * 16; size++)
        {
            var packet = pair.Seal(TestPackets.Udp(false, size));
            var textLength = packet.Length - EspTransform.HeaderSize - transform.IvSize - transform.IcvSize;

            // RFC 4303 2.4: the plaintext fills whole cipher blocks (16 for AES-CBC) and ends on a 4-octet boundary.
            Assert.Equal(0, textLength % transform.BlockSize);
            Assert.Equal(size + 2 + Outbound.PadLength(size, transform.BlockSize), textLength);
            Assert.True(transform.TryOpen(packet, 0, textLength, BinaryPrimitives.ReadUInt32BigEndian(packet.AsSpan(4))));
            var text = packet.AsSpan(EspTransform.HeaderSize + transform.IvSize, textLength);
            var padLength = text[^2];
            Assert.Equal(4, text[^1]);
            for (var i = 0; i < padLength; i++)
                Assert.Equal(i + 1, text[size + i]);
        }
    }

    [Fact]
    public void Seal_LastSequenceNumberWithoutEsn_RefusesToCycleAndExpires()
    {
        var observer = new RecordingObserver();
        using var pair = SaPair.Create("aes256gcm16", observer: observer);
        pair.Outbound.SetLastSequenceNumber(uint.MaxValue - 1);
        var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);

        buffer.Load(TestPackets.Udp(false, 80));
        Assert.Equal(DropReason.None, Outbound.Seal(pair.Outbound, buffer));
        Assert.Equal(uint.MaxValue, BinaryPrimitives.ReadUInt32BigEndian(buffer.Data[4..]));
        buffer.Load(TestPackets.Udp(false, 80));
        Assert.Equal(DropReason.SequenceExhausted, Outbound.Seal(pair.Outbound, buffer));
        buffer.Load(TestPackets.Udp(false, 80));
        Assert.Equal(DropReason.Expired, Outbound.Seal(pair.Outbound, buffer));

        Assert.Equal(LifetimeStage.HardExpired, pair.Outbound.Stage);
        Assert.Equal([(LifetimeStage.SoftExpired, LifetimeLimit.SequenceNumber), (LifetimeStage.HardExpired, LifetimeLimit.SequenceNumber)], observer.Events);
    }

    [Theory]
    [InlineData("aes256gcm16-esn")]
    [InlineData("aes256-sha256-esn")]
    [InlineData("chacha20poly1305-esn")]
    public void Seal_EsnPast2To32_SendsTheLowHalfAndThePeerOpens(string keywords)
    {
        using var pair = SaPair.Create(keywords);
        const ulong Start = (1UL << 32) - 3;
        pair.Outbound.SetLastSequenceNumber(Start);
        pair.Inbound.Window.Update(Start);

        for (var i = 1; i <= 6; i++)
        {
            var packet = pair.Seal(TestPackets.Udp(false, 80));
            Assert.Equal(unchecked((uint)(Start + (ulong)i)), BinaryPrimitives.ReadUInt32BigEndian(packet.AsSpan(4)));
            Assert.Equal(DropReason.None, pair.Open(packet).Reason);
        }
        Assert.Equal(Start + 6, pair.Inbound.LastSequenceNumber);
        Assert.Equal(LifetimeStage.Active, pair.Outbound.Stage);
    }

    [Fact]
    public void Seal_IpFramingOverIpv4_CopiesDscpEcnAndDontFragment()
    {
        using var pair = SaPair.Create("aes256gcm16");

        var withDf = pair.Seal(TestPackets.Udp(false, 80, trafficClass: 0xb9, dontFragment: true), Framing.IpPacket);
        var withoutDf = pair.Seal(TestPackets.Udp(false, 80, trafficClass: 0x02), Framing.IpPacket);
        var fromIpv6 = pair.Seal(TestPackets.Udp(true, 80, trafficClass: 0x48), Framing.IpPacket);

        Assert.Equal(0xb9, withDf[1]);
        Assert.Equal(0x40, withDf[6]);
        Assert.Equal(0x02, withoutDf[1]);
        Assert.Equal(0, withoutDf[6]);
        Assert.Equal(0x48, fromIpv6[1]);
        Assert.Equal(64, withDf[8]);
        Assert.NotEqual(BinaryPrimitives.ReadUInt16BigEndian(withDf.AsSpan(4)), BinaryPrimitives.ReadUInt16BigEndian(withoutDf.AsSpan(4)));
    }

    [Fact]
    public void Seal_UdpOverIpv4_SendsAZeroChecksum()
    {
        using var pair = SaPair.Create("aes256gcm16", udp: true);

        var datagram = pair.Seal(TestPackets.Udp(false, 80), Framing.IpPacket);

        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(datagram.AsSpan(26)));
    }

    [Theory]
    [InlineData(28)]
    [InlineData(29)]
    [InlineData(1400)]
    public void Seal_UdpOverIpv6_SendsAValidChecksumAndTheTrafficClass(int size)
    {
        using var pair = SaPair.Create("aes256-sha256", outerIpv6: true, udp: true);

        var datagram = pair.Seal(TestPackets.Udp(false, size, trafficClass: 0xa1), Framing.IpPacket);

        var segment = datagram.AsSpan(40);
        var sum = Checksum.Add(0, datagram.AsSpan(8, 32));
        sum += (ulong)segment.Length + 17;
        Assert.Equal(0, Checksum.Finish(Checksum.Add(sum, segment)));
        Assert.NotEqual(0, BinaryPrimitives.ReadUInt16BigEndian(segment[6..]));
        Assert.Equal(0xa1, ((datagram[0] & 0x0F) << 4) | (datagram[1] >> 4));
        Assert.Equal(64, datagram[7]);
    }

    [Fact]
    public void Seal_WithAnInboundSa_Throws()
    {
        using var pair = SaPair.Create("aes256gcm16");
        var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
        buffer.Load(TestPackets.Udp(false, 80));

        Assert.Throws<ArgumentException>(() => Outbound.Seal(pair.Inbound, buffer));
    }
}
