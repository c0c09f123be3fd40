using System.Buffers.Binary;
using S2SEndpoint.Esp.Tests.Support;
using S2SEndpoint.Esp.Transforms;

namespace S2SEndpoint.Esp.Tests;

/// <summary>
/// Several workers on one SA without a lock: each seals with its own transform and all draw from one sequence counter;
/// each opens with its own transform and all share one replay window, so a packet delivered to several workers at once
/// is accepted by exactly one; disposing the SA under load drops packets as Expired; and after a worker's first packet
/// nothing is allocated per packet.
/// </summary>
public sealed class WorkerConcurrencyTests
{
    private const int Workers = 4;

    public static TheoryData<string> Families() => new()
    {
        "aes128gcm16", "chacha20poly1305-esn", "aes128-sha1", "aes256-sha256-esn", "null-sha256",
    };

    [Theory]
    [MemberData(nameof(Families))]
    public void Seal_WorkersOnOneSa_EverySequenceNumberOnceAndEveryPacketOpens(string keywords)
    {
        const int perWorker = 1500;
        using var pair = SaPair.Create(keywords, decrementInnerHopLimit: false, windowSize: ReplayWindow.MaxSize);
        var inner = TestPackets.Udp(false, 300);
        var wires = new byte[Workers][][];
        RunWorkers(worker =>
        {
            var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
            wires[worker] = new byte[perWorker][];
            for (var i = 0; i < perWorker; i++)
            {
                buffer.Load(inner);
                Assert.Equal(DropReason.None, Outbound.Seal(pair.Outbound, buffer));
                wires[worker][i] = buffer.Data.ToArray();
            }
        });

        var all = wires.SelectMany(w => w).ToArray();
        var sequences = all.Select(w => BinaryPrimitives.ReadUInt32BigEndian(w.AsSpan(4))).Order().ToArray();
        Assert.Equal(Enumerable.Range(1, Workers * perWorker).Select(n => (uint)n), sequences);
        Assert.Equal((ulong)all.Length, pair.Outbound.LastSequenceNumber);
        foreach (var wire in all)
        {
            var (reason, opened) = pair.Open(wire);
            Assert.Equal(DropReason.None, reason);
            Assert.Equal(inner, opened);
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Open_WorkersGivenTheSamePackets_EachAcceptedExactlyOnce(string keywords)
    {
        const int packets = 3000;
        using var pair = SaPair.Create(keywords, decrementInnerHopLimit: false, windowSize: ReplayWindow.MaxSize);
        var inner = TestPackets.Udp(false, 200);
        var wires = Enumerable.Range(0, packets).Select(_ => pair.Seal(inner)).ToArray();
        var accepted = new int[packets + 1];
        RunWorkers(worker =>
        {
            // Every worker opens every packet, each in its own order, so that the workers meet on the same numbers.
            var order = Enumerable.Range(0, packets).ToArray();
            new Random(worker).Shuffle(order);
            if (worker == 0)
                order = [.. Enumerable.Range(0, packets)];
            var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
            foreach (var i in order)
            {
                buffer.Load(wires[i], 0);
                var reason = Inbound.Open(pair.Table, buffer, out _);
                if (reason == DropReason.None)
                {
                    Assert.Equal(inner, buffer.Data.ToArray());
                    Interlocked.Increment(ref accepted[i + 1]);
                }
                else
                {
                    Assert.Equal(DropReason.Replayed, reason);
                }
            }
        });

        Assert.All(accepted.Skip(1), count => Assert.Equal(1, count));
        Assert.Equal((ulong)packets, pair.Inbound.Packets);
        Assert.Equal((ulong)(packets * inner.Length), pair.Inbound.Bytes);
        Assert.Equal((long)(Workers - 1) * packets, pair.Inbound.Drops.Count(DropReason.Replayed));
        Assert.Equal((long)(Workers - 1) * packets, pair.Inbound.Drops.Total);
        Assert.Equal((ulong)packets, pair.Inbound.LastSequenceNumber);
    }

    [Fact]
    public void Open_WorkersRacingThroughANarrowWindow_NothingAcceptedTwiceAndCountsAddUp()
    {
        const int packets = 4000;
        using var pair = SaPair.Create("aes128gcm16", decrementInnerHopLimit: false, windowSize: 64);
        var inner = TestPackets.Udp(false, 100);
        var wires = Enumerable.Range(0, packets).Select(_ => pair.Seal(inner)).ToArray();
        var accepted = new int[packets];
        RunWorkers(worker =>
        {
            var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
            for (var i = 0; i < packets; i++)
            {
                buffer.Load(wires[i], 0);
                if (Inbound.Open(pair.Table, buffer, out _) == DropReason.None)
                    Interlocked.Increment(ref accepted[i]);
            }
        });

        Assert.All(accepted, count => Assert.InRange(count, 0, 1));
        var total = accepted.Sum();
        Assert.Equal((ulong)total, pair.Inbound.Packets);
        Assert.Equal((long)Workers * packets - total, pair.Inbound.Drops.Count(DropReason.Replayed));
        Assert.Equal(1, accepted[^1]);
    }

    [Theory]
    [InlineData("aes256gcm16", false)]
    [InlineData("aes128-sha1", false)]
    [InlineData("chacha20poly1305", true)]
    [InlineData("aes256-sha256", true)]
    public void Dispose_WhileWorkersSealOrOpen_DropsAsExpiredNeverThrows(string keywords, bool inbound)
    {
        for (var round = 0; round < 5; round++)
        {
            using var pair = SaPair.Create(keywords, decrementInnerHopLimit: false, windowSize: ReplayWindow.MaxSize, seed: round + 1);
            var inner = TestPackets.Udp(false, 200);
            var reasons = new List<DropReason>[Workers];
            using var started = new CountdownEvent(Workers);
            var threads = Enumerable.Range(0, Workers).Select(worker => new Thread(() =>
            {
                var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
                var seen = reasons[worker] = [];
                // Until the SA is gone (bounded, in case it never goes): inbound, round trips through the peer's SA.
                for (var i = 0; i < 1_000_000 && (seen.Count == 0 || seen[^1] == DropReason.None); i++)
                {
                    if (i == 10)
                        started.Signal();
                    buffer.Load(inner);
                    var reason = Outbound.Seal(pair.Outbound, buffer);
                    if (inbound && reason == DropReason.None)
                        reason = Inbound.Open(pair.Table, buffer, out _);
                    seen.Add(reason);
                }
            })).ToArray();
            foreach (var thread in threads)
                thread.Start();
            started.Wait();
            (inbound ? pair.Inbound : pair.Outbound).Dispose();
            foreach (var thread in threads)
                thread.Join();

            Assert.All(reasons, seen =>
            {
                Assert.All(seen.SkipLast(1), r => Assert.Equal(DropReason.None, r));
                Assert.Equal(DropReason.Expired, seen[^1]);
            });
        }
    }

    [Theory]
    [InlineData("aes128gcm16")]
    [InlineData("aes128-sha256-esn")]
    public void SealAndOpen_TwoWorkersAfterWarmUp_AllocateNothing(string keywords)
    {
        using var pair = SaPair.Create(keywords, decrementInnerHopLimit: false, windowSize: ReplayWindow.MaxSize);
        var inner = TestPackets.Udp(false, 1000);
        var allocated = new long[2];
        RunWorkers(worker =>
        {
            var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
            RoundTrips(pair, buffer, inner, 300);
            // As in AllocationTests: a recompilation may allocate once; a per-packet allocation shows in every round.
            long bytes = -1;
            for (var round = 0; round < 3 && bytes != 0; round++)
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                RoundTrips(pair, buffer, inner, 2000);
                bytes = GC.GetAllocatedBytesForCurrentThread() - before;
            }
            allocated[worker] = bytes;
        }, workers: 2);

        Assert.Equal([0L, 0L], allocated);
    }

    [Fact]
    public void WorkerSlot_ThreadsThatEnded_GiveTheirNumbersBack()
    {
        var highest = 0;
        for (var i = 0; i < 100; i++)
        {
            var thread = new Thread(() => highest = Math.Max(highest, WorkerSlot.Current));
            thread.Start();
            thread.Join();
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        // Other tests run alongside and hold numbers too; without reuse the hundred threads alone would reach 100.
        Assert.InRange(highest, 0, 63);
    }

    private static void RoundTrips(SaPair pair, PacketBuffer buffer, byte[] inner, int count)
    {
        for (var i = 0; i < count; i++)
        {
            buffer.Load(inner);
            var sealedReason = Outbound.Seal(pair.Outbound, buffer);
            var openedReason = Inbound.Open(pair.Table, buffer, out _);
            if (sealedReason != DropReason.None || openedReason != DropReason.None)
                Assert.Fail($"round trip {i}: {sealedReason}, {openedReason}");
        }
    }

    /// <summary>Runs <paramref name="body"/> on dedicated threads released together; rethrows what any of them threw.</summary>
    private static void RunWorkers(Action<int> body, int workers = Workers)
    {
        using var gate = new Barrier(workers);
        var failures = new Exception?[workers];
        var threads = Enumerable.Range(0, workers).Select(worker => new Thread(() =>
        {
            try
            {
                gate.SignalAndWait();
                body(worker);
            }
            catch (Exception e)
            {
                failures[worker] = e;
            }
        })).ToArray();
        foreach (var thread in threads)
            thread.Start();
        foreach (var thread in threads)
            thread.Join();
        var first = Array.Find(failures, f => f is not null);
        if (first is not null)
            throw new AggregateException(first);
    }
}
