using System.Diagnostics;
using System.Globalization;
using System.Text;
using S2SEndpoint.Esp;

namespace S2SEndpoint.Bench;

// Several workers on one SA, as the gateway's data path runs with one worker per core and TUN multi-queue spreading
// the flows of one SA over them: each thread seals (or seals and then opens with the peer's inbound SA) its own
// buffer on the same SA pair for a fixed time, and the packet rates of 1 and of N threads are compared. A plain
// loop with a stopwatch, outside BenchmarkDotNet, which runs one thread: `bench/run.sh --parallel` prints the table.
internal static class ParallelSeal
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(2);
    private const int Repeats = 3;

    public static string Measure(string transform, int size, int maxThreads)
    {
        var text = new StringBuilder();
        var invariant = CultureInfo.InvariantCulture;
        text.AppendLine(invariant, $"One SA, {size}-octet {transform}, {Environment.ProcessorCount} cores, best of {Repeats} runs of {Duration.TotalSeconds:F0} s:");
        text.AppendLine("| threads | seal pkt/s | seal CPU ns/pkt | seal+open round trips/s | seal+open CPU ns/trip |");
        text.AppendLine("| ---: | ---: | ---: | ---: | ---: |");
        for (var threads = 1; threads <= maxThreads; threads++)
        {
            (double Rate, double Cpu) seal = (0, double.MaxValue), roundTrip = (0, double.MaxValue);
            for (var r = 0; r < Repeats; r++)
            {
                seal = Best(seal, Run(transform, size, threads, open: false));
                roundTrip = Best(roundTrip, Run(transform, size, threads, open: true));
            }
            text.AppendLine(invariant, $"| {threads} | {seal.Rate:N0} | {seal.Cpu:F0} | {roundTrip.Rate:N0} | {roundTrip.Cpu:F0} |");
        }
        text.AppendLine();
        text.AppendLine(invariant, $"Dispose guard alone, {maxThreads} threads entering and leaving one SA: shared reference count {GuardCost(maxThreads, shared: true):F1} ns, per-worker flag (WorkerTransforms) {GuardCost(maxThreads, shared: false):F1} ns per packet.");
        return text.ToString();
    }

    private const int GuardIterations = 20_000_000;

    /// <summary>
    /// The cost of the guard around a packet's cryptography, without the cryptography: an increment and decrement of one
    /// counter all threads share, against an exchange on a flag each thread owns plus a read of the shared closed flag.
    /// </summary>
    private static double GuardCost(int threads, bool shared)
    {
        var state = new GuardState(threads);
        var workers = new Thread[threads];
        using var gate = new Barrier(threads + 1);
        for (var t = 0; t < threads; t++)
        {
            var index = t;
            workers[t] = new Thread(() =>
            {
                ref var closed = ref state.Flags[threads * GuardState.Stride];
                gate.SignalAndWait();
                if (shared)
                {
                    for (var i = 0; i < GuardIterations; i++)
                    {
                        Interlocked.Increment(ref state.Shared);
                        if (Volatile.Read(ref closed) == 0)
                            Interlocked.Decrement(ref state.Shared);
                    }
                }
                else
                {
                    ref var own = ref state.Flags[index * GuardState.Stride];
                    for (var i = 0; i < GuardIterations; i++)
                    {
                        Interlocked.Exchange(ref own, 1);
                        if (Volatile.Read(ref closed) == 0)
                            Volatile.Write(ref own, 0);
                    }
                }
            });
            workers[t].Start();
        }
        gate.SignalAndWait();
        var watch = Stopwatch.StartNew();
        foreach (var worker in workers)
            worker.Join();
        return watch.Elapsed.TotalNanoseconds / GuardIterations;
    }

    private sealed class GuardState(int threads)
    {
        /// <summary>Ints per flag: one 128-octet stretch each, so no two threads' flags share a cache line.</summary>
        public const int Stride = 32;

        public int Shared;

        /// <summary>One flag per thread, and after them the SA's closed flag, never set here.</summary>
        public readonly int[] Flags = new int[(threads + 1) * Stride];
    }

    private static (double, double) Best((double Rate, double Cpu) a, (double Rate, double Cpu) b) =>
        (Math.Max(a.Rate, b.Rate), Math.Min(a.Cpu, b.Cpu));

    /// <summary>Packets per second of wall time, and CPU time of the whole process per packet (what a loaded machine's other jobs do not inflate).</summary>
    private static (double Rate, double Cpu) Run(string transform, int size, int threads, bool open)
    {
        var suite = BenchSetup.Suite(transform);
        using var keys = BenchSetup.Keys(suite);
        using var outbound = BenchSetup.CreateSa(suite, keys, SaDirection.Outbound);
        // A window as wide as allowed: a thread descheduled between its seal and its open must not see its packet refused.
        using var inbound = BenchSetup.CreateSa(suite, keys, SaDirection.Inbound, replayWindow: ReplayWindow.MaxSize);
        var table = new SaTable();
        table.AddInbound(inbound);
        var inner = BenchSetup.InnerPacket(size);
        var counts = new long[threads];
        var failures = 0L;
        var stop = false;
        using var ready = new CountdownEvent(threads);
        using var go = new ManualResetEventSlim();
        var workers = new Thread[threads];
        for (var t = 0; t < threads; t++)
        {
            var index = t;
            workers[t] = new Thread(() =>
            {
                var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
                for (var i = 0; i < 20_000; i++)
                    Once(outbound, table, buffer, inner, open);
                ready.Signal();
                go.Wait();
                long n = 0, failed = 0;
                while (!Volatile.Read(ref stop))
                {
                    for (var i = 0; i < 256; i++)
                    {
                        if (!Once(outbound, table, buffer, inner, open))
                            failed++;
                    }
                    n += 256;
                }
                counts[index] = n;
                Interlocked.Add(ref failures, failed);
            });
            workers[t].Start();
        }
        ready.Wait();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        go.Set();
        Thread.Sleep(Duration);
        Volatile.Write(ref stop, true);
        foreach (var worker in workers)
            worker.Join();
        var seconds = watch.Elapsed.TotalSeconds;
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        if (failures != 0)
            Console.Error.WriteLine($"{threads} threads, open {open}: {failures} packets dropped");
        var packets = counts.Sum();
        return (packets / seconds, cpu.TotalNanoseconds / packets);
    }

    private static bool Once(EspSa outbound, SaTable table, PacketBuffer buffer, byte[] inner, bool open)
    {
        buffer.Load(inner);
        if (Outbound.Seal(outbound, buffer) != DropReason.None)
            return false;
        return !open || Inbound.Open(table, buffer, out _) == DropReason.None;
    }
}
