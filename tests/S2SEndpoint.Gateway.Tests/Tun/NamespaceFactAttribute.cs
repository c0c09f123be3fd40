namespace S2SEndpoint.Gateway.Tests.Tun;

/// <summary>A fact that needs root and network namespaces: skipped with the reason when they are missing, unless CI=true.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class NamespaceFactAttribute : FactAttribute
{
    public NamespaceFactAttribute(bool needsPing = false, bool needsPython = false)
    {
        NeedsPing = needsPing;
        Skip = Requirements.RootWithNamespaces(needsPing, needsPython);
    }

    public bool NeedsPing { get; }
}
