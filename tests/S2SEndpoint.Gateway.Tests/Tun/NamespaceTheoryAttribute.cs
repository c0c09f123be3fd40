namespace S2SEndpoint.Gateway.Tests.Tun;

/// <summary>A theory that needs root and network namespaces: skipped with the reason when they are missing, unless CI=true.</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class NamespaceTheoryAttribute : TheoryAttribute
{
    public NamespaceTheoryAttribute(bool needsPing = false) => Skip = Requirements.RootWithNamespaces(needsPing);
}
