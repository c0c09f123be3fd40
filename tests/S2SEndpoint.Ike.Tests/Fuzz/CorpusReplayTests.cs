using S2SEndpoint.Fuzz.Targets;

namespace S2SEndpoint.Ike.Tests.Fuzz;

/// <summary>
/// The committed AFL++ corpus of the IKE fuzz targets (fuzz/corpus, minimized by fuzz/run.sh), replayed through the
/// same target code the harness runs: every input keeps its target's properties.
/// </summary>
public sealed class CorpusReplayTests
{
    [Theory]
    [InlineData(IkeMessageTarget.Name)]
    [InlineData(IkeSkTarget.Name)]
    [InlineData(IkeFragmentsTarget.Name)]
    public void Replay_CommittedCorpus_KeepsEveryProperty(string target)
    {
        var files = FuzzCorpus.Files(target);
        Action<byte[]> run = target switch
        {
            IkeMessageTarget.Name => IkeMessageTarget.Run,
            IkeSkTarget.Name => IkeSkTarget.Run,
            _ => IkeFragmentsTarget.Run,
        };

        var failures = FuzzCorpus.Replay(run, files);

        Assert.NotEmpty(files);
        Assert.True(failures.Count == 0, $"{failures.Count} of {files.Length} inputs failed:{Environment.NewLine}{string.Join(Environment.NewLine, failures.Take(5))}");
    }
}
