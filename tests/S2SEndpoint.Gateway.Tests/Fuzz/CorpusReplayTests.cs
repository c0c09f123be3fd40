using S2SEndpoint.Fuzz.Targets;

namespace S2SEndpoint.Gateway.Tests.Fuzz;

/// <summary>
/// The committed AFL++ corpus of the configuration fuzz target (fuzz/corpus/config, minimized by fuzz/run.sh),
/// replayed through the same target code the harness runs: every input keeps the target's properties.
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
}
