using S2SEndpoint.Fuzz.Targets;

namespace S2SEndpoint.Gateway.Tests.Fuzz;

/// <summary>
/// The committed AFL++ corpora of the configuration and TUN offload fuzz targets (fuzz/corpus/config and
/// fuzz/corpus/tun-offload, minimized by fuzz/run.sh), replayed through the same target code the harness runs: every
/// input keeps the target's properties.
/// </summary>
public sealed class CorpusReplayTests
{
    [Fact]
    public void Replay_CommittedConfigCorpus_KeepsEveryProperty()
    {
        var files = FuzzCorpus.Files(ConfigTarget.Name);

        var failures = FuzzCorpus.Replay(ConfigTarget.Run, files);

        Assert.NotEmpty(files);
        Assert.True(failures.Count == 0, $"{failures.Count} of {files.Length} inputs failed:{Environment.NewLine}{string.Join(Environment.NewLine, failures.Take(5))}");
    }

    [Fact]
    public void Replay_CommittedTunOffloadCorpus_KeepsEveryProperty()
    {
        var files = FuzzCorpus.Files(TunOffloadTarget.Name);

        var failures = FuzzCorpus.Replay(TunOffloadTarget.Run, files);

        Assert.NotEmpty(files);
        Assert.True(failures.Count == 0, $"{failures.Count} of {files.Length} inputs failed:{Environment.NewLine}{string.Join(Environment.NewLine, failures.Take(5))}");
    }
}
