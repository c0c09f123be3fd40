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
        text.AppendLine("| threads | seal pkt/s | seal+open round trips/s |");
        text.AppendLine("| ---: | ---: | ---: |");
        for (var threads = 1; threads <= maxThreads; threads++)
        {
            double seal = 0, roundTrip = 0;
            for (var r = 0; r < Repeats; r++)
            {
                seal = Math.Max(seal, Run(transform, size, threads, open: false));
                roundTrip = Math.Max(roundTrip, Run(transform, size, threads, open: true));
            }
            text.AppendLine(invariant, $"| {threads} | {seal:N0} | {roundTrip:N0} |");
        }
        return text.ToString();
    }

    private static double Run(string transform, int size, int threads, bool open)
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
        var watch = Stopwatch.StartNew();
        go.Set();
        Thread.Sleep(Duration);
        Volatile.Write(ref stop, true);
        foreach (var worker in workers)
            worker.Join();
        var seconds = watch.Elapsed.TotalSeconds;
        if (failures != 0)
            Console.Error.WriteLine($"{threads} threads, open {open}: {failures} packets dropped");
        return counts.Sum() / seconds;
    }

    private static bool Once(EspSa outbound, SaTable table, PacketBuffer buffer, byte[] inner, bool open)
    {
        buffer.Load(inner);
        if (Outbound.Seal(outbound, buffer) != DropReason.None)
            return false;
        return !open || Inbound.Open(table, buffer, out _) == DropReason.None;
    }
}
