using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace S2SEndpoint.Gateway.Control;

/// <summary>
/// The daemon's end of the control socket: a Unix stream socket (default /run/s2s/s2s.sock, mode 0600, in a
/// directory it makes 0700; with gateway.control_group, 0660 and 0750, both that group's), one accept thread,
/// one request per connection. The CLI (<see cref="ControlClient"/>)
/// sends one JSON line and reads one back:
/// <code>
/// → {"command":"status"}      {"command":"initiate","connection":"moon","child":"net"}      {"command":"reload"}
/// ← {"ok":true,"result":...}  {"ok":false,"error":"no connection 'x'; known: moon"}
/// → {"command":"monitor"}     ← {"ok":true,"result":"monitoring"}, then one JSON line per SA event (EventFeed)
/// → {"command":"trace","connection":"moon","child":"net","direction":"inbound|outbound|both","count":10}
///                             ← {"ok":true,"result":"tracing"}, then one JSON line per packet (Tracing/PacketTrace)
/// </code>
/// Up to <see cref="MaxClients"/> clients are served at once, each on a pool thread and bounded in size
/// and time (reading the request and sending the answer), so that a stuck or hostile client holds one
/// slot for at most <see cref="RequestTimeout"/> twice; more at once are told the daemon is busy.
/// Nothing a client sends throws out of a thread.
/// </summary>
public sealed partial class ControlServer : IDisposable
{
    /// <summary>The longest request line accepted.</summary>
    public const int MaxRequestSize = 64 * 1024;

    /// <summary>How long a client may take to send its request, in total.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Clients served at once.</summary>
    public const int MaxClients = 4;

    private int _clients;

    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode SocketMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode GroupDirectoryMode = DirectoryMode | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;
    private const UnixFileMode GroupSocketMode = SocketMode | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    private readonly string _path;
    private readonly IControlHandler _handler;
    private readonly ILogger _log;
    private readonly Config.ControlGroup? _group;
    private readonly TimeProvider _time;

    /// <summary>Set when the server stops: the accept loop's pause after a failed accept ends at once.</summary>
    private readonly ManualResetEventSlim _stopped = new();

    /// <summary>How long the accept loop waits after a failed accept (out of descriptors) before it tries again.</summary>
    private static readonly TimeSpan AcceptRetryPause = TimeSpan.FromMilliseconds(100);
    private Socket? _listener;
    private Thread? _thread;
    private volatile bool _stopping;

    /// <summary>The socket this server bound, by inode: Dispose removes that and nothing else.</summary>
    private UnixFiles.Status _bound;

    /// <summary>The directories Start made, deepest last: Dispose removes them again when they are empty.</summary>
    private readonly List<string> _made = [];

    /// <param name="path">The socket file.</param>
    /// <param name="handler">What carries out the requests (the daemon).</param>
    /// <param name="logger">A logger of category "control".</param>
    /// <param name="group">gateway.control_group: the group that may use the socket besides the daemon's user.</param>
    /// <param name="time">The clock of request deadlines (the real one unless a test says otherwise).</param>
    public ControlServer(string path, IControlHandler handler, ILogger logger, Config.ControlGroup? group = null, TimeProvider? time = null)
    {
        _path = path;
        _handler = handler;
        _log = logger;
        _group = group;
        _time = time ?? TimeProvider.System;
    }

    public string Path => _path;

    /// <summary>
    /// Binds the socket and starts the accept thread. Throws <see cref="InvalidOperationException"/> with one
    /// line for the user when another daemon answers on the path or the path cannot be used: anything at the
    /// path but a socket nobody answers on is left as it is (a mistyped --control must not delete a file).
    /// </summary>
    public void Start()
    {
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("s2s runs on Linux");
        var endpoint = ControlClient.Endpoint(_path, message => new InvalidOperationException(message));
        try
        {
            PrepareDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(_path)));
            var existing = UnixFiles.Lstat(_path);
            if (existing.Kind == UnixFiles.Kind.Socket)
            {
                if (Answers(endpoint))
                    throw new InvalidOperationException($"another s2s is running on {_path}; use --control");
                // Nobody listens: what a daemon that did not stop cleanly left behind.
                File.Delete(_path);
                Log.RemovedStale(_log, _path);
            }
            else if (existing.Kind != UnixFiles.Kind.Missing)
            {
                throw new InvalidOperationException($"control socket {_path}: {UnixFiles.Describe(existing.Kind)} is there, not a socket; s2s replaces only a socket nobody answers on: use --control with another path");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"cannot use control socket {_path}: {e.Message}", e);
        }
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        var bound = false;
        try
        {
            listener.Bind(new UnownedPath(endpoint));
            bound = true;
            // Only the daemon's user (root) may talk to it, and control_group's members: the commands bring
            // tunnels down. The group first, then the mode that lets it in.
            if (_group is not null)
                Give(_path, _group);
            File.SetUnixFileMode(_path, _group is null ? SocketMode : GroupSocketMode);
            _bound = UnixFiles.Lstat(_path);
            listener.Listen(16);
        }
        catch (Exception e) when (e is SocketException or IOException or UnauthorizedAccessException)
        {
            listener.Dispose();
            if (bound)
                RemoveSocket(null);
            throw new InvalidOperationException($"cannot listen on control socket {_path}: {e.Message}", e);
        }
        _listener = listener;
        _thread = new Thread(AcceptLoop) { IsBackground = true, Name = "control" };
        _thread.Start();
        Log.Listening(_log, _path);
    }

    /// <summary>
    /// Makes the socket's directory, and each missing one above it, 0700 (0750 and control_group's with a group).
    /// A directory that is already there keeps its mode and group: it may be /run, /tmp or a home, and neither
    /// strongSwan (its sockets in /run, chown of the socket alone) nor wireguard-go (MkdirAll 0755, then a 0700
    /// socket) changes one. The socket's own mode guards it, since connect(2) needs write permission on it.
    /// What Start made, Dispose removes when empty, so the next start makes it again with its own settings.
    /// </summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private void PrepareDirectory(string? directory)
    {
        var missing = new List<string>();
        for (var d = directory; d is not null && !Directory.Exists(d); d = System.IO.Path.GetDirectoryName(d))
            missing.Insert(0, d);
        foreach (var d in missing)
        {
            // The umask only narrows DirectoryMode; the exact mode follows once the group is right.
            Directory.CreateDirectory(d, DirectoryMode);
            _made.Add(d);
            if (_group is not null)
                Give(d, _group);
            File.SetUnixFileMode(d, _group is null ? DirectoryMode : GroupDirectoryMode);
        }
        if (missing.Count == 0 && directory is not null && _group is not null)
        {
            var status = UnixFiles.Lstat(directory);
            var passes = (status.Mode & UnixFileMode.OtherExecute) != 0 || (status.Gid == _group.Id && (status.Mode & UnixFileMode.GroupExecute) != 0);
            if (status.Kind == UnixFiles.Kind.Directory && !passes)
                Log.GroupShutOut(_log, directory, status.Octal, status.Gid, _group.ToString(), _group.Name);
        }
    }

    private static void Give(string path, Config.ControlGroup group)
    {
        try
        {
            UnixFiles.ChangeGroup(path, group.Id);
        }
        catch (IOException e)
        {
            throw new IOException($"cannot give {path} to control_group {group}: {e.Message}", e);
        }
    }

    /// <summary>
    /// The socket's address, hidden from .NET's clean-up: a socket bound to a UnixDomainSocketEndPoint deletes
    /// whatever is at its path when disposed, even when that is no longer the socket. Dispose removes ours itself.
    /// </summary>
    private sealed class UnownedPath(UnixDomainSocketEndPoint path) : EndPoint
    {
        public override AddressFamily AddressFamily => AddressFamily.Unix;

        public override SocketAddress Serialize() => path.Serialize();

        public override EndPoint Create(SocketAddress socketAddress) => path.Create(socketAddress);
    }

    /// <summary>
    /// Whether a process accepts connections on <paramref name="endpoint"/>; a refused connection means a stale
    /// socket. Any other failure (permission denied) is no proof that nobody listens: the socket is not replaced.
    /// </summary>
    private bool Answers(UnixDomainSocketEndPoint endpoint)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(endpoint);
            return true;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return false;
        }
        catch (SocketException e)
        {
            throw new InvalidOperationException($"control socket {_path}: cannot tell whether a daemon listens there ({e.Message}); use --control with another path", e);
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
                _stopped.Wait(AcceptRetryPause);
                continue;
            }
            if (Interlocked.Increment(ref _clients) > MaxClients)
            {
                Interlocked.Decrement(ref _clients);
                using (client)
                    Busy(client);
                continue;
            }
            ThreadPool.UnsafeQueueUserWorkItem(c =>
            {
                var handedOff = false;
                try
                {
                    handedOff = Serve(c);
                }
#pragma warning disable CA1031 // A client's connection must never take the daemon down: logged, closed.
                catch (Exception e)
#pragma warning restore CA1031
                {
                    Log.HandlerFailed(_log, "connection", e);
                }
                finally
                {
                    if (!handedOff)
                        c.Dispose();
                    Interlocked.Decrement(ref _clients);
                }
            }, client, preferLocal: false);
        }
    }

    private void Busy(Socket client)
    {
        try
        {
            // Read the request first (briefly): closing on unread input would reset the connection before
            // the client reads the answer.
            TryReadRequest(client, _time.GetUtcNow() + TimeSpan.FromSeconds(1), out _, out _, out _);
            client.SendTimeout = 1000;
            client.Send(Encoding.UTF8.GetBytes(Error($"the daemon is serving {MaxClients} other control clients; try again").ToJsonString() + "\n"));
        }
        catch (SocketException e)
        {
            Log.ConnectionFailed(_log, e.Message);
        }
    }

    /// <summary>
    /// Reads one request, carries it out and answers; every failure becomes an error answer or a log line. True when
    /// the connection was handed to a monitor's own thread, which closes it.
    /// </summary>
    private bool Serve(Socket client)
    {
        var deadline = _time.GetUtcNow() + RequestTimeout;
        JsonObject answer;
        bool unread;
        try
        {
            if (!TryReadRequest(client, deadline, out var request, out var problem, out unread))
            {
                if (problem is null)
                    return false;
                Log.BadRequest(_log, problem);
                answer = Error(problem);
            }
            else if (StreamCommand(request) is { } command)
            {
                return StartStream(client, command, request);
            }
            else
            {
                answer = Handle(request);
            }
        }
        catch (SocketException e)
        {
            Log.ConnectionFailed(_log, e.Message);
            return false;
        }
        try
        {
            // A client that does not read its answer holds the slot no longer than the timeout.
            client.SendTimeout = (int)RequestTimeout.TotalMilliseconds;
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
        return false;
    }

    /// <summary>"monitor" or "trace": the commands that stream; null for any other.</summary>
    private static string? StreamCommand(JsonObject request)
    {
        try
        {
            return Text(request, "command") is ("monitor" or "trace") and var command ? command : null;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException)
        {
            // A request with a key twice: Handle answers it.
            return null;
        }
    }

    /// <summary>
    /// `s2s monitor` and `s2s trace`: answers {"ok":true,"result":"monitoring"} (or "tracing"), then streams one JSON line
    /// per SA event or traced packet on a thread of its own (a stream does not hold one of the <see cref="MaxClients"/>
    /// slots) until the client goes, a trace reaches its count, a line cannot be sent within the request timeout, or
    /// the daemon stops. False when it was refused (answered here).
    /// </summary>
    private bool StartStream(Socket client, string command, JsonObject request)
    {
        IControlStream source;
        string target;
        try
        {
            (source, target) = command == "trace" ? Trace(request) : (_handler.Monitor(), "");
        }
        catch (Exception e) when (e is ControlException or InvalidOperationException or ArgumentException)
        {
            client.SendTimeout = (int)RequestTimeout.TotalMilliseconds;
            client.Send(Encoding.UTF8.GetBytes(Error(e.Message).ToJsonString() + "\n"));
            return false;
        }
        Log.Command(_log, command, target);
        var answer = command == "trace" ? "tracing" : "monitoring";
        var thread = new Thread(() => Stream(client, source, answer)) { IsBackground = true, Name = $"control {command}" };
        thread.Start();
        return true;
    }

    /// <summary>Reads a trace request's filter and starts the trace; a bad value is a <see cref="ControlException"/> naming it.</summary>
    private (IControlStream, string) Trace(JsonObject request)
    {
        var connection = Text(request, "connection");
        var child = Text(request, "child");
        if (child is not null && string.IsNullOrEmpty(connection))
            throw new ControlException("'trace' with a \"child\" needs its \"connection\"");
        var direction = Text(request, "direction") switch
        {
            null or "both" => Tracing.TraceDirection.Both,
            "inbound" => Tracing.TraceDirection.Inbound,
            "outbound" => Tracing.TraceDirection.Outbound,
            var other => throw new ControlException($"'trace' direction '{other}' is not one of inbound, outbound, both"),
        };
        var count = 0;
        if (request["count"] is { } n && (n is not JsonValue v || !v.TryGetValue(out count) || count < 0))
            throw new ControlException($"'trace' count '{n.ToJsonString()}' is not a number of packets; give 1 or more, or 0 for no limit");
        var target = connection is null ? "every connection" : child is null ? connection : $"{connection}/{child}";
        return (_handler.Trace(string.IsNullOrEmpty(connection) ? null : connection, child, direction, count), $"{target} {direction.ToString().ToLowerInvariant()}{(count > 0 ? $" {count}" : "")}");
    }

    private void Stream(Socket client, IControlStream source, string answer)
    {
        using (client)
        using (source)
        {
            try
            {
                client.SendTimeout = (int)RequestTimeout.TotalMilliseconds;
                client.Send(Encoding.UTF8.GetBytes(new JsonObject { ["ok"] = true, ["result"] = answer }.ToJsonString() + "\n"));
                while (!_stopping)
                {
                    if (source.TryRead(MonitorPoll, out var line))
                        client.Send(Encoding.UTF8.GetBytes(line.ToJsonString() + "\n"));
                    else if (source.Finished)
                        return; // a trace that reached its count
                    else if (client.Poll(0, SelectMode.SelectRead) && client.Available == 0)
                        return; // the client closed its end
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                Log.ConnectionFailed(_log, e.Message);
            }
        }
    }

    /// <summary>How often a quiet stream looks whether its client is still there, its trace finished and the daemon still running.</summary>
    private static readonly TimeSpan MonitorPoll = TimeSpan.FromSeconds(1);

    private void Drain(Socket client, DateTimeOffset deadline)
    {
        var buffer = new byte[16 * 1024];
        while (deadline - _time.GetUtcNow() is var left && left > TimeSpan.Zero)
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
    private bool TryReadRequest(Socket client, DateTimeOffset deadline, out JsonObject request, out string? problem, out bool unread)
    {
        request = [];
        problem = null;
        unread = false;
        var buffer = new byte[MaxRequestSize + 1];
        var length = 0;
        while (true)
        {
            var left = deadline - _time.GetUtcNow();
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
        string? command = null;
        try
        {
            // Reading a key can throw too (a request with a key twice).
            command = Text(request, "command");
            var connection = Text(request, "connection");
            var child = Text(request, "child");
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
                ? Error($"unknown command '{command}'; known: status, initiate, terminate, rekey, reload, monitor, trace")
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
        _stopped.Set();
        _listener.Dispose();
        _thread?.Join(RequestTimeout + TimeSpan.FromSeconds(1));
        _stopped.Dispose();
        _listener = null;
        RemoveSocket(_bound);
        Log.Closed(_log, _path);
    }

    /// <summary>
    /// Removes the socket this server bound (<paramref name="ours"/>, by inode; null: whatever socket is there,
    /// just after binding), never what took its place since, and then the directories Start made, when empty.
    /// </summary>
    private void RemoveSocket(UnixFiles.Status? ours)
    {
        try
        {
            var now = UnixFiles.Lstat(_path);
            if (now.Kind == UnixFiles.Kind.Socket && (ours is null || (now.Inode == ours.Value.Inode && now.Device == ours.Value.Device)))
                File.Delete(_path);
            else if (now.Kind != UnixFiles.Kind.Missing)
                Log.LeftInPlace(_log, _path, UnixFiles.Describe(now.Kind));
            for (var i = _made.Count - 1; i >= 0 && !Directory.EnumerateFileSystemEntries(_made[i]).Any(); i--)
                Directory.Delete(_made[i]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.ConnectionFailed(_log, e.Message);
        }
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

        [LoggerMessage(4008, LogLevel.Warning, "control socket directory {Directory} (mode {Mode}, group {Gid}) keeps control_group {Group} from the socket; s2s changes only directories it makes: chmod 750 {Directory} and chgrp {GroupName} {Directory}, or remove it")]
        public static partial void GroupShutOut(ILogger logger, string directory, string mode, uint gid, string group, string groupName);

        [LoggerMessage(4009, LogLevel.Warning, "left {Path} in place: {What} took the place of the control socket")]
        public static partial void LeftInPlace(ILogger logger, string path, string what);
    }
}
