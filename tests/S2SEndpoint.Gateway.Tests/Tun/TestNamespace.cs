using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using S2SEndpoint.Gateway.Tun;

namespace S2SEndpoint.Gateway.Tests.Tun;

/// <summary>
/// A network namespace of one test, named s2st-&lt;random hex&gt;: created with `ip netns add`, deleted by that name
/// on Dispose. Code runs inside it on a thread of its own that has joined it with setns(2), and commands run in it
/// through `ip -n` or `ip netns exec`. Nothing the tests send leaves it.
/// </summary>
internal sealed class TestNamespace : IDisposable
{
    private static readonly TimeSpan ThreadTimeout = TimeSpan.FromSeconds(10);

    private TestNamespace(string name) => Name = name;

    public string Name { get; }

    /// <summary>Creates a namespace; fails (or, from the probe, throws) when root and namespaces are missing.</summary>
    public static TestNamespace Create(bool checkRequirements = true)
    {
        if (checkRequirements)
            Requirements.EnsureRootWithNamespaces();
        var name = "s2st-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        RunIp(["netns", "add", name]);
        return new TestNamespace(name);
    }

    /// <summary>Runs <paramref name="action"/> on a new thread that has joined this namespace, and returns its result.</summary>
    /// <remarks>A socket or TUN device made there belongs to the namespace and keeps working from any thread.</remarks>
    public T OnThread<T>(Func<T> action)
    {
        T result = default!;
        ExceptionDispatchInfo? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var ns = OpenNamespaceFile(Name);
                if (Libc.SetNs(ns.Fd, Libc.CloneNewNet) != 0)
                    throw new IOException($"setns into {Name} failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
                result = action();
            }
#pragma warning disable CA1031 // the exception is rethrown on the calling thread
            catch (Exception e)
#pragma warning restore CA1031
            {
                error = ExceptionDispatchInfo.Capture(e);
            }
        })
        { IsBackground = true, Name = "netns " + Name };
        thread.Start();
        if (!thread.Join(ThreadTimeout))
            throw new TimeoutException($"The thread in namespace {Name} did not finish within {ThreadTimeout.TotalSeconds} s.");
        error?.Throw();
        return result;
    }

    /// <summary>Runs `ip -n NAME ...` and returns its standard output; throws with ip's error when it fails.</summary>
    public string Ip(params string[] arguments) => RunIp(["-n", Name, .. arguments]);

    /// <summary>Starts `ip netns exec NAME command...`; Dispose kills it if it is still running.</summary>
    public NamespaceProcess Start(params string[] command)
    {
        var start = new ProcessStartInfo(IpCommand.Locate() ?? "ip");
        foreach (var argument in (string[])["netns", "exec", Name, .. command])
            start.ArgumentList.Add(argument);
        return new NamespaceProcess(start);
    }

    public void Dispose() => RunIp(["netns", "del", Name]);

    private static string RunIp(string[] arguments)
    {
        var result = IpCommand.Run(arguments);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"`{IpCommand.Format(arguments)}` failed: {result.ErrorLine}");
        return result.StandardOutput;
    }

    private static FileDescriptor OpenNamespaceFile(string name)
    {
        var path = Encoding.UTF8.GetBytes($"/run/netns/{name}\0");
        var fd = Libc.Open(in path[0], Libc.OCloExec);
        if (fd < 0)
            throw new IOException($"Cannot open /run/netns/{name}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        return new FileDescriptor(fd);
    }
}
