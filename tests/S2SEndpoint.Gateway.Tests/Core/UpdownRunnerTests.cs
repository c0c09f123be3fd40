using System.Net;
using Microsoft.Extensions.Logging;
using S2SEndpoint.Gateway.Tests.Control;
using S2SEndpoint.Gateway.Updown;

namespace S2SEndpoint.Gateway.Tests.Core;

/// <summary>
/// The daemon's updown runner with real processes: a script sees exactly the updown environment, a child's runs keep
/// their order, a script past its timeout is killed with its children, a failing one is logged and the next runs, the
/// queue is bounded, and at exit nothing is left running.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class UpdownRunnerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("s2s-updown-").FullName;
    private readonly ListLogger _log = new();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Script(string name, string body)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, $"#!/bin/sh\n{body}\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        return path;
    }

    private UpdownRunner Runner(TimeSpan? timeout = null) => new(_log, TimeProvider.System, timeout, _ => "eth0");

    private static UpdownEvent Run(string script, bool up = true, uint reqId = 1, string localTs = "10.1.0.0/24", string remoteTs = "10.2.0.0/24")
    {
        Assert.True(Gateway.Config.SelectorText.TryPrefix(localTs, out var mine));
        Assert.True(Gateway.Config.SelectorText.TryPrefix(remoteTs, out var other));
        return new UpdownEvent(script, up, "moon", "net", reqId, 7, new IPEndPoint(IPAddress.Parse("192.0.2.1"), 4500), new IPEndPoint(IPAddress.Parse("192.0.2.2"), 4500),
            "moon", "sun", mine, other, "s2s0", UdpEncapsulation: true);
    }

    private static void Drained(UpdownRunner runner) => Assert.True(Eventually.Holds(() => runner.Queued == 0), "the runs did not finish");

    private bool Logged(LogLevel level, string text) => _log.Lines.Any(l => l.Level == level && l.Message.Contains(text, StringComparison.Ordinal));

    [Fact]
    public void Run_TheScriptSeesExactlyTheUpdownEnvironment_Ipv4AndIpv6()
    {
        var script = Script("env.sh", $"env > {_dir}/env.$PLUTO_VERB");
        using var runner = Runner();
        var v4 = Run(script);
        var v6 = Run(script, up: false, localTs: "fd00:1::/64", remoteTs: "fd00:2::/64");

        runner.Enqueue(v4);
        runner.Enqueue(v6);
        Drained(runner);

        // The shell adds PWD (the working directory, /); nothing else of the daemon's environment gets through.
        foreach (var (run, verb) in new[] { (v4, "up-client"), (v6, "down-client-v6") })
        {
            var expected = UpdownEnvironment.Of(run, "eth0").Select(v => $"{v.Key}={v.Value}").Append("PWD=/").Order(StringComparer.Ordinal);
            Assert.Equal(expected, File.ReadAllLines(Path.Combine(_dir, $"env.{verb}")).Order(StringComparer.Ordinal));
        }
        Assert.Contains("PLUTO_MY_CLIENT=fd00:1::/64", File.ReadAllLines(Path.Combine(_dir, "env.down-client-v6")));
        Assert.True(Logged(LogLevel.Debug, $"moon/net: updown up-client ({script}) done in"));
    }

    [Fact]
    public void Run_AChildsRunsKeepTheirOrder_ADownNeverOvertakesItsUp()
    {
        var script = Script("order.sh", $"""
            [ "$PLUTO_VERB" = up-client ] && sleep 0.3
            echo "$PLUTO_VERB" >> {_dir}/order
            """);
        using var runner = Runner();

        runner.Enqueue(Run(script, up: true));
        runner.Enqueue(Run(script, up: false));
        runner.Enqueue(Run(script, up: true));
        Drained(runner);

        Assert.Equal(["up-client", "down-client", "up-client"], File.ReadAllLines(Path.Combine(_dir, "order")));
    }

    [Fact]
    public void Run_PastItsTimeout_IsKilledWithItsChildren_AndLogged()
    {
        var script = Script("slow.sh", $"""
            sleep 60 &
            echo $! > {_dir}/pid
            wait
            echo finished > {_dir}/finished
            """);
        using var runner = Runner(TimeSpan.FromMilliseconds(500));

        runner.Enqueue(Run(script));
        Drained(runner);

        Assert.True(Logged(LogLevel.Warning, $"moon/net: updown up-client ({script}) still ran after 0.5 s; killed with its children"));
        Assert.False(File.Exists(Path.Combine(_dir, "finished")));
        Assert.True(Eventually.Holds(() => Gone(int.Parse(File.ReadAllText(Path.Combine(_dir, "pid")), System.Globalization.CultureInfo.InvariantCulture))), "the script's child still runs");
    }

    [Fact]
    public void Run_NonZeroExit_IsAWarningWithItsOutput_AndTheNextRunGoesOn()
    {
        var failing = Script("fail.sh", "echo 'no route to 10.2.0.0/24' >&2\nexit 1");
        var next = Script("next.sh", $"echo ran > {_dir}/next\necho hello");
        using var runner = Runner();

        runner.Enqueue(Run(failing));
        runner.Enqueue(Run(next, up: false));
        Drained(runner);

        Assert.True(Logged(LogLevel.Warning, $"moon/net: updown up-client ({failing}) exited with 1 after"));
        Assert.True(Logged(LogLevel.Warning, "moon/net: updown: no route to 10.2.0.0/24"));
        Assert.True(File.Exists(Path.Combine(_dir, "next")));
        Assert.True(Logged(LogLevel.Debug, "moon/net: updown: hello"));
    }

    [Fact]
    public void Run_ScriptThatCannotStart_IsAWarning()
    {
        using var runner = Runner();

        runner.Enqueue(Run(Path.Combine(_dir, "gone.sh")));
        Drained(runner);

        Assert.True(Logged(LogLevel.Warning, $"moon/net: updown up-client ({Path.Combine(_dir, "gone.sh")}) could not run:"));
    }

    [Fact]
    public void Enqueue_BeyondTheBound_IsDroppedAndLogged()
    {
        var script = Script("block.sh", "sleep 60");
        using var runner = Runner();

        for (var i = 0; i <= UpdownRunner.MaxQueued; i++)
            runner.Enqueue(Run(script));

        Assert.Equal(UpdownRunner.MaxQueued, runner.Queued);
        Assert.Single(_log.Lines, l => l.Level == LogLevel.Warning && l.Message.Contains($"not run: {UpdownRunner.MaxQueued} runs wait already", StringComparison.Ordinal));
        runner.Stop(TimeSpan.Zero);
        Assert.Equal(0, runner.Queued);
    }

    [Fact]
    public void Stop_WaitsForTheQueuedRuns_ThenKillsWhatStillRuns_AndTakesNoMore()
    {
        var quick = Script("quick.sh", $"sleep 0.2\necho \"$PLUTO_VERB\" >> {_dir}/down");
        var slow = Script("slow.sh", $"sleep 60 &\necho $! > {_dir}/pid\nwait");
        var runner = Runner();
        runner.Enqueue(Run(quick, up: false, reqId: 1));
        runner.Enqueue(Run(slow, up: false, reqId: 2));
        Assert.True(Eventually.Holds(() => File.Exists(Path.Combine(_dir, "pid")) && File.ReadAllText(Path.Combine(_dir, "pid")).EndsWith('\n')));

        runner.Stop(TimeSpan.FromSeconds(2));
        runner.Enqueue(Run(quick, up: true, reqId: 1));
        runner.Dispose();

        Assert.Equal(["down-client"], File.ReadAllLines(Path.Combine(_dir, "down")));
        Assert.Equal(0, runner.Queued);
        Assert.True(Logged(LogLevel.Warning, $"moon/net: updown down-client ({slow}) still ran as s2s stopped; killed with its children"));
        Assert.True(Logged(LogLevel.Warning, $"moon/net: updown up-client ({quick}) not run: s2s is stopping"));
        Assert.True(Eventually.Holds(() => Gone(int.Parse(File.ReadAllText(Path.Combine(_dir, "pid")), System.Globalization.CultureInfo.InvariantCulture))));
    }

    /// <summary>Whether a process has ended: gone, or a zombie that only waits for a reaper (a container's init may not reap).</summary>
    private static bool Gone(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true;
        }
    }
}
