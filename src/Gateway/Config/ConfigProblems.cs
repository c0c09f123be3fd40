namespace S2SEndpoint.Gateway.Config;

/// <summary>
/// The problems found in a configuration, one sentence each, naming the key path, the value and what
/// would be valid: "connections.azure.children.net.local_ts[0]: '10.1.0.0/33' is not a CIDR prefix".
/// </summary>
public sealed class ConfigProblems
{
    private readonly List<string> _lines = [];

    public IReadOnlyList<string> Lines => _lines;

    public bool Any => _lines.Count > 0;

    public void Add(string path, string message) => _lines.Add($"{path}: {message}");
}

/// <summary>Thrown by <see cref="ConfigLoader.Load(string)"/> with every problem found.</summary>
public sealed class ConfigException(IReadOnlyList<string> problems)
    : Exception(string.Join(Environment.NewLine, problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;
}
