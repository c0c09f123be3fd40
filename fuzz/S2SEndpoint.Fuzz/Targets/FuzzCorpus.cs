namespace S2SEndpoint.Fuzz.Targets;

/// <summary>Runs a target over saved inputs: the corpus replay of the test projects and the harness's replay command.</summary>
internal static class FuzzCorpus
{
    /// <summary>The committed corpus of <paramref name="target"/> as the test projects copy it: FuzzCorpus/TARGET beside the tests.</summary>
    public static string[] Files(string target)
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "FuzzCorpus", target);
        var files = Directory.Exists(folder) ? Directory.GetFiles(folder) : [];
        Array.Sort(files, StringComparer.Ordinal);
        return files;
    }

    /// <summary>Each file whose input breaks a property or throws, with what happened.</summary>
    public static List<string> Replay(Action<byte[]> target, IEnumerable<string> files)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(files);
        var failures = new List<string>();
        foreach (var file in files)
        {
            try
            {
                target(File.ReadAllBytes(file));
            }
#pragma warning disable CA1031 // Whatever escapes a target is a finding to report, not to rethrow.
            catch (Exception e)
#pragma warning restore CA1031
            {
                failures.Add($"{Path.GetFileName(file)}: {e}");
            }
        }
        return failures;
    }
}
