using BenchmarkDotNet.Attributes;

namespace S2SEndpoint.Bench;

/// <summary>
/// The target of the issue: ESP seal+open of a 1400-octet inner packet with AES-256-GCM against the bare AesGcm
/// seal+open on the same buffer (the baseline), each measured in five processes; BenchmarkDotNet's Ratio column is
/// ESP time over bare time.
/// </summary>
[Config(typeof(HeadlineConfig))]
public class HeadlineBenchmarks
{
    public const string Transform = "aes256gcm16";
    public const int InnerSize = 1400;

    private readonly EspBenchmarks _esp = new() { Transform = Transform, InnerSize = InnerSize };
    private readonly BareAeadBenchmarks _bare = new() { Transform = Transform, InnerSize = InnerSize };

    [GlobalSetup]
    public void Setup()
    {
        _esp.Setup();
        _bare.Setup();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _esp.Cleanup();
        _bare.Cleanup();
    }

    [Benchmark(Baseline = true)]
    public void BareAeadSealOpen() => _bare.SealOpen();

    [Benchmark]
    public void EspSealOpen() => _esp.SealOpen();
}
