using System.Buffers.Binary;
using System.Net;

namespace S2SEndpoint.Esp.Tests;

/// <summary>
/// The one IP header reader of the data path, as the gateway's policy lookup uses it: addresses, protocol and ports of
/// IPv4 (RFC 791) and IPv6 (RFC 8200) packets, through IPv6 extension headers, never past the packet's end.
/// </summary>
public sealed class IpPacketTests
{
    private static byte[] Ipv4(string source, string destination, byte protocol, ushort fragmentField = 0, int transport = 8)
    {
        var packet = new byte[IpPacket.Ipv4HeaderSize + transport];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(IpPacket.Ipv4TotalLengthOffset), (ushort)packet.Length);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(IpPacket.Ipv4FlagsOffset), fragmentField);
        packet[IpPacket.Ipv4TtlOffset] = 64;
        packet[IpPacket.Ipv4ProtocolOffset] = protocol;
        IPAddress.Parse(source).TryWriteBytes(packet.AsSpan(IpPacket.Ipv4SourceOffset), out _);
        IPAddress.Parse(destination).TryWriteBytes(packet.AsSpan(IpPacket.Ipv4DestinationOffset), out _);
        if (transport >= 4)
        {
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(IpPacket.Ipv4HeaderSize), 40000);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(IpPacket.Ipv4HeaderSize + 2), 443);
        }
        return packet;
    }

    /// <summary>An IPv6 packet whose chain is <paramref name="extensions"/> (each 8 octets, next header chained) and then TCP 40000 to 443.</summary>
    private static byte[] Ipv6(byte[] extensions, ushort fragmentField = 0)
    {
        var packet = new byte[IpPacket.Ipv6HeaderSize + (extensions.Length * 8) + 20];
        packet[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(IpPacket.Ipv6PayloadLengthOffset), (ushort)(packet.Length - IpPacket.Ipv6HeaderSize));
        packet[IpPacket.Ipv6HopLimitOffset] = 64;
        IPAddress.Parse("fd00:1::5").TryWriteBytes(packet.AsSpan(IpPacket.Ipv6SourceOffset), out _);
        IPAddress.Parse("fd00:2::7").TryWriteBytes(packet.AsSpan(IpPacket.Ipv6DestinationOffset), out _);
        packet[IpPacket.Ipv6NextHeaderOffset] = extensions.Length > 0 ? extensions[0] : (byte)6;
        var offset = IpPacket.Ipv6HeaderSize;
        for (var i = 0; i < extensions.Length; i++, offset += 8)
        {
            packet[offset] = i + 1 < extensions.Length ? extensions[i + 1] : (byte)6;
            if (extensions[i] == 44)
                BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(offset + 2), fragmentField);
        }
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(offset), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(offset + 2), 443);
        return packet;
    }

    [Fact]
    public void TryReadFlow_Ipv4Tcp_ReadsAddressesProtocolAndPorts()
    {
        Assert.True(IpPacket.TryReadFlow(Ipv4("10.1.0.5", "10.2.0.7", 6), out var ipv6, out var source, out var destination, out var protocol, out var sourcePort, out var destinationPort));

        Assert.False(ipv6);
        Assert.Equal((UInt128)0x0A010005, source);
        Assert.Equal((UInt128)0x0A020007, destination);
        Assert.Equal(6, protocol);
        Assert.Equal(40000, sourcePort);
        Assert.Equal(443, destinationPort);
    }

    /// <summary>RFC 4301 4.4.1.1: a fragment other than the first carries no ports; it is OPAQUE to port selectors.</summary>
    [Fact]
    public void TryReadFlow_LaterIpv4Fragment_HasNoPorts()
    {
        Assert.True(IpPacket.TryReadFlow(Ipv4("10.1.0.5", "10.2.0.7", 17, fragmentField: 185), out _, out _, out _, out var protocol, out var sourcePort, out var destinationPort));

        Assert.Equal(17, protocol);
        Assert.Equal(IpPacket.NoPort, sourcePort);
        Assert.Equal(IpPacket.NoPort, destinationPort);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0 })]          // hop-by-hop options
    [InlineData(new byte[] { 0, 60 })]      // hop-by-hop, destination options
    [InlineData(new byte[] { 43, 44 })]     // routing, first fragment
    public void TryReadFlow_Ipv6ThroughExtensionHeaders_FindsTheTcpPorts(byte[] extensions)
    {
        Assert.True(IpPacket.TryReadFlow(Ipv6(extensions), out var ipv6, out var source, out _, out var protocol, out var sourcePort, out var destinationPort));

        Assert.True(ipv6);
        Assert.Equal(IpPacket.ReadUInt128(IPAddress.Parse("fd00:1::5").GetAddressBytes()), source);
        Assert.Equal(6, protocol);
        Assert.Equal(40000, sourcePort);
        Assert.Equal(443, destinationPort);
    }

    [Theory]
    [InlineData(new byte[0], Ipv6ExtensionHeaders.None)]
    [InlineData(new byte[] { 0, 43, 60 }, Ipv6ExtensionHeaders.HopByHop | Ipv6ExtensionHeaders.Routing | Ipv6ExtensionHeaders.DestinationOptions)]
    [InlineData(new byte[] { 60, 44 }, Ipv6ExtensionHeaders.DestinationOptions | Ipv6ExtensionHeaders.Fragment)]
    public void TrySkipExtensionHeaders_NamesWhatItWalked_AnAtomicFragmentToo(byte[] extensions, Ipv6ExtensionHeaders expected)
    {
        var packet = Ipv6(extensions);
        var nextHeader = packet[IpPacket.Ipv6NextHeaderOffset];
        var offset = IpPacket.Ipv6HeaderSize;

        Assert.True(IpPacket.TrySkipExtensionHeaders(packet, ref nextHeader, ref offset, out var fragment, out var walked));

        Assert.Equal(expected, walked);
        Assert.Equal(0, fragment);
        Assert.Equal(IpProtocol.Tcp, nextHeader);
        Assert.Equal(IpPacket.Ipv6HeaderSize + (extensions.Length * 8), offset);
    }

    [Fact]
    public void TryReadFlow_LaterIpv6Fragment_HasNoPorts()
    {
        Assert.True(IpPacket.TryReadFlow(Ipv6([44], fragmentField: 8 << 3), out _, out _, out _, out _, out var sourcePort, out var destinationPort));

        Assert.Equal(IpPacket.NoPort, sourcePort);
        Assert.Equal(IpPacket.NoPort, destinationPort);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(19)]
    public void TryReadFlow_CutShortIpv4Header_IsFalse(int length) =>
        Assert.False(IpPacket.TryReadFlow(Ipv4("10.1.0.5", "10.2.0.7", 6).AsSpan(0, length), out _, out _, out _, out _, out _, out _));

    [Fact]
    public void TryReadFlow_CutShortIpv6HeaderOrOtherVersion_IsFalse()
    {
        Assert.False(IpPacket.TryReadFlow(Ipv6([]).AsSpan(0, 39), out _, out _, out _, out _, out _, out _));
        var version5 = Ipv4("10.1.0.5", "10.2.0.7", 6);
        version5[0] = 0x55;
        Assert.False(IpPacket.TryReadFlow(version5, out _, out _, out _, out _, out _, out _));
    }

    /// <summary>A transport header cut off after the IP header: the protocol is known, the ports are not, nothing is read past the end.</summary>
    [Fact]
    public void TryReadFlow_TransportHeaderCutShort_HasNoPorts()
    {
        Assert.True(IpPacket.TryReadFlow(Ipv4("10.1.0.5", "10.2.0.7", 6, transport: 3), out _, out _, out _, out var protocol, out var sourcePort, out _));

        Assert.Equal(6, protocol);
        Assert.Equal(IpPacket.NoPort, sourcePort);
    }

    [Fact]
    public void AnyMatches_OneOfSeveralSelectorsHolds_IsEnough()
    {
        Selector[] selectors =
        [
            Selector.FromTrafficSelector(S2SEndpoint.Ike.Messages.TrafficSelector.FromPrefix(IPAddress.Parse("10.1.0.0"), 24)),
            Selector.FromTrafficSelector(S2SEndpoint.Ike.Messages.TrafficSelector.FromPrefix(IPAddress.Parse("10.3.0.0"), 24)),
        ];

        Assert.True(Selector.AnyMatches(selectors, false, 0x0A030009, 1, IpPacket.NoPort));
        Assert.False(Selector.AnyMatches(selectors, false, 0x0A020009, 1, IpPacket.NoPort));
        Assert.False(Selector.AnyMatches([], false, 0x0A010009, 1, IpPacket.NoPort));
    }

    /// <summary>What a TUN read that filled its buffer compares with what it got: the length the header claims.</summary>
    [Fact]
    public void TryReadClaimedLength_ReadsTheLengthFieldOfEitherVersion_WithoutCheckingIt()
    {
        var ipv4 = Ipv4("10.1.0.5", "10.2.0.7", 6);
        Assert.True(IpPacket.TryReadClaimedLength(ipv4.AsSpan(0, 4), out var version, out var length));
        Assert.Equal((4, ipv4.Length), (version, length));
        var ipv6 = Ipv6([0]);
        Assert.True(IpPacket.TryReadClaimedLength(ipv6.AsSpan(0, 6), out version, out length));
        Assert.Equal((6, ipv6.Length), (version, length));

        Assert.False(IpPacket.TryReadClaimedLength(ipv4.AsSpan(0, 3), out _, out _));
        Assert.False(IpPacket.TryReadClaimedLength(ipv6.AsSpan(0, 5), out _, out _));
        Assert.False(IpPacket.TryReadClaimedLength([0x50, 0, 0, 20], out _, out _));
        Assert.False(IpPacket.TryReadLength(ipv4.AsSpan(0, 19), out _, out _));
    }
}
