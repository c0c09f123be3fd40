// Regression tests from a review of the ESP data plane (IV uniqueness under misuse, IPv6 outer UDP
// checksums, SAs disposed while a packet is in flight).
using System.Buffers.Binary;
using System.Collections.Concurrent;
using S2SEndpoint.Esp.Tests.Support;

namespace S2SEndpoint.Esp.Tests.Review;

public sealed class NonceTests
{
    /// <summary>
    /// RFC 4106 3.1: "the same IV value is used only once for a given key". The IV is sequence ^ mask and the sequence
    /// is a plain ++ (EspSa.cs:138): two TUN readers sealing on the policy's SA (both found it by TryGetOutbound) reuse IVs.
    /// </summary>
    [Fact]
    public void Seal_TwoThreadsOnOneOutboundSa_NeverRepeatAnIv()
    {
        using var pair = SaPair.Create("aes128gcm16", decrementInnerHopLimit: false);
        var inner = TestPackets.Udp(false, 64);
        var ivs = new ConcurrentDictionary<ulong, int>();
        var duplicates = 0;
        var crashes = 0;
        void Run()
        {
            var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
            for (var i = 0; i < 200_000; i++)
            {
                buffer.Load(inner);
                try
                {
                    if (Outbound.Seal(pair.Outbound, buffer) != DropReason.None)
                        continue;
                }
                catch (System.Security.Cryptography.CryptographicException)
                {
                    Interlocked.Increment(ref crashes);
                    continue;
                }
                var iv = BinaryPrimitives.ReadUInt64BigEndian(buffer.Data[8..]);
                if (!ivs.TryAdd(iv, 0))
                    Interlocked.Increment(ref duplicates);
            }
        }
        var a = new Thread(Run);
        var b = new Thread(Run);
        a.Start(); b.Start(); a.Join(); b.Join();
        // One thread seals on an SA (its cipher object is not shared, so crossing calls may fail), but even
        // then no IV may repeat under the key (RFC 4106 3.1).
        Assert.True(duplicates == 0, $"{duplicates} repeated IVs ({crashes} failed calls)");
    }
}
