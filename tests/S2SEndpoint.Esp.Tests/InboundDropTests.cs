using System.Buffers.Binary;
using System.Net;
using S2SEndpoint.Esp.Tests.Support;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Esp.Tests;

/// <summary>
/// Each inbound check refuses what it must, with its own DropReason, counted on the SA (or on the table before an SA
/// is known). The packets are authentic where the check comes after the ICV: sealed by the peer's keys.
/// </summary>
public sealed class InboundDropTests
{
    public static TheoryData<string> SomeTransforms => new() { "aes256gcm16", "chacha20poly1305-esn", "aes128-sha256", "aes256-sha512-esn", "null-sha256" };

    [Theory]
    [MemberData(nameof(SomeTransforms))]
    public void Open_PaddingNotOneTwoThree_DropsAsBadPaddingAfterTheWindowMoved(string keywords)
    {
        using var pair = SaPair.Create(keywords);
        var payload = TestPackets.Udp(false, 29);
        var padding = Enumerable.Range(1, Outbound.PadLength(payload.Length, pair.Outbound.Transform.BlockSize)).Select(i => (byte)i).ToArray();
        padding[^1] ^= 0x40;
        var packet = RawEsp.Seal(pair.Outbound, RawEsp.Text(pair.Outbound, payload, 4, padding));

        Assert.Equal(DropReason.BadPadding, pair.Open(packet).Reason);
        Assert.Equal(DropReason.Replayed, pair.Open(packet).Reason);
        Assert.Equal(1, pair.Inbound.Drops.Count(DropReason.BadPadding));
    }

    [Theory]
    [MemberData(nameof(SomeTransforms))]
    public void Open_PadLengthLongerThanThePayload_DropsAsBadPadding(string keywords)
    {
        using var pair = SaPair.Create(keywords);
        var text = RawEsp.Text(pair.Outbound, TestPackets.Udp(false, 30), 4);
        text[^2] = 255;

        Assert.Equal(DropReason.BadPadding, pair.Open(RawEsp.Seal(pair.Outbound, text)).Reason);
    }

    [Theory]
    [MemberData(nameof(SomeTransforms))]
    public void Open_NextHeader59_DropsAsDummyPacket(string keywords)
    {
        using var pair = SaPair.Create(keywords);
        var random = new byte[45];
        new Random(3).NextBytes(random);

        Assert.Equal(DropReason.DummyPacket, pair.Open(RawEsp.Seal(pair.Outbound, RawEsp.Text(pair.Outbound, random, 59))).Reason);
    }

    [Theory]
    [InlineData("aes256gcm16", (byte)6)]
    [InlineData("aes128-sha1", (byte)1)]
    [InlineData("null-sha256", (byte)17)]
    public void Open_NextHeaderOfTransportMode_DropsAsBadNextHeader(string keywords, byte nextHeader)
    {
        using var pair = SaPair.Create(keywords);

        Assert.Equal(DropReason.BadNextHeader, pair.Open(RawEsp.Seal(pair.Outbound, RawEsp.Text(pair.Outbound, TestPackets.Udp(false, 40), nextHeader))).Reason);
    }

    [Theory]
    [MemberData(nameof(SomeTransforms))]
    public void Open_NextHeader4AroundAnIpv6Packet_DropsAsMalformedInner(string keywords)
    {
        using var pair = SaPair.Create(keywords);

        Assert.Equal(DropReason.MalformedInner, pair.Open(RawEsp.Seal(pair.Outbound, RawEsp.Text(pair.Outbound, TestPackets.Udp(true, 60), 4))).Reason);
    }

    [Theory]
    [MemberData(nameof(SomeTransforms))]
    public void Open_InnerLengthLongerThanThePayload_DropsAsMalformedInner(string keywords)
    {
        using var pair = SaPair.Create(keywords);
        var inner = TestPackets.Udp(false, 60);

        Assert.Equal(DropReason.MalformedInner, pair.Open(RawEsp.Seal(pair.Outbound, RawEsp.Text(pair.Outbound, inner[..50], 4))).Reason);
    }

    [Theory]
    [MemberData(nameof(SomeTransforms))]
    public void Open_TfcPaddingAfterTheInnerPacket_IsCutOff(string keywords)
    {
        using var pair = SaPair.Create(keywords);
        var inner = TestPackets.Udp(false, 60);
        byte[] payload = [.. inner, .. new byte[37]];

        var (reason, opened) = pair.Open(RawEsp.Seal(pair.Outbound, RawEsp.Text(pair.Outbound, payload, 4)));

        Assert.Equal(DropReason.None, reason);
        Assert.Equal(inner, opened);
    }

    [Theory]
    [InlineData("10.9.0.1", "10.2.0.7")]
    [InlineData("10.1.0.5", "10.3.0.7")]
    [InlineData("10.2.0.5", "10.1.0.7")]
    public void Open_InnerAddressesOutsideTheSelectors_DropsAsPolicyMismatch(string source, string destination)
    {
        using var pair = SaPair.Create("aes128gcm16");
        var inner = TestPackets.Ipv4(80, IPAddress.Parse(source), IPAddress.Parse(destination));

        Assert.Equal(DropReason.PolicyMismatch, pair.Open(pair.Seal(inner)).Reason);
        Assert.Equal(1, pair.Inbound.Drops.Count(DropReason.PolicyMismatch));
    }

    [Fact]
    public void Open_Ipv6InnerPacketOnIpv4OnlySelectors_DropsAsPolicyMismatch()
    {
        using var pair = SaPair.Create("aes128gcm16",
            leftSelectors: [TrafficSelector.FromPrefix(IPAddress.Parse("10.1.0.0"), 16)],
            rightSelectors: [TrafficSelector.FromPrefix(IPAddress.Parse("10.2.0.0"), 16)]);

        Assert.Equal(DropReason.PolicyMismatch, pair.Open(pair.Seal(TestPackets.Udp(true, 80))).Reason);
        Assert.Equal(DropReason.None, pair.Open(pair.Seal(TestPackets.Udp(false, 80))).Reason);
    }

    [Theory]
    [InlineData((byte)17, (ushort)53, DropReason.None)]
    [InlineData((byte)17, (ushort)54, DropReason.PolicyMismatch)]
    [InlineData((byte)6, (ushort)53, DropReason.PolicyMismatch)]
    public void Open_SelectorsNamingProtocolAndPort_CheckTheInnerTransportHeader(byte protocol, ushort destinationPort, DropReason expected)
    {
        using var pair = SaPair.Create("aes256gcm16",
            rightSelectors: [TrafficSelector.FromPrefix(IPAddress.Parse("10.2.0.0"), 16, ipProtocol: 17, startPort: 53, endPort: 53)]);
        var inner = TestPackets.Ipv4(80, TestPackets.LeftHostV4, TestPackets.RightHostV4, protocol, 40000, destinationPort);

        Assert.Equal(expected, pair.Open(pair.Seal(inner)).Reason);
    }

    [Fact]
    public void Open_LaterFragmentAgainstAPortSelector_DropsUnlessTheSelectorIsOpaque()
    {
        using var ports = SaPair.Create("aes256gcm16",
            rightSelectors: [TrafficSelector.FromPrefix(IPAddress.Parse("10.2.0.0"), 16, ipProtocol: 17, startPort: 53, endPort: 53)]);
        using var opaque = SaPair.Create("aes256gcm16",
            rightSelectors: [TrafficSelector.FromPrefix(IPAddress.Parse("10.2.0.0"), 16, ipProtocol: 17, startPort: ushort.MaxValue, endPort: 0)]);
        var fragment = TestPackets.Ipv4(80, TestPackets.LeftHostV4, TestPackets.RightHostV4, 17, 40000, 53, fragment: 100);

        Assert.Equal(DropReason.PolicyMismatch, ports.Open(ports.Seal(fragment)).Reason);
        Assert.Equal(DropReason.None, opaque.Open(opaque.Seal(fragment)).Reason);
    }

    [Fact]
    public void Open_UnknownSpi_DropsAndCountsOnTheTable()
    {
        using var pair = SaPair.Create("aes256gcm16");
        var packet = pair.Seal(TestPackets.Udp(false, 80));
        BinaryPrimitives.WriteUInt32BigEndian(packet, 0x12345678);

        Assert.Equal(DropReason.UnknownSpi, pair.Open(packet).Reason);
        Assert.Equal(1, pair.Table.Drops.Count(DropReason.UnknownSpi));
        Assert.Equal(0, pair.Inbound.Drops.Total);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(7)]
    public void Open_ShorterThanSpiAndSequenceNumber_DropsAsTruncatedOnTheTable(int length)
    {
        using var pair = SaPair.Create("aes256gcm16");

        Assert.Equal(DropReason.Truncated, pair.Open(pair.Seal(TestPackets.Udp(false, 80))[..length]).Reason);
        Assert.Equal(1, pair.Table.Drops.Count(DropReason.Truncated));
    }

    [Fact]
    public void Open_ReplayedSequenceNumber_DropsAsReplayed()
    {
        using var pair = SaPair.Create("aes256gcm16");
        var packet = pair.Seal(TestPackets.Udp(false, 80));

        Assert.Equal(DropReason.None, pair.Open(packet).Reason);
        Assert.Equal(DropReason.Replayed, pair.Open(packet).Reason);
        Assert.Equal(1, pair.Inbound.Drops.Count(DropReason.Replayed));
    }

    [Fact]
    public void Open_WithADisposedSa_DropsAsExpired()
    {
        using var pair = SaPair.Create("aes256gcm16");
        var packet = pair.Seal(TestPackets.Udp(false, 80));
        pair.Inbound.Dispose();

        Assert.Equal(DropReason.Expired, pair.Open(packet).Reason);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Open_IpFramedNatKeepalive_IsRecognisedAndCounted(bool ipv6)
    {
        using var pair = SaPair.Create("aes256gcm16", outerIpv6: ipv6, udp: true);
        var datagram = UdpDatagram(ipv6, UdpEncapsulation.NatKeepalive.ToArray());

        Assert.Equal(DropReason.NatKeepalive, pair.Open(datagram, Framing.IpPacket).Reason);
        Assert.Equal(1, pair.Table.Drops.Count(DropReason.NatKeepalive));
    }

    [Fact]
    public void Open_IpFramedIkeBehindTheNonEspMarker_DropsAsNotEsp()
    {
        using var pair = SaPair.Create("aes256gcm16", udp: true);
        byte[] ike = [0, 0, 0, 0, .. Enumerable.Repeat((byte)0x11, 28)];

        Assert.Equal(DropReason.NotEsp, pair.Open(UdpDatagram(false, ike), Framing.IpPacket).Reason);
    }

    [Fact]
    public void Open_IpFramedFragment_DropsAsFragment()
    {
        using var pair = SaPair.Create("aes256gcm16");
        var datagram = pair.Seal(TestPackets.Udp(false, 80), Framing.IpPacket);
        datagram[6] |= 0x20;
        FixIpv4Checksum(datagram);

        Assert.Equal(DropReason.Fragment, pair.Open(datagram, Framing.IpPacket).Reason);
    }

    [Fact]
    public void Open_IpFramedOtherProtocol_DropsAsNotEsp()
    {
        using var pair = SaPair.Create("aes256gcm16");
        var datagram = pair.Seal(TestPackets.Udp(false, 80), Framing.IpPacket);
        datagram[9] = 6;
        FixIpv4Checksum(datagram);

        Assert.Equal(DropReason.NotEsp, pair.Open(datagram, Framing.IpPacket).Reason);
    }

    [Fact]
    public void Open_IpFramedUdpLengthBeyondTheDatagram_DropsAsMalformedOuter()
    {
        using var pair = SaPair.Create("aes256gcm16", udp: true);
        var datagram = pair.Seal(TestPackets.Udp(false, 80), Framing.IpPacket);
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(24), (ushort)(datagram.Length));

        Assert.Equal(DropReason.MalformedOuter, pair.Open(datagram, Framing.IpPacket).Reason);
    }

    private static byte[] UdpDatagram(bool ipv6, byte[] payload)
    {
        var ipSize = ipv6 ? 40 : 20;
        var datagram = ipv6
            ? TestPackets.Ipv6(ipSize + 8 + payload.Length, SaPair.LeftGatewayV6, SaPair.RightGatewayV6, 17, 4500, 4500)
            : TestPackets.Ipv4(ipSize + 8 + payload.Length, SaPair.LeftGatewayV4, SaPair.RightGatewayV4, 17, 4500, 4500);
        payload.CopyTo(datagram, ipSize + 8);
        if (ipv6)
        {
            // RFC 8200 8.1: over IPv6 the UDP checksum is mandatory, pseudo-header included.
            var udp = datagram.AsSpan(ipSize);
            BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)udp.Length);
            udp[6] = 0;
            udp[7] = 0;
            var sum = Checksum.Add(0, datagram.AsSpan(8, 32)) + (ulong)udp.Length + 17;
            var checksum = Checksum.Finish(Checksum.Add(sum, udp));
            BinaryPrimitives.WriteUInt16BigEndian(udp[6..], checksum == 0 ? ushort.MaxValue : checksum);
        }
        return datagram;
    }

    [Theory]
    [InlineData((ushort)0)]
    [InlineData((ushort)0x1234)]
    public void Open_Ipv6OuterUdpWithZeroOrWrongChecksum_DropsAsMalformedOuter(ushort checksum)
    {
        // RFC 8200 8.1: "IPv6 receivers must discard UDP packets containing a zero checksum".
        using var pair = SaPair.Create("aes256gcm16", outerIpv6: true, udp: true);
        var datagram = pair.Seal(TestPackets.Udp(false, 80), Framing.IpPacket);
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(40 + 6), checksum);
        Assert.Equal(DropReason.MalformedOuter, pair.Open(datagram, Framing.IpPacket).Reason);
    }

    private static void FixIpv4Checksum(byte[] datagram)
    {
        datagram[10] = 0;
        datagram[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(10), Checksum.Compute(datagram.AsSpan(0, 20)));
    }

    /// <summary>RFC 8200 8.1: "IPv6 receivers must discard UDP packets containing a zero checksum".</summary>
    [Theory]
    [InlineData(0x0000)]
    [InlineData(0x1234)]
    public void Open_Ipv6OuterUdpWithZeroOrWrongChecksum_IsDropped(int checksum)
    {
        using var pair = SaPair.Create("aes128gcm16", outerIpv6: true, udp: true);
        var wire = pair.Seal(TestPackets.Udp(false, 100), Framing.IpPacket);
        BinaryPrimitives.WriteUInt16BigEndian(wire.AsSpan(40 + 6), (ushort)checksum);
        Assert.Equal(DropReason.MalformedOuter, pair.Open(wire, Framing.IpPacket).Reason);
    }
}
