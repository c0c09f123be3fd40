// Regression tests from a review of the ESP data plane (IV uniqueness under misuse, IPv6 outer UDP
// checksums, SAs disposed while a packet is in flight).
using System.Buffers.Binary;
using S2SEndpoint.Esp.Tests.Support;

namespace S2SEndpoint.Esp.Tests.Review;

public sealed class OuterAndLifecycleTests
{
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

    /// <summary>
    /// SaTable.cs: "The table never disposes an SA: whoever removes one disposes it once no packet is being processed
    /// with it" - yet nothing tells the remover when that is. Remove-then-dispose (an IKE delete) while the socket
    /// thread is inside Inbound.Open makes Open throw instead of returning a DropReason.
    /// </summary>
    [Fact]
    public void Open_ConcurrentWithRemoveAndDispose_NeverThrows()
    {
        Exception? escaped = null;
        for (var round = 0; round < 300 && escaped is null; round++)
        {
            var pair = SaPair.Create("aes128gcm16", seed: round + 1);
            var wire = pair.Seal(TestPackets.Udp(false, 1400));
            wire[^1] ^= 1;
            using var started = new ManualResetEventSlim();
            var stop = false;
            var reader = new Thread(() =>
            {
                var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
                try
                {
                    while (!Volatile.Read(ref stop))
                    {
                        buffer.Load(wire, 0);
                        Inbound.Open(pair.Table, buffer, out _);
                        started.Set();
                    }
                }
                catch (Exception e)
                {
                    escaped = e;
                    started.Set();
                }
            });
            reader.Start();
            started.Wait();
            pair.Table.RemoveInbound(pair.Inbound.Spi)?.Dispose();
            Volatile.Write(ref stop, true);
            reader.Join();
            pair.Outbound.Dispose();
        }
        Assert.Null(escaped);
    }
}
