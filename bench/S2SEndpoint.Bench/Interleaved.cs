using System.Diagnostics;
using System.Globalization;

namespace S2SEndpoint.Bench;

// A second look at the headline ratio, in one process: BenchmarkDotNet runs every benchmark in its own process, one
// after the other, so on a shared or virtual machine two neighbouring results can differ by a few percent for reasons
// that have nothing to do with the code. Here the ESP and the bare AEAD round trips alternate, 31 rounds of 30,000
// packets each after a warm-up, on the same objects the benchmarks use, and the medians are compared. The forged and
// valid opens get the same treatment: 101 alternating pairs of passes over ForgedOpenBenchmarks' ring, each pass with
// a new window; the ratio is the median of each pair's forged / valid, so that another process taking the core for a
// while spoils a few pairs rather than shifting one side.
internal static class Interleaved
{
    private const int Rounds = 31;
    private const int PacketsPerRound = 30_000;

    public static string Measure(string transform, int size)
    {
        var esp = new EspBenchmarks { Transform = transform, InnerSize = size };
        var bare = new BareAeadBenchmarks { Transform = transform, InnerSize = size };
        esp.Setup();
        bare.Setup();
        try
        {
            var espTimes = new double[Rounds];
            var bareTimes = new double[Rounds];
            for (var i = 0; i < 5; i++)
            {
                Time(esp, PacketsPerRound);
                Time(bare, PacketsPerRound);
            }
            for (var i = 0; i < Rounds; i++)
            {
                espTimes[i] = Time(esp, PacketsPerRound);
                bareTimes[i] = Time(bare, PacketsPerRound);
            }
            Array.Sort(espTimes);
            Array.Sort(bareTimes);
            var espMedian = espTimes[Rounds / 2];
            var bareMedian = bareTimes[Rounds / 2];
            return string.Create(CultureInfo.InvariantCulture,
                $"Interleaved in one process ({Rounds} alternating rounds of {PacketsPerRound} packets): {size}-octet {transform} ESP seal+open {espMedian:F0} ns, bare AEAD seal+open {bareMedian:F0} ns: ESP at {bareMedian / espMedian:P1} of the bare AEAD's throughput.");
        }
        finally
        {
            esp.Cleanup();
            bare.Cleanup();
        }
    }

    private const int ForgedPairs = 101;

    /// <summary>The medians, in ns per packet, of valid and of forged opens alternating in one process, and of their ratio per pair.</summary>
    public static (double Valid, double Forged, double Ratio) MeasureForged(string transform, int size)
    {
        var bench = new ForgedOpenBenchmarks { Transform = transform, InnerSize = size };
        bench.Setup();
        try
        {
            var valid = new double[ForgedPairs];
            var forged = new double[ForgedPairs];
            var ratios = new double[ForgedPairs];
            for (var i = 0; i < 10; i++)
            {
                TimePass(bench, forged: false);
                TimePass(bench, forged: true);
            }
            for (var i = 0; i < ForgedPairs; i++)
            {
                valid[i] = TimePass(bench, forged: false);
                forged[i] = TimePass(bench, forged: true);
                ratios[i] = forged[i] / valid[i];
            }
            Array.Sort(valid);
            Array.Sort(forged);
            Array.Sort(ratios);
            return (valid[ForgedPairs / 2], forged[ForgedPairs / 2], ratios[ForgedPairs / 2]);
        }
        finally
        {
            bench.Cleanup();
        }
    }

    private static double TimePass(ForgedOpenBenchmarks bench, bool forged)
    {
        bench.NewWindow();
        var watch = Stopwatch.StartNew();
        if (forged)
        {
            for (var i = 0; i < ForgedOpenBenchmarks.RingSize; i++)
                bench.Forged();
        }
        else
        {
            for (var i = 0; i < ForgedOpenBenchmarks.RingSize; i++)
                bench.Valid();
        }
        var nanoseconds = watch.Elapsed.TotalNanoseconds / ForgedOpenBenchmarks.RingSize;
        bench.CheckPass();
        return nanoseconds;
    }

    private static double Time(EspBenchmarks esp, int count)
    {
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
            esp.SealOpen();
        return watch.Elapsed.TotalNanoseconds / count;
    }

    private static double Time(BareAeadBenchmarks bare, int count)
    {
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
            bare.SealOpen();
        return watch.Elapsed.TotalNanoseconds / count;
    }
}
