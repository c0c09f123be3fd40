using S2SEndpoint.Gateway.Tun;

namespace S2SEndpoint.Gateway.Tests.Tun;

/// <summary>
/// What the namespace tests need: Linux, root, /dev/net/tun, iproute2's ip, `ip netns add` that works, and for
/// some ping or python3. Outside CI a missing piece skips those tests with the reason; with CI=true it fails them, so that a
/// CI machine that lost a package cannot pass by skipping.
/// </summary>
internal static class Requirements
{
    private static readonly Lazy<string?> NamespacesMissing = new(ProbeNamespaces);

    public static bool IsCi => Environment.GetEnvironmentVariable("CI") == "true";

    /// <summary>The skip reason for a test that needs root and namespaces (and ping), or null when it should run.</summary>
    /// <remarks>Under CI this is always null: the test runs and <see cref="EnsureRootWithNamespaces"/> fails it.</remarks>
    public static string? RootWithNamespaces(bool needsPing = false, bool needsPython = false)
    {
        return IsCi || Missing(needsPing, needsPython) is not { } missing ? null : $"needs root and network namespaces: {missing}";
    }

    /// <summary>Throws, naming what is missing, unless root and namespaces (and ping) are available.</summary>
    public static void EnsureRootWithNamespaces(bool needsPing = false, bool needsPython = false)
    {
        var missing = Missing(needsPing, needsPython);
        if (missing is not null)
            throw new InvalidOperationException($"This test needs root and network namespaces, but {missing}" + (IsCi ? " (CI=true, so it fails rather than skips)." : "."));
    }

    private static string? Missing(bool needsPing, bool needsPython = false)
    {
        if (!OperatingSystem.IsLinux())
            return "this is not Linux";
        if (!Environment.IsPrivilegedProcess)
            return "the tests do not run as root";
        if (!File.Exists("/dev/net/tun"))
            return "/dev/net/tun does not exist (the tun module is not loaded)";
        if (IpCommand.Locate() is null)
            return "iproute2's ip is not installed";
        if (needsPing && IpCommand.Find("ping") is null)
            return "ping (iputils-ping) is not installed";
        if (needsPython && IpCommand.Find("python3") is null)
            return "python3 is not installed";
        return NamespacesMissing.Value;
    }

    /// <summary>Adds and deletes a namespace once: root in a container may still lack CAP_SYS_ADMIN.</summary>
    private static string? ProbeNamespaces()
    {
        try
        {
            TestNamespace.Create(checkRequirements: false).Dispose();
            return null;
        }
        catch (InvalidOperationException e)
        {
            return $"`ip netns add` does not work here: {e.Message}";
        }
    }
}
