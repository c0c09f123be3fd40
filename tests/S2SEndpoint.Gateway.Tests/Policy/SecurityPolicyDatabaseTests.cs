using System.Buffers.Binary;
using System.Net;
using S2SEndpoint.Gateway.Policy;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Gateway.Tests.Policy;

/// <summary>
/// The outbound policies (RFC 4301 4.4.1) read packets with the ESP path's IP header reader: the first policy that holds
/// a packet wins, installed ones before traps, and each change makes a new database while readers keep theirs.
/// </summary>
public sealed class SecurityPolicyDatabaseTests
{
    private static TrafficSelector Prefix(string network, int length, byte protocol = 0) =>
        TrafficSelector.FromPrefix(IPAddress.Parse(network), length, ipProtocol: protocol);

    /// <summary>An IPv6 TCP packet from fd00:1::5 port 40000 to fd00:2::7 port 443 behind one hop-by-hop options header.</summary>
    private static byte[] Ipv6TcpBehindHopByHop()
    {
        var packet = new byte[40 + 8 + 20];
        packet[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)(packet.Length - 40));
        packet[6] = 0;   // Next Header: hop-by-hop options
        packet[7] = 64;
        IPAddress.Parse("fd00:1::5").TryWriteBytes(packet.AsSpan(8), out _);
        IPAddress.Parse("fd00:2::7").TryWriteBytes(packet.AsSpan(24), out _);
        packet[40] = 6;  // then TCP; Hdr Ext Len 0: 8 octets
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(48), 40000);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(50), 443);
        return packet;
    }

    [Fact]
    public void TryLookup_Ipv6TcpBehindAHopByHopHeader_MatchesTheTcpPolicy()
    {
        var spd = SecurityPolicyDatabase.Empty
            .Add(1, 0x1000, [Prefix("fd00:1::", 64)], [Prefix("fd00:2::", 64, protocol: 17)])
            .Add(2, 0x2000, [Prefix("fd00:1::", 64)], [Prefix("fd00:2::", 64, protocol: 6)]);

        Assert.True(spd.TryLookup(Ipv6TcpBehindHopByHop(), out var reqId));
        Assert.Equal(2u, reqId);
    }

    [Fact]
    public void TryLookup_InstalledPolicyAndTrap_TheInstalledOneWinsWhicheverCameFirst()
    {
        var spd = SecurityPolicyDatabase.Empty
            .AddTrap(7, [Prefix("10.1.0.0", 24)], [Prefix("10.2.0.0", 16)])
            .Add(3, 0x3000, [Prefix("10.1.0.0", 24)], [Prefix("10.2.0.0", 24)]);
        var ping = Core.InProcessGatewayTests.Ping("10.1.0.5", "10.2.0.7");

        Assert.True(spd.TryLookup(ping, out var reqId));
        Assert.Equal(3u, reqId);
        Assert.True(spd.Remove(0x3000).TryLookup(ping, out reqId));
        Assert.Equal(7u, reqId);
        Assert.False(spd.Remove(0x3000).RemoveTrap(7).TryLookup(ping, out _));
    }

    [Fact]
    public void Add_MakesANewDatabase_AReaderOfTheOldOneSeesNoChange()
    {
        var before = SecurityPolicyDatabase.Empty.Add(1, 0x1000, [Prefix("10.1.0.0", 24)], [Prefix("10.2.0.0", 24)]);
        var after = before.Add(2, 0x2000, [Prefix("10.1.0.0", 24)], [Prefix("10.9.0.0", 24)]);
        var ping = Core.InProcessGatewayTests.Ping("10.1.0.5", "10.9.0.1");

        Assert.False(before.TryLookup(ping, out _));
        Assert.True(after.TryLookup(ping, out _));
        Assert.Equal((1, 2), (before.Count, after.Count));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(19)]
    public void TryLookup_PacketShorterThanAnIpHeader_MatchesNothing(int length)
    {
        var spd = SecurityPolicyDatabase.Empty.Add(1, 0x1000, [Prefix("0.0.0.0", 0)], [Prefix("0.0.0.0", 0)]);

        Assert.False(spd.TryLookup(Core.InProcessGatewayTests.Ping("10.1.0.5", "10.2.0.7").AsSpan(0, length), out _));
    }

    /// <summary>A policy whose remote selector names TCP (remote_ts = 10.2.0.0/24[tcp]) holds TCP packets and no others.</summary>
    [Fact]
    public void TryLookup_ProtocolSelector_MatchesOnlyThatProtocol()
    {
        var spd = SecurityPolicyDatabase.Empty.Add(1, 0x1000, [TrafficSelector.FromPrefix(IPAddress.Parse("10.1.0.0"), 24)], [TrafficSelector.FromPrefix(IPAddress.Parse("10.2.0.0"), 24, ipProtocol: 6)]);
        Assert.True(spd.TryLookup(false, 0x0A010005, 0x0A020007, 6, 40000, 443, out _));
        Assert.False(spd.TryLookup(false, 0x0A010005, 0x0A020007, 17, 40000, 53, out _));
    }

    /// <summary>
    /// Selectors read from the configuration as swanctl writes them: local_ts 10.1.0.0/24, remote_ts 10.2.0.0/24[tcp/443] for
    /// one child and 10.2.0.0/24[udp/1024-65535] for another. A flow goes to the child whose selectors hold its protocol
    /// and destination port (the remote side's); the rest to none.
    /// </summary>
    [Theory]
    [InlineData(6, 40000, 443, 1u)]
    [InlineData(6, 40000, 80, null)]
    [InlineData(17, 40000, 1024, 2u)]
    [InlineData(17, 40000, 65535, 2u)]
    [InlineData(17, 40000, 53, null)]
    [InlineData(6, 40000, 1024, null)]
    public void TryLookup_PortSelectorsFromTheConfiguration_TheChildWhosePortsHoldTheFlow(byte protocol, int sourcePort, int destinationPort, uint? expected)
    {
        static TrafficSelector Parse(string text)
        {
            var list = new List<TrafficSelector>();
            Assert.True(Gateway.Config.SelectorText.TryParse(text, list, out var problem), problem);
            return Assert.Single(list);
        }
        var spd = SecurityPolicyDatabase.Empty
            .Add(1, 0x1000, [Parse("10.1.0.0/24")], [Parse("10.2.0.0/24[tcp/443]")])
            .Add(2, 0x2000, [Parse("10.1.0.0/24")], [Parse("10.2.0.0/24[udp/1024-65535]")]);

        var found = spd.TryLookup(false, 0x0A010005, 0x0A020007, protocol, sourcePort, destinationPort, out var reqId);

        Assert.Equal(expected, found ? reqId : null);
    }
}
