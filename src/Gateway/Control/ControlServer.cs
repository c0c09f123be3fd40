using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace S2SEndpoint.Gateway.Control;

/// <summary>
/// The daemon's end of the control socket: a Unix stream socket (default /run/s2s/s2s.sock, mode 0600 in
/// a 0700 directory), one accept thread, one request per connection. The CLI (<see cref="ControlClient"/>)
/// sends one JSON line and reads one back:
/// <code>
/// → {"command":"status"}      {"command":"initiate","connection":"moon","child":"net"}      {"command":"reload"}
/// ← {"ok":true,"result":...}  {"ok":false,"error":"no connection 'x'; known: moon"}
/// </code>
/// Requests are served one at a time, each bounded in size and time, so that a stuck or hostile client
/// costs the daemon at most <see cref="RequestTimeout"/>. Nothing a client sends throws out of the thread.
/// </summary>
public sealed partial class ControlServer : IDisposable
{
    /// <summary>The longest request line accepted.</summary>
    public const int MaxRequestSize = 64 * 1024;

    /// <summary>How long a client may take to send its request, in total.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode SocketMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly string _path;
    private readonly IControlHandler _handler;
    private readonly ILogger _log;
    private Socket? _listener;
    private Thread? _thread;
    private volatile bool _stopping;

    /// <param name="path">The socket file.</param>
    /// <param name="handler">What carries out the requests (the daemon).</param>
    /// <param name="logger">A logger of category "control".</param>
    public ControlServer(string path, IControlHandler handler, ILogger logger)
    {
        _path = path;
        _handler = handler;
        _log = logger;
    }

    public string Path => _path;

    /// <summary>
    /// Binds the socket and starts the accept thread. Throws <see cref="InvalidOperationException"/> with one
    /// line for the user when another daemon answers on the path or the path cannot be used.
    /// </summary>
    public void Start()
    {
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("s2s runs on Linux");
        var endpoint = ControlClient.Endpoint(_path, message => new InvalidOperationException(message));
        var directory = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(_path));
        if (directory is not null && !Directory.Exists(directory))
            Directory.CreateDirectory(directory, DirectoryMode);
        if (Directory.Exists(_path))
            throw new InvalidOperationException($"control socket {_path} is a directory; use --control with a file path");
        if (File.Exists(_path))
        {
            if (Answers(endpoint))
                throw new InvalidOperationException($"another s2s is running on {_path}; use --control");
            // Nobody listens: what a daemon that did not stop cleanly left behind.
            File.Delete(_path);
            Log.RemovedStale(_log, _path);
        }
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(endpoint);
            // Only the daemon's user (root) may talk to it: the commands bring tunnels down.
            File.SetUnixFileMode(_path, SocketMode);
            listener.Listen(16);
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
        {
            listener.Dispose();
            throw new InvalidOperationException($"cannot listen on control socket {_path}: {e.Message}", e);
        }
        _listener = listener;
        _thread = new Thread(AcceptLoop) { IsBackground = true, Name = "control" };
        _thread.Start();
        Log.Listening(_log, _path);
    }

    /// <summary>Whether a process accepts connections on <paramref name="endpoint"/> (refused or missing means stale).</summary>
    private static bool Answers(UnixDomainSocketEndPoint endpoint)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(endpoint);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private void AcceptLoop()
    {
        while (!_stopping)
        {
            Socket client;
            try
            {
                client = _listener!.Accept();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (_stopping)
                    return;
                Log.ConnectionFailed(_log, e.Message);
                // A failing accept (out of descriptors) would otherwise spin.
                Thread.Sleep(100);
                continue;
            }
            using (client)
                Serve(client);
        }
    }

    /// <summary>Reads one request, carries it out and answers; every failure becomes an error answer or a log line.</summary>
    private void Serve(Socket client)
    {
        var deadline = DateTime.UtcNow + RequestTimeout;
        JsonObject answer;
        bool unread;
        try
        {
            if (!TryReadRequest(client, deadline, out var request, out var problem, out unread))
            {
                if (problem is null)
                    return;
                Log.BadRequest(_log, problem);
                answer = Error(problem);
            }
            else
            {
                answer = Handle(request);
            }
        }
        catch (SocketException e)
        {
            Log.ConnectionFailed(_log, e.Message);
            return;
        }
        try
        {
            client.Send(Encoding.UTF8.GetBytes(answer.ToJsonString() + "\n"));
            client.Shutdown(SocketShutdown.Send);
            // Closing with unread input would reset the connection before the client reads the answer:
            // what is left of an oversized request is read and dropped, until its end or the deadline.
            if (unread)
                Drain(client, deadline);
        }
        catch (SocketException e)
        {
            Log.ConnectionFailed(_log, e.Message);
        }
    }

    private static void Drain(Socket client, DateTime deadline)
    {
        var buffer = new byte[16 * 1024];
        while (deadline - DateTime.UtcNow is var left && left > TimeSpan.Zero)
        {
            client.ReceiveTimeout = (int)Math.Ceiling(left.TotalMilliseconds);
            if (client.Receive(buffer) == 0)
                return;
        }
    }

    /// <summary>
    /// Reads up to the first newline (or the end of the stream). False with a null problem when the client
    /// sent nothing at all (a probe, such as <see cref="Start"/>'s of another daemon); false with a problem
    /// for a request that is too long (<paramref name="unread"/>: more may follow), too slow or not a JSON object.
    /// </summary>
    private static bool TryReadRequest(Socket client, DateTime deadline, out JsonObject request, out string? problem, out bool unread)
    {
        request = [];
        problem = null;
        unread = false;
        var buffer = new byte[MaxRequestSize + 1];
        var length = 0;
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                problem = $"no complete request within {RequestTimeout.TotalSeconds:0} s";
                return false;
            }
            client.ReceiveTimeout = (int)Math.Ceiling(left.TotalMilliseconds);
            int n;
            try
            {
                n = client.Receive(buffer, length, buffer.Length - length, SocketFlags.None);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
                problem = $"no complete request within {RequestTimeout.TotalSeconds:0} s";
                return false;
            }
            var newline = Array.IndexOf(buffer, (byte)'\n', length, n);
            length += n;
            if (newline >= 0)
            {
                length = newline;
                break;
            }
            if (n == 0)
            {
                if (length == 0)
                    return false;
                break;
            }
            if (length > MaxRequestSize)
            {
                problem = $"request longer than {MaxRequestSize} bytes";
                unread = true;
                return false;
            }
        }
        try
        {
            if (JsonNode.Parse(buffer.AsSpan(0, length)) is JsonObject o)
            {
                request = o;
                return true;
            }
        }
        catch (JsonException)
        {
        }
        problem = "request is not a JSON object such as {\"command\":\"status\"}";
        return false;
    }

    private JsonObject Handle(JsonObject request)
    {
        var command = Text(request, "command");
        var connection = Text(request, "connection");
        var child = Text(request, "child");
        try
        {
            if (command is "initiate" or "terminate" or "rekey")
            {
                if (string.IsNullOrEmpty(connection))
                    return Error($"'{command}' needs a \"connection\"");
                Log.Command(_log, command, child is null ? connection : $"{connection}/{child}");
            }
            JsonNode? result = command switch
            {
                "status" => _handler.Status(),
                "initiate" => _handler.Initiate(connection!, child),
                "terminate" => _handler.Terminate(connection!, child),
                "rekey" => _handler.Rekey(connection!, child),
                "reload" => Reload(),
                _ => null,
            };
            return result is null
                ? Error($"unknown command '{command}'; known: status, initiate, terminate, rekey, reload")
                : new JsonObject { ["ok"] = true, ["result"] = result };
        }
        catch (ControlException e)
        {
            return Error(e.Message);
        }
#pragma warning disable CA1031 // The control thread must outlive a bug in a handler: the client gets the error, the log the details.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.HandlerFailed(_log, command ?? "?", e);
            return Error($"internal error: {e.Message}");
        }
    }

    private string Reload()
    {
        Log.Command(_log, "reload", "");
        return _handler.Reload();
    }

    private static string? Text(JsonObject request, string key) =>
        request[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private static JsonObject Error(string message) => new() { ["ok"] = false, ["error"] = message };

    /// <summary>Stops the accept thread and removes the socket file.</summary>
    public void Dispose()
    {
        if (_listener is null)
            return;
        _stopping = true;
        _listener.Dispose();
        _thread?.Join(RequestTimeout + TimeSpan.FromSeconds(1));
        _listener = null;
        try
        {
            File.Delete(_path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.ConnectionFailed(_log, e.Message);
        }
        Log.Closed(_log, _path);
    }

    private static partial class Log
    {
        [LoggerMessage(4001, LogLevel.Information, "control socket listening on {Path}")]
        public static partial void Listening(ILogger logger, string path);

        [LoggerMessage(4002, LogLevel.Information, "removed stale control socket {Path}")]
        public static partial void RemovedStale(ILogger logger, string path);

        [LoggerMessage(4003, LogLevel.Information, "control: {Command} {Target}")]
        public static partial void Command(ILogger logger, string command, string target);

        [LoggerMessage(4004, LogLevel.Warning, "control request refused: {Problem}")]
        public static partial void BadRequest(ILogger logger, string problem);

        [LoggerMessage(4005, LogLevel.Error, "control command {Command} failed")]
        public static partial void HandlerFailed(ILogger logger, string command, Exception exception);

        [LoggerMessage(4006, LogLevel.Debug, "control connection: {Reason}")]
        public static partial void ConnectionFailed(ILogger logger, string reason);

        [LoggerMessage(4007, LogLevel.Information, "control socket {Path} closed")]
        public static partial void Closed(ILogger logger, string path);
    }
}
