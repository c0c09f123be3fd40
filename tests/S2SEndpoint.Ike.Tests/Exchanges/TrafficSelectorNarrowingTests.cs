using System.Net;
using S2SEndpoint.Ike.Exchanges;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Tests.Exchanges;

/// <summary>
/// Narrowing (RFC 7296 2.9) with protocols and ports: the intersection keeps the narrower protocol and the overlap of
/// the port ranges; OPAQUE meets only OPAQUE and any port (RFC 7296 3.13.1).
/// </summary>
public sealed class TrafficSelectorNarrowingTests
{
    private static TrafficSelector Ts(string cidr, byte protocol = 0, ushort start = 0, ushort end = ushort.MaxValue)
    {
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        return TrafficSelector.FromPrefix(IPAddress.Parse(cidr[..slash]), int.Parse(cidr[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture), protocol, start, end);
    }

    public static TheoryData<TrafficSelector, TrafficSelector, string?> Intersections => new()
    {
        { Ts("10.1.0.0/16"), Ts("10.1.0.0/24", 6, 443, 443), "10.1.0.0/24[tcp/443]" },
        { Ts("10.1.0.0/24", 6, 443, 443), Ts("10.1.0.0/16"), "10.1.0.0/24[tcp/443]" },
        { Ts("10.1.0.0/24", 6), Ts("10.1.0.0/24", 6, 1024, 65535), "10.1.0.0/24[tcp/1024-65535]" },
        { Ts("10.1.0.0/24", 6, 1000, 2000), Ts("10.1.0.0/24", 6, 1500, 3000), "10.1.0.0/24[tcp/1500-2000]" },
        { Ts("10.1.0.0/24", 6, 80, 80), Ts("10.1.0.0/24", 6, 443, 443), null },
        { Ts("10.1.0.0/24", 6), Ts("10.1.0.0/24", 17), null },
        { Ts("10.1.0.0/24", 0, 53, 53), Ts("10.1.0.0/24", 17), "10.1.0.0/24[udp/53]" },
        { Ts("10.1.0.0/24", 17, 65535, 0), Ts("10.1.0.0/24"), "10.1.0.0/24[udp/OPAQUE]" },
        { Ts("10.1.0.0/24"), Ts("10.1.0.0/24", 17, 65535, 0), "10.1.0.0/24[udp/OPAQUE]" },
        { Ts("10.1.0.0/24", 17, 65535, 0), Ts("10.1.0.0/24", 17, 65535, 0), "10.1.0.0/24[udp/OPAQUE]" },
        { Ts("10.1.0.0/24", 17, 65535, 0), Ts("10.1.0.0/24", 17, 53, 53), null },
        { Ts("10.1.0.0/24", 1, 0x0800, 0x0800), Ts("10.1.0.0/24", 1), "10.1.0.0/24[icmp/8]" },
    };

    [Theory]
    [MemberData(nameof(Intersections))]
    public void Intersect_ProtocolsAndPorts_KeepsWhatBothAllow(TrafficSelector a, TrafficSelector b, string? expected) =>
        Assert.Equal(expected, TrafficSelectorNarrowing.Intersect(a, b)?.ToString());

    [Fact]
    public void Narrow_ResponderAllowsOnlyHttps_OfferOfEverythingNarrowsToIt()
    {
        var narrowed = TrafficSelectorNarrowing.Narrow([Ts("10.1.0.0/24")], [Ts("10.1.0.0/24", 6, 443, 443), Ts("10.1.0.0/24", 17, 53, 53)]);

        Assert.Equal(["10.1.0.0/24[tcp/443]", "10.1.0.0/24[udp/53]"], narrowed.Select(t => t.ToString()));
        Assert.True(TrafficSelectorNarrowing.IsSubset(narrowed, [Ts("10.1.0.0/24")]));
    }

    [Fact]
    public void IsSubset_WiderPortsThanOffered_IsNot()
    {
        Assert.False(TrafficSelectorNarrowing.IsSubset([Ts("10.1.0.0/24", 6, 1, 65535)], [Ts("10.1.0.0/24", 6, 443, 443)]));
        Assert.False(TrafficSelectorNarrowing.IsSubset([Ts("10.1.0.0/24")], [Ts("10.1.0.0/24", 6)]));
        Assert.True(TrafficSelectorNarrowing.IsSubset([Ts("10.1.0.0/24", 17, 65535, 0)], [Ts("10.1.0.0/24", 17)]));
    }
}
