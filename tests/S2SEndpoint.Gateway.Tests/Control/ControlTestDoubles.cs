using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Gateway.Control;
using S2SEndpoint.Gateway.Tracing;

namespace S2SEndpoint.Gateway.Tests.Control;

/// <summary>A daemon stand-in: records what it was asked and answers with fixed text.</summary>
internal sealed class FakeHandler : IControlHandler
{
    public List<(string Command, string? Connection, string? Child)> Calls { get; } = [];

    /// <summary>Thrown by the next command when set (a ControlException, or a bug).</summary>
    public Exception? Throw { get; set; }

    public JsonObject Document { get; set; } = new() { ["connections"] = new JsonArray() };

    public JsonObject Status()
    {
        Record("status", null, null);
        return (JsonObject)Document.DeepClone();
    }

    public string Initiate(string connection, string? child) => Record("initiate", connection, child);

    public string Terminate(string connection, string? child) => Record("terminate", connection, child);

    public string Rekey(string connection, string? child) => Record("rekey", connection, child);

    public string Reload() => Record("reload", null, null);

    /// <summary>The feed `monitor` subscribes to: a test publishes into it.</summary>
    public EventFeed Feed { get; } = new();

    public EventFeed.Subscription Monitor()
    {
        Record("monitor", null, null);
        return Feed.Subscribe() ?? throw new ControlException("too many monitors");
    }

    /// <summary>The traces `trace` started, with what each asked for: a test publishes records into them.</summary>
    public List<(TraceSession Session, TraceDirection Direction, int Count)> Traces { get; } = [];

    /// <summary>Traces running now (started and not yet disposed).</summary>
    public int Tracing => Volatile.Read(ref _tracing);

    private int _tracing;

    public TraceSession Trace(string? connection, string? child, TraceDirection direction, int count)
    {
        Record("trace", connection, child);
        var session = new TraceSession(connection, child, direction, count, TimeProvider.System, _ => Interlocked.Decrement(ref _tracing));
        lock (Traces)
            Traces.Add((session, direction, count));
        Interlocked.Increment(ref _tracing);
        return session;
    }

    private string Record(string command, string? connection, string? child)
    {
        lock (Calls)
            Calls.Add((command, connection, child));
        if (Throw is { } e)
            throw e;
        return $"{command} {connection}/{child}: done";
    }
}

/// <summary>A fresh directory under /tmp for a socket (short: sun_path holds 107 bytes), removed afterwards.</summary>
internal sealed class SocketDirectory : IDisposable
{
    public SocketDirectory() => Directory.CreateDirectory(Root);

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "s2s-test-" + Guid.NewGuid().ToString("N")[..12]);

    /// <summary>The socket path, one level down so that the server makes the directory itself.</summary>
    public string Socket => Path.Combine(Root, "run", "s2s.sock");

    public ControlServer Start(IControlHandler handler)
    {
        var server = new ControlServer(Socket, handler, NullLogger.Instance);
        server.Start();
        return server;
    }

    /// <summary>Sends raw bytes and reads the raw answer line, as a client that does not follow the protocol.</summary>
    public string Raw(byte[] request)
    {
        using var socket = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(Socket));
        socket.ReceiveTimeout = 10_000;
        try
        {
            socket.Send(request);
        }
        catch (SocketException)
        {
            // The server may close before taking everything (an oversized request); its answer is still there.
        }
        var answer = new MemoryStream();
        var buffer = new byte[4096];
        int n;
        while ((n = socket.Receive(buffer)) > 0)
            answer.Write(buffer, 0, n);
        return Encoding.UTF8.GetString(answer.ToArray());
    }

    public void Dispose() => Directory.Delete(Root, true);
}

/// <summary>A logger that keeps what it is told, for the lines a test expects.</summary>
internal sealed class ListLogger : ILogger
{
    private readonly List<(LogLevel Level, string Message)> _lines = [];

    public IReadOnlyList<(LogLevel Level, string Message)> Lines
    {
        get
        {
            lock (_lines)
                return [.. _lines];
        }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lines)
            _lines.Add((logLevel, formatter(state, exception)));
    }
}

/// <summary>
/// A group this process may give files to, other than its own when it can: as root (CI) "nogroup" (65534 on
/// Debian); as a user, one of its supplementary groups, else its own group.
/// </summary>
internal static class TestGroup
{
    public static ControlGroup Usable()
    {
        var status = File.ReadAllLines("/proc/self/status");
        uint[] Field(string name) => [.. status.Single(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..]
            .Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries).Select(x => uint.Parse(x, System.Globalization.CultureInfo.InvariantCulture))];
        var effectiveUid = Field("Uid")[1];
        var effectiveGid = Field("Gid")[1];
        var text = effectiveUid == 0
            ? "nogroup"
            : Field("Groups").Where(g => g != effectiveGid).Select(g => g.ToString(System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault()
                ?? effectiveGid.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var group = ControlGroup.Resolve(text, out var problem);
        Assert.True(group is not null, problem);
        return group;
    }
}
