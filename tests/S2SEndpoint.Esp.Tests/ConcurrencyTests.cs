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
}
