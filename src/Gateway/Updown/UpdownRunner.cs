using System.ComponentModel;
using System.Diagnostics;
using System.Net;
using System.Net.NetworkInformation;
using System.Text;
using Microsoft.Extensions.Logging;

namespace S2SEndpoint.Gateway.Updown;

/// <summary>
/// The daemon's updown runner: each child's runs, one after another in the order they were queued (a down never
/// overtakes its up), on the thread pool, never on the control plane's thread nor the data path's. Different children's
/// scripts may run at once. A run is the script alone (no shell, no arguments), its environment cleared to a minimal PATH
/// and <see cref="UpdownEnvironment"/>'s variables, standard input closed, working directory /; its standard output and
/// error are kept up to <see cref="MaxOutput"/> characters and logged (Debug when it succeeds, Warning when it fails).
/// A script still running after the timeout is killed with its children; that, a non-zero exit or a script that cannot
/// start is a warning, never fatal. At most <see cref="MaxQueued"/> runs wait or run at once; more are dropped and
/// logged. At exit <see cref="Stop"/> waits a while for the queued runs (the downs of the children still up among them),
/// then kills what still runs, so that no script outlives the daemon.
/// </summary>
public sealed partial class UpdownRunner : IUpdownRunner, IDisposable
{
    /// <summary>Runs waiting or running, in all; one more is dropped and logged.</summary>
    public const int MaxQueued = 64;

    /// <summary>Characters of a run's output (standard output and error together) that are kept for the log.</summary>
    public const int MaxOutput = 4096;

    /// <summary>How long a script may run before it is killed with its children.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long the output of a script that exited is still read: a child it left behind may hold the pipe.</summary>
    private static readonly TimeSpan OutputGrace = TimeSpan.FromSeconds(1);

    /// <summary>How long <see cref="Stop"/> waits for the runs it killed to end.</summary>
    private static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(2);

    private readonly Lock _sync = new();
    private readonly Dictionary<uint, Queue<UpdownEvent>> _queues = [];
    private readonly Dictionary<uint, Task> _workers = [];
    private readonly CancellationTokenSource _abort = new();
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private readonly Func<IPAddress, string?> _interfaceOf;
    private int _queued;
    private bool _closed;

    /// <param name="log">The "gateway" category.</param>
    /// <param name="timeout">How long a script may run; <see cref="DefaultTimeout"/> when null.</param>
    /// <param name="interfaceOf">The interface that holds an address (PLUTO_INTERFACE); the host's interfaces when null.</param>
    public UpdownRunner(ILogger log, TimeProvider time, TimeSpan? timeout = null, Func<IPAddress, string?>? interfaceOf = null)
    {
        _log = log;
        _time = time;
        _timeout = timeout ?? DefaultTimeout;
        _interfaceOf = interfaceOf ?? InterfaceOf;
    }

    /// <summary>Runs waiting or running now.</summary>
    public int Queued
    {
        get
        {
            lock (_sync)
                return _queued;
        }
    }

    public void Enqueue(UpdownEvent run)
    {
        ArgumentNullException.ThrowIfNull(run);
        lock (_sync)
        {
            if (_closed || _queued >= MaxQueued)
            {
                Log.Dropped(_log, run.Connection, run.Child, Verb(run), run.Script, _closed ? "s2s is stopping" : $"{MaxQueued} runs wait already");
                return;
            }
            _queued++;
            if (_queues.TryGetValue(run.ReqId, out var queue))
            {
                queue.Enqueue(run);
                return;
            }
            queue = new Queue<UpdownEvent>();
            queue.Enqueue(run);
            _queues[run.ReqId] = queue;
            // The worker takes the lock before it looks at the queue: it sees it, and its own entry below, complete.
            _workers[run.ReqId] = Task.Run(() => DrainAsync(run.ReqId));
        }
    }

    /// <summary>
    /// At exit: takes no more runs, waits up to <paramref name="wait"/> for those queued and running, then kills what
    /// still runs (with its children) and drops what still waits.
    /// </summary>
    public void Stop(TimeSpan wait)
    {
        Task[] running;
        lock (_sync)
        {
            _closed = true;
            running = [.. _workers.Values];
        }
        if (running.Length == 0 || Task.WaitAll(running, wait))
            return;
        Log.StopKills(_log, wait.TotalSeconds);
        _abort.Cancel();
        Task.WaitAll(running, KillGrace);
    }

    public void Dispose()
    {
        Stop(TimeSpan.Zero);
        _abort.Dispose();
    }

    private async Task DrainAsync(uint reqId)
    {
        while (true)
        {
            UpdownEvent? run;
            lock (_sync)
            {
                if (!_queues[reqId].TryDequeue(out run))
                {
                    _queues.Remove(reqId);
                    _workers.Remove(reqId);
                    return;
                }
            }
            try
            {
                if (_abort.IsCancellationRequested)
                    Log.Dropped(_log, run.Connection, run.Child, Verb(run), run.Script, "s2s is stopping");
                else
                    await RunAsync(run).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Never fatal: the next run of the child goes on.
                Log.Failed(_log, run.Connection, run.Child, Verb(run), run.Script, e.Message);
            }
            finally
            {
                lock (_sync)
                    _queued--;
            }
        }
    }

    private async Task RunAsync(UpdownEvent run)
    {
        var environment = UpdownEnvironment.Of(run, _interfaceOf(run.Me.Address));
        var verb = Verb(run);
        var start = new ProcessStartInfo(run.Script)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/",
        };
        start.Environment.Clear();
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException or IOException)
        {
            Log.Failed(_log, run.Connection, run.Child, verb, run.Script, e.Message);
            return;
        }
        var began = _time.GetTimestamp();
        process.StandardInput.Close();
        var output = new Output();
        var reads = Task.WhenAll(output.ReadAsync(process.StandardOutput), output.ReadAsync(process.StandardError));
        using var timeout = new CancellationTokenSource(_timeout, _time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _abort.Token);
        var killed = false;
        try
        {
            await process.WaitForExitAsync(either.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            killed = true;
            Kill(process);
            using var reap = new CancellationTokenSource(KillGrace, _time);
            try
            {
                await process.WaitForExitAsync(reap.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Left to the kernel: the daemon does not wait for a process that ignores SIGKILL.
            }
        }
        await Task.WhenAny(reads, Task.Delay(OutputGrace, _time)).ConfigureAwait(false);
        var elapsed = _time.GetElapsedTime(began);
        var lines = output.Lines();
        if (killed)
        {
            if (timeout.IsCancellationRequested)
                Log.TimedOut(_log, run.Connection, run.Child, verb, run.Script, _timeout.TotalSeconds);
            else
                Log.Aborted(_log, run.Connection, run.Child, verb, run.Script);
        }
        else if (process.ExitCode != 0)
        {
            Log.Exited(_log, run.Connection, run.Child, verb, run.Script, process.ExitCode, elapsed.TotalMilliseconds);
        }
        else
        {
            Log.Done(_log, run.Connection, run.Child, verb, run.Script, elapsed.TotalMilliseconds);
        }
        var failed = killed || process.ExitCode != 0;
        foreach (var line in lines)
        {
            if (failed)
                Log.OutputWarning(_log, run.Connection, run.Child, line);
            else
                Log.Output(_log, run.Connection, run.Child, line);
        }
    }

    private void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            Log.KillFailed(_log, process.StartInfo.FileName, e.Message);
        }
    }

    private static string Verb(UpdownEvent run) => UpdownEnvironment.Of(run, null).First(v => v.Key == "PLUTO_VERB").Value;

    /// <summary>The interface that holds <paramref name="address"/>, as strongSwan's PLUTO_INTERFACE names the outer one; null when none does.</summary>
    private static string? InterfaceOf(IPAddress address)
    {
        try
        {
            foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
            {
                if (nic.GetIPProperties().UnicastAddresses.Any(a => a.Address.Equals(address)))
                    return nic.Name;
            }
        }
        catch (NetworkInformationException)
        {
        }
        return null;
    }

    /// <summary>A run's standard output and error, as they come, up to <see cref="MaxOutput"/> characters; the rest is read and dropped.</summary>
    private sealed class Output
    {
        private readonly StringBuilder _text = new();
        private bool _cut;

        public async Task ReadAsync(StreamReader reader)
        {
            var buffer = new char[1024];
            try
            {
                int n;
                while ((n = await reader.ReadAsync(buffer).ConfigureAwait(false)) > 0)
                {
                    lock (_text)
                    {
                        var room = MaxOutput - _text.Length;
                        _text.Append(buffer, 0, Math.Min(n, room));
                        _cut |= n > room;
                    }
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // The pipe went with the process.
            }
        }

        public List<string> Lines()
        {
            lock (_text)
            {
                var lines = _text.ToString().Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToList();
                if (_cut)
                    lines.Add($"(output cut after {MaxOutput} characters)");
                return lines;
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(3301, LogLevel.Debug, "{Connection}/{Child}: updown {Verb} ({Script}) done in {Milliseconds:0} ms")]
        public static partial void Done(ILogger logger, string connection, string child, string verb, string script, double milliseconds);

        [LoggerMessage(3302, LogLevel.Warning, "{Connection}/{Child}: updown {Verb} ({Script}) exited with {ExitCode} after {Milliseconds:0} ms")]
        public static partial void Exited(ILogger logger, string connection, string child, string verb, string script, int exitCode, double milliseconds);

        [LoggerMessage(3303, LogLevel.Warning, "{Connection}/{Child}: updown {Verb} ({Script}) still ran after {Seconds} s; killed with its children")]
        public static partial void TimedOut(ILogger logger, string connection, string child, string verb, string script, double seconds);

        [LoggerMessage(3304, LogLevel.Warning, "{Connection}/{Child}: updown {Verb} ({Script}) could not run: {Reason}")]
        public static partial void Failed(ILogger logger, string connection, string child, string verb, string script, string reason);

        [LoggerMessage(3305, LogLevel.Warning, "{Connection}/{Child}: updown {Verb} ({Script}) not run: {Reason}")]
        public static partial void Dropped(ILogger logger, string connection, string child, string verb, string script, string reason);

        [LoggerMessage(3306, LogLevel.Debug, "{Connection}/{Child}: updown: {Line}")]
        public static partial void Output(ILogger logger, string connection, string child, string line);

        [LoggerMessage(3307, LogLevel.Warning, "{Connection}/{Child}: updown: {Line}")]
        public static partial void OutputWarning(ILogger logger, string connection, string child, string line);

        [LoggerMessage(3308, LogLevel.Warning, "{Connection}/{Child}: updown {Verb} ({Script}) still ran as s2s stopped; killed with its children")]
        public static partial void Aborted(ILogger logger, string connection, string child, string verb, string script);

        [LoggerMessage(3309, LogLevel.Warning, "updown scripts still ran {Seconds} s after s2s began to stop; killing them")]
        public static partial void StopKills(ILogger logger, double seconds);

        [LoggerMessage(3310, LogLevel.Warning, "updown {Script} could not be killed: {Reason}")]
        public static partial void KillFailed(ILogger logger, string script, string reason);
    }
}
