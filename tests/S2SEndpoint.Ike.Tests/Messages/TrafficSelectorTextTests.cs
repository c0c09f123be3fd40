using System.Net;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Tests.Messages;

/// <summary>
/// A traffic selector's text as strongSwan prints it (traffic_selector_printf_hook): a prefix, else a range, then
/// [protocol/ports] when narrowed; the form swanctl's local_ts and remote_ts read back.
/// </summary>
public sealed class TrafficSelectorTextTests
{
    private static TrafficSelector Ts(string network, int prefix, byte protocol = 0, ushort start = 0, ushort end = ushort.MaxValue) =>
        TrafficSelector.FromPrefix(IPAddress.Parse(network), prefix, protocol, start, end);

    [Theory]
    [InlineData("10.1.0.0", 24, 0, 0, 65535, "10.1.0.0/24")]
    [InlineData("10.1.0.7", 32, 0, 0, 65535, "10.1.0.7/32")]
    [InlineData("0.0.0.0", 0, 0, 0, 65535, "0.0.0.0/0")]
    [InlineData("fd00:2::", 48, 0, 0, 65535, "fd00:2::/48")]
    [InlineData("10.1.0.0", 24, 6, 443, 443, "10.1.0.0/24[tcp/443]")]
    [InlineData("10.1.0.0", 24, 17, 0, 65535, "10.1.0.0/24[udp]")]
    [InlineData("10.1.0.0", 24, 6, 1024, 65535, "10.1.0.0/24[tcp/1024-65535]")]
    [InlineData("10.1.0.0", 24, 0, 80, 80, "10.1.0.0/24[0/80]")]
    [InlineData("10.1.0.0", 24, 17, 65535, 0, "10.1.0.0/24[udp/OPAQUE]")]
    [InlineData("10.1.0.0", 24, 99, 0, 65535, "10.1.0.0/24[99]")]
    [InlineData("::", 0, 58, 0x8000, 0x8000, "::/0[ipv6-icmp/128]")]
    [InlineData("10.1.0.0", 24, 1, 0x0800, 0x0800, "10.1.0.0/24[icmp/8]")]
    [InlineData("10.1.0.0", 24, 1, 0x0301, 0x0301, "10.1.0.0/24[icmp/3(1)]")]
    [InlineData("10.1.0.0", 24, 1, 0x0300, 0x03FF, "10.1.0.0/24[icmp/3-3(255)]")]
    public void ToString_PrefixThenProtocolAndPorts_AsStrongSwanPrintsThem(string network, int prefix, byte protocol, int start, int end, string expected) =>
        Assert.Equal(expected, Ts(network, prefix, protocol, (ushort)start, (ushort)end).ToString());

    [Fact]
    public void ToString_RangeThatIsNoPrefix_PrintsBothEnds()
    {
        var range = new TrafficSelector(TrafficSelectorType.Ipv4AddressRange, 6, 22, 22, IPAddress.Parse("10.1.0.5"), IPAddress.Parse("10.1.0.9"));

        Assert.Equal("10.1.0.5..10.1.0.9[tcp/22]", range.ToString());
        Assert.Null(range.PrefixLength);
    }

    [Fact]
    public void PrefixLength_IgnoresProtocolAndPorts() =>
        Assert.Equal(24, Ts("10.2.0.0", 24, 6, 443, 443).PrefixLength);

    [Theory]
    [InlineData("tcp", 6)]
    [InlineData("TCP", 6)]
    [InlineData("udp", 17)]
    [InlineData("icmp", 1)]
    [InlineData("ipv6-icmp", 58)]
    [InlineData("icmpv6", 58)]
    [InlineData("sctp", 132)]
    [InlineData("47", 47)]
    [InlineData("0", 0)]
    [InlineData("255", 255)]
    public void IpProtocolName_TryParse_NameOrNumber(string text, byte expected)
    {
        Assert.True(IpProtocolName.TryParse(text, out var protocol));
        Assert.Equal(expected, protocol);
    }

    [Theory]
    [InlineData("tpc")]
    [InlineData("256")]
    [InlineData("-1")]
    [InlineData("")]
    public void IpProtocolName_TryParse_UnknownNameOrOutOfRange_Fails(string text) =>
        Assert.False(IpProtocolName.TryParse(text, out _));
}
