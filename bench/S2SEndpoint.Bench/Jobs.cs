using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using Perfolizer.Horology;

namespace S2SEndpoint.Bench;

// The jobs of bench/run.sh. Short, for the 78 per-transform benchmarks: one process each, 3 warm-up and 20
// measured iterations of 120 ms. Headline, for the ESP-versus-bare comparison the issue sets a target for: the same
// iterations in 5 processes each, because on a virtual machine one process can run the same code several percent
// faster or slower than the next, and the median over 5 processes is what the README quotes. Ring, for the
// valid-versus-forged open: every iteration opens the same ring of sealed packets once, with a new window set up
// before it (untimed), in 3 processes each.

/// <summary>One process per benchmark: the whole table within minutes.</summary>
public sealed class ShortConfig : ManualConfig
{
    public ShortConfig() => AddJob(Measured(Job.Default.WithId("Short")).WithLaunchCount(1));

    internal static Job Measured(Job job) => job
        .WithWarmupCount(3)
        .WithIterationCount(20)
        .WithIterationTime(TimeInterval.FromMilliseconds(120))
        .WithEvaluateOverhead(false);
}

/// <summary>Five processes per benchmark, for the headline ratio.</summary>
public sealed class HeadlineConfig : ManualConfig
{
    public HeadlineConfig() => AddJob(ShortConfig.Measured(Job.Default.WithId("Headline")).WithLaunchCount(5));
}

/// <summary>
/// Three processes per benchmark, each iteration exactly one pass over ForgedOpenBenchmarks' ring of packets: a
/// sequence number opens once per window, and the window is renewed between iterations.
/// </summary>
public sealed class ForgedConfig : ManualConfig
{
    public ForgedConfig() => AddJob(Job.Default.WithId("Ring")
        .WithWarmupCount(3)
        .WithIterationCount(30)
        .WithInvocationCount(ForgedOpenBenchmarks.RingSize)
        .WithUnrollFactor(1)
        .WithEvaluateOverhead(false)
        .WithLaunchCount(3));
}
