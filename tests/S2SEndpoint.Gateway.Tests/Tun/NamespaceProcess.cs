using System.Diagnostics;

namespace S2SEndpoint.Gateway.Tests.Tun;

/// <summary>A child process started in a test namespace: its output captured, and killed on Dispose if still running.</summary>
internal sealed class NamespaceProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _output;
    private readonly Task<string> _error;

    public NamespaceProcess(ProcessStartInfo start)
    {
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        _process = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {start.FileName}.");
        _output = _process.StandardOutput.ReadToEndAsync();
        _error = _process.StandardError.ReadToEndAsync();
    }

    /// <summary>Waits at most <paramref name="timeout"/> and returns the exit code (-1 if it had to be killed) and all it wrote.</summary>
    public (int ExitCode, string Output) Finish(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            Kill();
            return (-1, $"killed after {timeout.TotalSeconds} s; {_output.Result}{_error.Result}");
        }
        return (_process.ExitCode, _output.Result + _error.Result);
    }

    /// <summary>Sends SIGTERM (by PID, with kill(1)) and waits at most <paramref name="timeout"/> for the exit.</summary>
    public (int ExitCode, string Output) Terminate(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) } });
            kill?.WaitForExit();
        }
        return Finish(timeout);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            Kill();
        _process.Dispose();
    }

    private void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }
}
