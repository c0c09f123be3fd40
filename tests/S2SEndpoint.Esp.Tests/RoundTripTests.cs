using System.Buffers.Binary;
using S2SEndpoint.Esp.Tests.Support;

namespace S2SEndpoint.Esp.Tests;

/// <summary>
/// Every transform, with and without ESN, IPv4 and IPv6 inside and outside, with and without UDP encapsulation,
/// with and without outer headers in the buffer: what is sealed opens to the inner packet as a router forwards it.
/// </summary>
public sealed class RoundTripTests
{
    private static readonly int[] Sizes = [0, 61, 64, 100, 512, 1400, 1500];

    public static TheoryData<string, bool, bool, bool> Matrix()
    {
        var data = new TheoryData<string, bool, bool, bool>();
        foreach (var keywords in SaPair.Transforms.SelectMany(t => new[] { t, t + "-esn" }))
        {
            foreach (var innerIpv6 in new[] { false, true })
            {
                foreach (var outerIpv6 in new[] { false, true })
                {
                    foreach (var udp in new[] { false, true })
                        data.Add(keywords, innerIpv6, outerIpv6, udp);
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public void SealThenOpen_EspFraming_GivesTheForwardedInnerPacket(string keywords, bool innerIpv6, bool outerIpv6, bool udp)
    {
        using var pair = SaPair.Create(keywords, outerIpv6, udp);
        foreach (var size in Sizes)
        {
            var inner = TestPackets.Udp(innerIpv6, Math.Max(size, TestPackets.MinimumLength(innerIpv6)));

            var wire = pair.Seal(inner);
            var (reason, opened) = pair.Open(wire);

            Assert.Equal(DropReason.None, reason);
            Assert.Equal(TestPackets.Forwarded(inner), opened);
        }
        Assert.Equal((ulong)Sizes.Length, pair.Inbound.LastSequenceNumber);
        Assert.Equal(0, pair.Inbound.Drops.Total);
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public void SealThenOpen_IpFraming_WritesAndStripsTheOuterHeaders(string keywords, bool innerIpv6, bool outerIpv6, bool udp)
    {
        using var pair = SaPair.Create(keywords, outerIpv6, udp);
        var inner = TestPackets.Udp(innerIpv6, 300, trafficClass: 0xb8);

        var wire = pair.Seal(inner, Framing.IpPacket);

        var ipSize = outerIpv6 ? 40 : 20;
        Assert.Equal(outerIpv6 ? 6 : 4, wire[0] >> 4);
        if (outerIpv6)
        {
            Assert.Equal(wire.Length - 40, BinaryPrimitives.ReadUInt16BigEndian(wire.AsSpan(4)));
            Assert.Equal(udp ? 17 : 50, wire[6]);
            Assert.Equal(SaPair.LeftGatewayV6.GetAddressBytes(), wire[8..24]);
            Assert.Equal(SaPair.RightGatewayV6.GetAddressBytes(), wire[24..40]);
        }
        else
        {
            Assert.Equal(wire.Length, BinaryPrimitives.ReadUInt16BigEndian(wire.AsSpan(2)));
            Assert.Equal(udp ? 17 : 50, wire[9]);
            Assert.Equal(0, Checksum.Compute(wire.AsSpan(0, 20)));
            Assert.Equal(0xb8, wire[1]);
            Assert.Equal(SaPair.LeftGatewayV4.GetAddressBytes(), wire[12..16]);
            Assert.Equal(SaPair.RightGatewayV4.GetAddressBytes(), wire[16..20]);
        }
        if (udp)
        {
            Assert.Equal(UdpEncapsulation.Port, BinaryPrimitives.ReadUInt16BigEndian(wire.AsSpan(ipSize)));
            Assert.Equal(31000, BinaryPrimitives.ReadUInt16BigEndian(wire.AsSpan(ipSize + 2)));
            Assert.Equal(wire.Length - ipSize, BinaryPrimitives.ReadUInt16BigEndian(wire.AsSpan(ipSize + 4)));
        }
        var (reason, opened) = pair.Open(wire, Framing.IpPacket);
        Assert.Equal(DropReason.None, reason);
        Assert.Equal(TestPackets.Forwarded(inner), opened);
    }

    [Theory]
    [MemberData(nameof(SaPair.AllTransforms), MemberType = typeof(SaPair))]
    public void SealThenOpen_ManyPacketsOutOfOrder_AllOpenOnce(string keywords)
    {
        using var pair = SaPair.Create(keywords);
        var wires = new List<byte[]>();
        for (var i = 0; i < 200; i++)
            wires.Add(pair.Seal(TestPackets.Udp(i % 2 == 1, 100 + i)));

        var order = Enumerable.Range(0, wires.Count).OrderBy(i => (i * 37) % wires.Count).ToList();
        foreach (var i in order)
            Assert.Equal(DropReason.None, pair.Open(wires[i]).Reason);
        foreach (var i in order)
            Assert.Equal(DropReason.Replayed, pair.Open(wires[i]).Reason);
        Assert.Equal(200, pair.Inbound.Drops.Count(DropReason.Replayed));
    }

    [Theory]
    [MemberData(nameof(SaPair.AllTransforms), MemberType = typeof(SaPair))]
    public void Seal_TwoIdenticalPackets_GivesNewSequenceNumbersAndIvs(string keywords)
    {
        using var pair = SaPair.Create(keywords);
        var inner = TestPackets.Udp(false, 200);
        var ivSize = pair.Outbound.Transform.IvSize;

        var first = pair.Seal(inner);
        var second = pair.Seal(inner);

        if (ivSize > 0)
        {
            Assert.NotEqual(first.AsSpan(8, ivSize).ToArray(), second.AsSpan(8, ivSize).ToArray());
            Assert.NotEqual(first.AsSpan(8 + ivSize).ToArray(), second.AsSpan(8 + ivSize).ToArray());
        }
        else
        {
            // NULL encryption: the payload is readable and the same; the ICV covers the new sequence number.
            var icvSize = pair.Outbound.Transform.IcvSize;
            Assert.Equal(first.AsSpan(8, first.Length - 8 - icvSize).ToArray(), second.AsSpan(8, second.Length - 8 - icvSize).ToArray());
            Assert.NotEqual(first.AsSpan(first.Length - icvSize).ToArray(), second.AsSpan(second.Length - icvSize).ToArray());
        }
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32BigEndian(first.AsSpan(4)));
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32BigEndian(second.AsSpan(4)));
    }
}
