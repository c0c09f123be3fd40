using S2SEndpoint.Fuzz.Targets;

namespace S2SEndpoint.Esp.Tests.Fuzz;

/// <summary>
/// The committed AFL++ corpus of the ESP fuzz target (fuzz/corpus/esp-open, minimized by fuzz/run.sh), replayed
/// through the same target code the harness runs: every input keeps the target's properties.
/// </summary>
public sealed class CorpusReplayTests
{
    [Fact]
    public void Replay_CommittedEspOpenCorpus_KeepsEveryProperty()
    {
        var files = FuzzCorpus.Files(EspOpenTarget.Name);

        var failures = FuzzCorpus.Replay(EspOpenTarget.Run, files);

        Assert.NotEmpty(files);
        Assert.True(failures.Count == 0, $"{failures.Count} of {files.Length} inputs failed:{Environment.NewLine}{string.Join(Environment.NewLine, failures.Take(5))}");
    }
}
