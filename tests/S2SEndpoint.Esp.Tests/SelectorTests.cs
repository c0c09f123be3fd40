using System.Net;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Esp.Tests;

/// <summary>Selectors built from negotiated traffic selectors, and what they match (RFC 7296 3.13.1, RFC 4301 4.4.1.1).</summary>
public sealed class SelectorTests
{
    [Theory]
    [InlineData("10.2.0.0", 16, "10.2.0.0", true)]
    [InlineData("10.2.0.0", 16, "10.2.255.255", true)]
    [InlineData("10.2.0.0", 16, "10.3.0.0", false)]
    [InlineData("10.2.0.0", 16, "10.1.255.255", false)]
    [InlineData("0.0.0.0", 0, "255.255.255.255", true)]
    [InlineData("fd00:2::", 32, "fd00:2:ffff::1", true)]
    [InlineData("fd00:2::", 32, "fd00:3::", false)]
    [InlineData("::", 0, "ffff::", true)]
    public void Matches_AddressAgainstAPrefix_IsInsideTheRange(string network, int prefix, string address, bool expected)
    {
        var selector = Selector.FromTrafficSelector(TrafficSelector.FromPrefix(IPAddress.Parse(network), prefix));
        var ip = IPAddress.Parse(address);
        var bytes = ip.GetAddressBytes();
        UInt128 value = bytes.Length == 16 ? IpPacket.ReadUInt128(bytes) : System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes);

        Assert.Equal(expected, selector.Matches(bytes.Length == 16, value, 17, 53));
        Assert.False(selector.Matches(bytes.Length != 16, value, 17, 53));
    }

    [Theory]
    [InlineData((byte)0, (ushort)0, (ushort)65535, (byte)6, 1, true)]
    [InlineData((byte)17, (ushort)0, (ushort)65535, (byte)6, 1, false)]
    [InlineData((byte)17, (ushort)500, (ushort)4500, (byte)17, 4500, true)]
    [InlineData((byte)17, (ushort)500, (ushort)4500, (byte)17, 4501, false)]
    [InlineData((byte)17, (ushort)500, (ushort)4500, (byte)17, -1, false)]
    [InlineData((byte)17, (ushort)65535, (ushort)0, (byte)17, -1, true)]
    [InlineData((byte)17, (ushort)65535, (ushort)0, (byte)17, 53, false)]
    public void Matches_ProtocolAndPorts_FollowTheSelector(byte protocol, ushort start, ushort end, byte packetProtocol, int port, bool expected)
    {
        var selector = Selector.FromTrafficSelector(TrafficSelector.FromPrefix(IPAddress.Any, 0, protocol, start, end));

        Assert.Equal(expected, selector.Matches(false, 0x0a000001, packetProtocol, port));
    }

    /// <summary>
    /// ICMP's type and code are its "port" (RFC 7296 3.13.1: "Type in the most significant eight bits and Code in the least
    /// significant eight bits"), as the inbound path reads them: [icmp/8] holds echo requests, not echo replies.
    /// </summary>
    [Theory]
    [InlineData((ushort)0x0800, (ushort)0x0800, 0x0800, true)]
    [InlineData((ushort)0x0800, (ushort)0x0800, 0x0000, false)]
    [InlineData((ushort)0x0300, (ushort)0x03FF, 0x0301, true)]
    [InlineData((ushort)0x0300, (ushort)0x03FF, 0x0B00, false)]
    public void Matches_IcmpTypeAndCode_AreThePort(ushort start, ushort end, int typeAndCode, bool expected)
    {
        var selector = Selector.FromTrafficSelector(TrafficSelector.FromPrefix(IPAddress.Parse("10.2.0.0"), 24, IpProtocol.Icmp, start, end));

        Assert.Equal(expected, selector.Matches(false, 0x0a020007, IpProtocol.Icmp, typeAndCode));
        Assert.False(selector.Matches(false, 0x0a020007, IpProtocol.Udp, typeAndCode));
    }

    /// <summary>A port range as swanctl writes it (10.2.0.0/24[tcp/1024-65535]): both ends inside, one below outside.</summary>
    [Theory]
    [InlineData(1024, true)]
    [InlineData(65535, true)]
    [InlineData(1023, false)]
    [InlineData(IpPacket.NoPort, false)]
    public void Matches_PortRange_BothEndsIncluded(int port, bool expected)
    {
        var selector = Selector.FromTrafficSelector(TrafficSelector.FromPrefix(IPAddress.Parse("10.2.0.0"), 24, IpProtocol.Tcp, 1024, 65535));

        Assert.Equal(expected, selector.Matches(false, 0x0a020007, IpProtocol.Tcp, port));
    }

    [Fact]
    public void FromTrafficSelector_UnknownType_Throws()
    {
        var unknown = new TrafficSelector((TrafficSelectorType)9, 0, 0, 0, IPAddress.None, IPAddress.None) { UnknownBody = [9, 0, 0, 4] };

        Assert.Throws<ArgumentException>(() => Selector.FromTrafficSelector(unknown));
    }

    [Fact]
    public void FromTrafficSelector_MixedFamilies_Throws()
    {
        var mixed = new TrafficSelector(TrafficSelectorType.Ipv4AddressRange, 0, 0, 65535, IPAddress.Any, IPAddress.IPv6Any);

        Assert.Throws<ArgumentException>(() => Selector.FromTrafficSelector(mixed));
    }

    [Fact]
    public void Equality_SameFields_AreEqual()
    {
        var a = new Selector(false, 1, 2, 17, 53, 53);
        var b = new Selector(false, 1, 2, 17, 53, 53);

        Assert.True(a == b);
        Assert.True(a != new Selector(true, 1, 2, 17, 53, 53));
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
    }
}
