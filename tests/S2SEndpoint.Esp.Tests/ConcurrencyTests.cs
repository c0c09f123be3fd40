using System.Buffers.Binary;
using System.Collections.Concurrent;
using S2SEndpoint.Esp.Tests.Support;

namespace S2SEndpoint.Esp.Tests;

/// <summary>
/// Several workers seal with one SA and open with its peer at once, as the gateway's data path does with
/// one worker per core: every packet gets its own sequence number, every packet opens, the counters add up,
/// and an SA disposed under load drops packets as Expired instead of throwing.
/// </summary>
public sealed class ConcurrencyTests
{
    private const int Workers = 4;
    private const int PacketsPerWorker = 2000;

    [Theory]
    [InlineData("aes256gcm16")]
    [InlineData("chacha20poly1305")]
    [InlineData("aes128-sha1")]
    public void ManyWorkers_SealAndOpen_OneSa_EveryPacketOnceAndIntact(string keywords)
    {
        // A window wider than the whole run: a worker descheduled between its seal and its open may see others
        // move far ahead, which with a narrow window would (rightly) make its packet a replay.
        using var pair = SaPair.Create(keywords, udp: true, decrementInnerHopLimit: false, windowSize: ReplayWindow.MaxSize);
        var inner = TestPackets.Udp(false, 1200);
        var sequences = new System.Collections.Concurrent.ConcurrentBag<uint>();
        var failures = 0;

        Parallel.For(0, Workers, new ParallelOptions { MaxDegreeOfParallelism = Workers }, _ =>
        {
            var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
            for (var i = 0; i < PacketsPerWorker; i++)
            {
                buffer.Load(inner);
                if (Outbound.Seal(pair.Outbound, buffer) != DropReason.None)
                {
                    Interlocked.Increment(ref failures);
                    continue;
                }
                sequences.Add(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(buffer.Data[4..]));
                if (Inbound.Open(pair.Table, buffer, out EspSa? _) != DropReason.None || !buffer.Data.SequenceEqual(inner))
                    Interlocked.Increment(ref failures);
            }
        });

        const int total = Workers * PacketsPerWorker;
        Assert.Equal(0, failures);
        Assert.Equal(total, sequences.Distinct().Count());
        Assert.Equal((ulong)total, pair.Outbound.Packets);
        Assert.Equal((ulong)total, pair.Inbound.Packets);
        Assert.Equal((ulong)(total * inner.Length), pair.Inbound.Bytes);
    }

    [Fact]
    public async Task SaDisposedWhileWorkersSeal_DropsAsExpired_NeverThrows()
    {
        using var pair = SaPair.Create("aes256gcm16", udp: true, decrementInnerHopLimit: false);
        var inner = TestPackets.Udp(false, 200);
        var reasons = new System.Collections.Concurrent.ConcurrentBag<DropReason>();
        using var started = new CountdownEvent(Workers);

        var workers = Enumerable.Range(0, Workers).Select(_ => Task.Run(() =>
        {
            var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
            started.Signal();
            // Until the SA is gone (bounded, in case it never goes).
            for (var i = 0; i < 1_000_000; i++)
            {
                buffer.Load(inner);
                var reason = Outbound.Seal(pair.Outbound, buffer);
                reasons.Add(reason);
                if (reason != DropReason.None)
                    return;
            }
        })).ToArray();
        started.Wait();
        pair.Outbound.Dispose();
        await Task.WhenAll(workers);

        Assert.All(reasons, r => Assert.True(r is DropReason.None or DropReason.Expired, r.ToString()));
        Assert.Contains(DropReason.Expired, reasons);
    }

    /// <summary>
    /// RFC 4106 3.1: "the same IV value is used only once for a given key". The IV is the sequence number XOR a mask,
    /// so two TUN readers sealing on the policy's one outbound SA at once must never take the same sequence number.
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
        // Each thread seals with its own transform of the SA, sharing the IV mask and the sequence counter: no call
        // fails and no IV repeats under the key (RFC 4106 3.1).
        Assert.True(duplicates == 0 && crashes == 0, $"{duplicates} repeated IVs ({crashes} failed calls)");
    }

    /// <summary>
    /// An SA removed from the table and disposed (an IKE delete) while the socket thread is inside Inbound.Open:
    /// Open returns a DropReason and never throws.
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
