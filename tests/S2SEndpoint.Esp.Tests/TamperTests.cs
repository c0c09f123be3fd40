using System.Buffers.Binary;
using S2SEndpoint.Esp.Tests.Support;

namespace S2SEndpoint.Esp.Tests;

/// <summary>
/// A change of one bit anywhere in a sealed ESP packet is dropped, for every transform, with the reason of the
/// region it hits: the SPI finds no SA; a sequence number turned into 0 is a replay (0 is never sent); anywhere else
/// (sequence number, IV, ciphertext or plaintext of NULL, ICV) the ICV check fails. The original still opens after.
/// </summary>
public sealed class TamperTests
{
    [Theory]
    [MemberData(nameof(SaPair.AllTransforms), MemberType = typeof(SaPair))]
    public void Open_AnyOneBitFlipped_DropsWithTheReasonOfItsRegion(string keywords)
    {
        using var pair = SaPair.Create(keywords);
        var sealedPacket = pair.Seal(TestPackets.Udp(false, 90));
        var sequence = BinaryPrimitives.ReadUInt32BigEndian(sealedPacket.AsSpan(4));

        for (var bit = 0; bit < sealedPacket.Length * 8; bit++)
        {
            var tampered = (byte[])sealedPacket.Clone();
            tampered[bit / 8] ^= (byte)(0x80 >> (bit % 8));
            var expected = (bit / 8) switch
            {
                < 4 => DropReason.UnknownSpi,
                < 8 when BinaryPrimitives.ReadUInt32BigEndian(tampered.AsSpan(4)) == 0 => DropReason.Replayed,
                _ => DropReason.IcvMismatch,
            };

            Assert.True(expected == pair.Open(tampered).Reason, $"{keywords}: bit {bit} of {sealedPacket.Length * 8} (sequence number {sequence})");
        }

        Assert.Equal(DropReason.None, pair.Open(sealedPacket).Reason);
        Assert.Equal(32, pair.Table.Drops.Count(DropReason.UnknownSpi));
        Assert.Equal(1, pair.Inbound.Drops.Count(DropReason.Replayed));
        Assert.Equal((sealedPacket.Length - 8) * 8 + 31, pair.Inbound.Drops.Count(DropReason.IcvMismatch));
    }

    [Theory]
    [MemberData(nameof(SaPair.AllTransforms), MemberType = typeof(SaPair))]
    public void Open_AnyOneBitFlippedInTheOuterIpv4Header_DropsAsMalformedOuter(string keywords)
    {
        using var pair = SaPair.Create(keywords);
        var sealedPacket = pair.Seal(TestPackets.Udp(false, 90), Framing.IpPacket);

        for (var bit = 0; bit < 20 * 8; bit++)
        {
            var tampered = (byte[])sealedPacket.Clone();
            tampered[bit / 8] ^= (byte)(0x80 >> (bit % 8));

            // The header checksum catches every single-bit change; a changed version or length is refused before it.
            Assert.Equal(DropReason.MalformedOuter, pair.Open(tampered, Framing.IpPacket).Reason);
        }
        Assert.Equal(DropReason.None, pair.Open(sealedPacket, Framing.IpPacket).Reason);
    }

    [Theory]
    [MemberData(nameof(SaPair.AllTransforms), MemberType = typeof(SaPair))]
    public void Open_CutShortAnywhere_DropsAsTruncatedMisalignedOrIcvMismatch(string keywords)
    {
        using var pair = SaPair.Create(keywords);
        var sealedPacket = pair.Seal(TestPackets.Udp(false, 90));
        var transform = pair.Inbound.Transform;

        for (var length = 0; length < sealedPacket.Length; length++)
        {
            var text = length - 8 - transform.IvSize - transform.IcvSize;
            var expected = text < 2 ? DropReason.Truncated
                : transform.RequiresWholeBlocks && text % transform.BlockSize != 0 ? DropReason.Misaligned
                : DropReason.IcvMismatch;

            Assert.True(expected == pair.Open(sealedPacket[..length]).Reason, $"{keywords}: cut to {length} of {sealedPacket.Length}");
        }
        Assert.Equal(DropReason.None, pair.Open(sealedPacket).Reason);
    }
}
