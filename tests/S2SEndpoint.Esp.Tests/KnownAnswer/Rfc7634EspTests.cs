using System.Buffers.Binary;
using System.Net;
using S2SEndpoint.Esp.Tests.Support;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using Example = S2SEndpoint.Ike.Tests.Vectors.CipherVectors.Rfc7634.EspExample;

namespace S2SEndpoint.Esp.Tests.KnownAnswer;

/// <summary>
/// RFC 7634 Appendix A: a tunnel-mode ESP packet protected with ChaCha20-Poly1305, outer IPv4 header included,
/// sealed from its source packet and opened back, through the whole outbound and inbound paths.
/// </summary>
public sealed class Rfc7634EspTests
{
    private static readonly ChildSuite Suite = new(EncryptionTransform.ChaCha20Poly1305, null, KeyExchangeMethod.None, false);

    private static EspSaSettings Settings(SaDirection direction)
    {
        var gatewayA = IPAddress.Parse("203.0.113.153");
        var gatewayB = IPAddress.Parse("203.0.113.5");
        var outbound = direction == SaDirection.Outbound;
        IReadOnlyList<TrafficSelector> sourceSide = [TrafficSelector.FromPrefix(IPAddress.Parse("198.51.100.0"), 24)];
        IReadOnlyList<TrafficSelector> destinationSide = [TrafficSelector.FromPrefix(IPAddress.Parse("192.0.2.0"), 24)];
        return new EspSaSettings
        {
            Spi = BinaryPrimitives.ReadUInt32BigEndian(Convert.FromHexString(Example.Spi)),
            Direction = direction,
            LocalAddress = outbound ? gatewayA : gatewayB,
            RemoteAddress = outbound ? gatewayB : gatewayA,
            LocalSelectors = outbound ? sourceSide : destinationSide,
            RemoteSelectors = outbound ? destinationSide : sourceSide,
            // The example's inner TTL is 64 before and after: the packet is protected as it was handed over.
            DecrementInnerHopLimit = false,
        };
    }

    [Fact]
    public void Seal_AppendixASourcePacket_GivesThePublishedPacket()
    {
        // The IV is the sequence number XORed with the SA's mask: a mask of IV ^ 5 makes sequence number 5 carry it.
        var mask = BinaryPrimitives.ReadUInt64BigEndian(Convert.FromHexString(Example.Iv)) ^ 5;
        var random = FixedRandom.Stream(mask.ToString("x16", System.Globalization.CultureInfo.InvariantCulture) + "2345");
        using var sa = EspSa.Create(Settings(SaDirection.Outbound), Suite, Convert.FromHexString(Example.Keymat), [], random);
        sa.SetLastSequenceNumber(4);
        var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
        buffer.Load(Convert.FromHexString(Example.SourcePacket));

        Assert.Equal(DropReason.None, Outbound.Seal(sa, buffer, Framing.IpPacket));

        Assert.Equal(Example.FullPacket, Convert.ToHexStringLower(buffer.Data));
    }

    [Theory]
    [InlineData(Framing.IpPacket, Example.FullPacket)]
    [InlineData(Framing.EspPacket, Example.EspPacket)]
    public void Open_AppendixAPacket_GivesTheSourcePacket(Framing framing, string packet)
    {
        using var sa = EspSa.Create(Settings(SaDirection.Inbound), Suite, Convert.FromHexString(Example.Keymat), []);
        var table = new SaTable();
        table.AddInbound(sa);
        var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
        buffer.Load(Convert.FromHexString(packet), 0);

        Assert.Equal(DropReason.None, Inbound.Open(table, buffer, framing, out _));

        Assert.Equal(Example.SourcePacket, Convert.ToHexStringLower(buffer.Data));
        Assert.Equal(5UL, sa.LastSequenceNumber);
    }
}
