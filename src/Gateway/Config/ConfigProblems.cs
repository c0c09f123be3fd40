namespace S2SEndpoint.Gateway.Config;

/// <summary>
/// The problems found in a configuration, one sentence each, naming the key path, the value and what
/// would be valid: "connections.azure.children.net.local_ts[0]: '10.1.0.0/33' is not a CIDR prefix".
/// Warnings, in the same form, are what works but should not stay so (a secret others can read, a short
/// pre-shared key); they do not stop the configuration from loading.
/// </summary>
public sealed class ConfigProblems
{
    private readonly List<string> _lines = [];
    private readonly List<string> _warnings = [];

    public IReadOnlyList<string> Lines => _lines;

    public IReadOnlyList<string> Warnings => _warnings;

    public bool Any => _lines.Count > 0;

    public void Add(string path, string message) => _lines.Add($"{path}: {message}");

    public void Warn(string path, string message) => _warnings.Add($"{path}: {message}");
}

/// <summary>Thrown by <see cref="ConfigLoader.Load(string)"/> with every problem found, and the warnings beside them.</summary>
public sealed class ConfigException(IReadOnlyList<string> problems, IReadOnlyList<string>? warnings = null)
    : Exception(string.Join(Environment.NewLine, problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;

    public IReadOnlyList<string> Warnings { get; } = warnings ?? [];
}
