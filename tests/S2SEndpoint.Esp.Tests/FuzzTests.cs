using S2SEndpoint.Esp.Tests.Support;

namespace S2SEndpoint.Esp.Tests;

/// <summary>
/// Deterministic fuzzing of every parser of packet bytes: random datagrams and mutations of real ones go through the
/// inbound path (both framings), the UDP classifier and the outbound path. Nothing may throw; every packet ends with a
/// DropReason, and a mutated packet that still opens must be the packet that was sealed.
/// </summary>
public sealed class FuzzTests
{
    private const int Iterations = 4000;

    [Theory]
    [InlineData("aes256gcm16-esn", false)]
    [InlineData("aes128-sha256", true)]
    [InlineData("null-sha1", false)]
    public void Open_RandomAndMutatedDatagrams_NeverThrow(string keywords, bool ipv6)
    {
        using var pair = SaPair.Create(keywords, outerIpv6: ipv6, udp: true);
        var random = new Random(keywords.Length);
        var inner = TestPackets.Udp(ipv6, 120);
        var forwarded = TestPackets.Forwarded(inner);
        for (var i = 0; i < Iterations; i++)
        {
            var framing = i % 2 == 0 ? Framing.EspPacket : Framing.IpPacket;
            var datagram = pair.Seal(inner, framing);
            var mutated = Mutate(random, datagram, i);

            var (reason, opened) = pair.Open(mutated, framing);

            if (reason == DropReason.None)
                Assert.Equal(forwarded, opened);
            UdpEncapsulation.Classify(mutated);
        }
    }

    [Fact]
    public void Seal_RandomInnerPackets_NeverThrow()
    {
        using var pair = SaPair.Create("aes256gcm16");
        var random = new Random(5);
        var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
        for (var i = 0; i < Iterations; i++)
        {
            var inner = Mutate(random, TestPackets.Udp(i % 2 == 1, 40 + random.Next(200)), i);
            buffer.Load(inner);

            var reason = Outbound.Seal(pair.Outbound, buffer, (Framing)(i % 2));

            Assert.True(Enum.IsDefined(reason));
        }
    }

    private static byte[] Mutate(Random random, byte[] packet, int round)
    {
        switch (round % 5)
        {
            case 0:
                var noise = new byte[random.Next(0, 200)];
                random.NextBytes(noise);
                return noise;
            case 1:
                return packet[..random.Next(packet.Length)];
            default:
                var copy = (byte[])packet.Clone();
                for (var flips = random.Next(1, 4); flips > 0; flips--)
                    copy[random.Next(copy.Length)] = (byte)random.Next(256);
                return copy;
        }
    }
}
