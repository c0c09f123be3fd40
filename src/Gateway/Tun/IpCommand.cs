using System.ComponentModel;
using System.Diagnostics;

namespace S2SEndpoint.Gateway.Tun;

// Runs iproute2's `ip` as a child process with an argument list (never a shell line), bounded in time, and
// returns its exit code and what it wrote. The link configuration and the routes are a handful of commands at
// start, reload and stop, so the cost of a process per command does not matter; iproute2 keeps the netlink
// details out of this code. LinkConfigurator and RouteTable share the namespace option, the failure message and
// what counts as "already gone" from here.

/// <summary>Finds and runs iproute2's <c>ip</c>.</summary>
internal static class IpCommand
{
    /// <summary>How long one command may take before it is killed.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private static readonly string[] FallbackDirectories = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

    // What ip says when the thing to delete is no longer there.
    private static readonly string[] GoneMarkers =
    [
        "No such process", "Cannot find device", "address not found", "Cannot assign requested address",
        "FIB table does not exist", "Cannot open network namespace", "No such device",
        // A rule or route to delete that is not there (ip rule del).
        "No such file or directory",
    ];

    /// <summary>What one <c>ip</c> command returned.</summary>
    public readonly record struct Result(int ExitCode, string StandardOutput, string StandardError)
    {
        /// <summary>The non-empty lines of standard error in one line.</summary>
        public string ErrorLine => string.Join("; ", StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

        /// <summary>Whether a failed delete failed because the thing (route, address, interface, namespace) is already gone.</summary>
        public bool IsGone
        {
            get
            {
                foreach (var marker in GoneMarkers)
                {
                    if (StandardError.Contains(marker, StringComparison.OrdinalIgnoreCase))
                        return true;
                }
                return false;
            }
        }
    }

    /// <summary>Checks a name from <c>ip netns list</c> for <c>ip -n NAME</c>; null (the current namespace) passes.</summary>
    /// <exception cref="ArgumentException">The name is not valid.</exception>
    public static void ValidateNamespace(string? networkNamespace, string parameterName)
    {
        if (networkNamespace is not null && (networkNamespace.Length == 0 || networkNamespace is "." or ".."
            || networkNamespace.Contains('/', StringComparison.Ordinal) || networkNamespace.Any(char.IsWhiteSpace)))
        {
            throw new ArgumentException(
                $"Network namespace \"{networkNamespace}\" is not valid: a name from `ip netns list` is a file name in "
                + "/run/netns, not empty, without '/' or spaces.", parameterName);
        }
    }

    /// <summary><paramref name="arguments"/> run in <paramref name="networkNamespace"/> (<c>-n NAME</c> first), or as they are for null.</summary>
    public static string[] InNamespace(string? networkNamespace, string[] arguments) =>
        networkNamespace is null ? arguments : ["-n", networkNamespace, .. arguments];

    /// <summary>One sentence for a command that failed: the command as run and ip's error.</summary>
    /// <param name="arguments">The arguments as run, with any -n.</param>
    public static string Failure(IReadOnlyList<string> arguments, Result result)
    {
        var error = result.ErrorLine;
        return $"`{Format(arguments)}` failed (exit {result.ExitCode}): "
            + (error.Length > 0 ? error.TrimEnd('.') : "ip gave no reason") + ".";
    }

    /// <summary>The path of <c>ip</c>, or null; see <see cref="Find"/>.</summary>
    public static string? Locate() => Find("ip");

    /// <summary>The first <paramref name="program"/> on PATH, else in the usual directories (root's PATH has sbin, others' may not); null if none.</summary>
    public static string? Find(string program)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? "";
        foreach (var directory in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(FallbackDirectories))
        {
            var candidate = Path.Combine(directory, program);
            if (File.Exists(candidate))
                return candidate;
        }
        return null;
    }

    /// <summary>Runs <c>ip</c> with <paramref name="arguments"/> and waits for it, at most <see cref="Timeout"/>.</summary>
    /// <exception cref="InvalidOperationException"><c>ip</c> is missing, could not start, or did not finish in time.</exception>
    public static Result Run(IReadOnlyList<string> arguments)
    {
        var ip = Locate() ?? throw new InvalidOperationException(
            $"Cannot run `{Format(arguments)}`: iproute2's ip is not on PATH nor in {string.Join(", ", FallbackDirectories)}.");
        var start = new ProcessStartInfo(ip)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"Cannot run `{Format(arguments)}`: {e.Message}.", e);
        }
        process.StandardInput.Close();
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(Timeout))
        {
            process.Kill();
            process.WaitForExit();
            throw new InvalidOperationException($"`{Format(arguments)}` did not finish within {Timeout.TotalSeconds} s and was killed.");
        }
        return new Result(process.ExitCode, output.GetAwaiter().GetResult(), error.GetAwaiter().GetResult());
    }

    /// <summary>The command as an operator would type it, for messages.</summary>
    public static string Format(IReadOnlyList<string> arguments) => arguments.Count == 0 ? "ip" : "ip " + string.Join(' ', arguments);
}
