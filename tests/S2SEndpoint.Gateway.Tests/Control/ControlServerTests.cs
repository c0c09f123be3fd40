using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using S2SEndpoint.Gateway.Control;

namespace S2SEndpoint.Gateway.Tests.Control;

/// <summary>
/// The control socket over a real Unix socket in a temporary directory (no root needed): requests and
/// answers round-trip, bad requests get an error answer and leave the server serving, a stale socket file
/// is replaced and a live one refused.
/// </summary>
public sealed class ControlServerTests : IDisposable
{
    private readonly SocketDirectory _dir = new();
    private readonly FakeHandler _handler = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Status_RoundTrip_ReturnsHandlersDocument()
    {
        _handler.Document = new JsonObject { ["connections"] = new JsonArray(new JsonObject { ["name"] = "moon" }) };
        using var server = _dir.Start(_handler);
        var result = ControlClient.Send(_dir.Socket, new JsonObject { ["command"] = "status" });
        Assert.True(JsonNode.DeepEquals(_handler.Document, result));
    }

    [Fact]
    public void Initiate_WithChild_PassesConnectionAndChild()
    {
        using var server = _dir.Start(_handler);
        var result = ControlClient.Send(_dir.Socket, new JsonObject { ["command"] = "initiate", ["connection"] = "moon", ["child"] = "net" });
        Assert.Equal("initiate moon/net: done", result?.ToString());
        Assert.Equal(("initiate", "moon", "net"), Assert.Single(_handler.Calls));
    }

    [Fact]
    public void Command_HandlerRefuses_ErrorLineReachesClient()
    {
        _handler.Throw = new ControlException("no connection 'x'; known: moon");
        using var server = _dir.Start(_handler);
        var e = Assert.Throws<ControlException>(() => ControlClient.Send(_dir.Socket, new JsonObject { ["command"] = "terminate", ["connection"] = "x" }));
        Assert.Equal("no connection 'x'; known: moon", e.Message);
    }

    [Fact]
    public void Command_HandlerBug_InternalErrorAnswerAndServerLives()
    {
        _handler.Throw = new InvalidOperationException("boom");
        using var server = _dir.Start(_handler);
        var e = Assert.Throws<ControlException>(() => ControlClient.Send(_dir.Socket, new JsonObject { ["command"] = "reload" }));
        Assert.Equal("internal error: boom", e.Message);
        _handler.Throw = null;
        Assert.Equal("reload /: done", ControlClient.Send(_dir.Socket, new JsonObject { ["command"] = "reload" })?.ToString());
    }

    [Theory]
    [InlineData("not json\n", "request is not a JSON object")]
    [InlineData("[1,2]\n", "request is not a JSON object")]
    [InlineData("{\"command\":\"explode\"}\n", "unknown command 'explode'; known: status, initiate, terminate, rekey, reload")]
    [InlineData("{\"command\":\"rekey\"}\n", "'rekey' needs a \"connection\"")]
    [InlineData("{\"command\":\"initiate\",\"connection\":7}\n", "'initiate' needs a \"connection\"")]
    [InlineData("{\"command\":\"status\",\"command\":\"status\"}\n", "internal error")]
    public void MalformedRequest_ErrorAnswerAndServerLives(string request, string error)
    {
        using var server = _dir.Start(_handler);
        var answer = _dir.Raw(Encoding.UTF8.GetBytes(request));
        Assert.EndsWith("\n", answer, StringComparison.Ordinal);
        var reply = JsonNode.Parse(answer)!;
        Assert.False((bool)reply["ok"]!);
        Assert.StartsWith(error, (string?)reply["error"], StringComparison.Ordinal);
        Assert.Empty(_handler.Calls);
        Assert.NotNull(ControlClient.Send(_dir.Socket, new JsonObject { ["command"] = "status" }));
    }

    [Fact]
    public void OversizedRequest_ErrorAnswerAndServerLives()
    {
        using var server = _dir.Start(_handler);
        var request = Encoding.UTF8.GetBytes("{\"command\":\"status\",\"pad\":\"" + new string('x', ControlServer.MaxRequestSize) + "\"}\n");
        var answer = _dir.Raw(request);
        Assert.Equal($"{{\"ok\":false,\"error\":\"request longer than {ControlServer.MaxRequestSize} bytes\"}}\n", answer);
        Assert.Empty(_handler.Calls);
        Assert.NotNull(ControlClient.Send(_dir.Socket, new JsonObject { ["command"] = "status" }));
    }

    [Fact]
    public void RequestWithoutNewline_EndOfStreamEndsIt()
    {
        using var server = _dir.Start(_handler);
        // Raw reads to the end, so this client half-closes after its request.
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Connect(new UnixDomainSocketEndPoint(_dir.Socket));
        socket.Send("{\"command\":\"reload\"}"u8.ToArray());
        socket.Shutdown(SocketShutdown.Send);
        var buffer = new byte[256];
        var n = socket.Receive(buffer);
        Assert.Equal("{\"ok\":true,\"result\":\"reload /: done\"}\n", Encoding.UTF8.GetString(buffer, 0, n));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Start_MakesPrivateDirectoryAndSocket_DisposeRemovesSocket()
    {
        var server = _dir.Start(_handler);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(_dir.Socket)!));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_dir.Socket));
        server.Dispose();
        Assert.False(File.Exists(_dir.Socket));
        var e = Assert.Throws<ControlException>(() => ControlClient.Send(_dir.Socket, new JsonObject { ["command"] = "status" }));
        Assert.Equal($"no s2s daemon on {_dir.Socket} (is `s2s run` running? use --control PATH)", e.Message);
    }

    [Fact]
    public void Start_StaleSocketFile_IsReplaced()
    {
        // A socket file nobody listens on, as a killed daemon leaves it (kept bound, not listening: .NET
        // would remove the file when the socket is disposed).
        Directory.CreateDirectory(Path.GetDirectoryName(_dir.Socket)!);
        using var dead = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        dead.Bind(new UnixDomainSocketEndPoint(_dir.Socket));
        Assert.True(File.Exists(_dir.Socket));
        var refused = Assert.Throws<ControlException>(() => ControlClient.Send(_dir.Socket, new JsonObject { ["command"] = "status" }));
        Assert.StartsWith("no s2s daemon on ", refused.Message, StringComparison.Ordinal);

        using var server = _dir.Start(_handler);
        Assert.NotNull(ControlClient.Send(_dir.Socket, new JsonObject { ["command"] = "status" }));
    }

    public enum Occupant
    {
        RegularFile,
        Directory,
        LinkToFile,
        DanglingLink,
        LinkToStaleSocket,
    }

    [Theory]
    [InlineData(Occupant.RegularFile, "a regular file")]
    [InlineData(Occupant.Directory, "a directory")]
    [InlineData(Occupant.LinkToFile, "a symbolic link")]
    [InlineData(Occupant.DanglingLink, "a symbolic link")]
    [InlineData(Occupant.LinkToStaleSocket, "a symbolic link")]
    public void Start_SomethingButASocketAtThePath_RefusedNamingItAndLeftAsItIs(Occupant occupant, string what)
    {
        // As `s2s run --control /etc/s2s/s2s.json` would find it: nothing there may be deleted or followed.
        Directory.CreateDirectory(Path.GetDirectoryName(_dir.Socket)!);
        var target = Path.Combine(_dir.Root, "s2s.json");
        File.WriteAllText(target, "{ \"connections\": {} }");
        using var stale = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        switch (occupant)
        {
            case Occupant.RegularFile:
                File.Copy(target, _dir.Socket);
                break;
            case Occupant.Directory:
                Directory.CreateDirectory(_dir.Socket);
                break;
            case Occupant.LinkToFile:
                File.CreateSymbolicLink(_dir.Socket, target);
                break;
            case Occupant.DanglingLink:
                File.CreateSymbolicLink(_dir.Socket, Path.Combine(_dir.Root, "nothing"));
                break;
            case Occupant.LinkToStaleSocket:
                var socket = Path.Combine(_dir.Root, "stale.sock");
                stale.Bind(new UnixDomainSocketEndPoint(socket));
                File.CreateSymbolicLink(_dir.Socket, socket);
                break;
        }
        var server = new ControlServer(_dir.Socket, _handler, NullLogger.Instance);

        var e = Assert.Throws<InvalidOperationException>(server.Start);

        Assert.Equal($"control socket {_dir.Socket}: {what} is there, not a socket; s2s replaces only a socket nobody answers on: use --control with another path", e.Message);
        server.Dispose();
        var info = new FileInfo(_dir.Socket);
        switch (occupant)
        {
            case Occupant.RegularFile:
                Assert.Equal("{ \"connections\": {} }", File.ReadAllText(_dir.Socket));
                break;
            case Occupant.Directory:
                Assert.True(Directory.Exists(_dir.Socket));
                break;
            default:
                Assert.NotNull(info.LinkTarget);
                break;
        }
        Assert.Equal("{ \"connections\": {} }", File.ReadAllText(target));
    }

    [Fact]
    public void Dispose_SomethingTookTheSocketsPlace_LeftInPlace()
    {
        var server = _dir.Start(_handler);
        File.Delete(_dir.Socket);
        File.WriteAllText(_dir.Socket, "not ours");
        server.Dispose();
        Assert.Equal("not ours", File.ReadAllText(_dir.Socket));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Start_DirectoryThatWasThere_KeepsItsModeAndStays()
    {
        var directory = Path.GetDirectoryName(_dir.Socket)!;
        var mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
        Directory.CreateDirectory(directory);
        File.SetUnixFileMode(directory, mode);
        var server = _dir.Start(_handler);
        Assert.Equal(mode, File.GetUnixFileMode(directory));
        server.Dispose();
        Assert.True(Directory.Exists(directory));
    }

    [Fact]
    public void Dispose_RemovesTheDirectoriesStartMade()
    {
        var made = Path.Combine(_dir.Root, "a", "b");
        var server = new ControlServer(Path.Combine(made, "s2s.sock"), _handler, NullLogger.Instance);
        server.Start();
        Assert.True(Directory.Exists(made));
        server.Dispose();
        Assert.False(Directory.Exists(Path.Combine(_dir.Root, "a")));
        Assert.True(Directory.Exists(_dir.Root));
    }

    [Fact]
    public void Start_ControlGroup_SocketAndDirectoryAreTheGroupsWithGroupAccess()
    {
        var group = TestGroup.Usable();
        using var server = new ControlServer(_dir.Socket, _handler, NullLogger.Instance, group);
        server.Start();

        var socket = UnixFiles.Lstat(_dir.Socket);
        Assert.Equal((UnixFiles.Kind.Socket, "0660", group.Id), (socket.Kind, socket.Octal, socket.Gid));
        var directory = UnixFiles.Lstat(Path.GetDirectoryName(_dir.Socket)!);
        Assert.Equal((UnixFiles.Kind.Directory, "0750", group.Id), (directory.Kind, directory.Octal, directory.Gid));
        Assert.NotNull(ControlClient.Send(_dir.Socket, new JsonObject { ["command"] = "status" }));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Start_ControlGroupAndAPrivateDirectoryThatWasThere_WarnsAndLeavesIt()
    {
        var group = TestGroup.Usable();
        var directory = Path.GetDirectoryName(_dir.Socket)!;
        Directory.CreateDirectory(directory);
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var log = new ListLogger();
        using var server = new ControlServer(_dir.Socket, _handler, log, group);
        server.Start();

        Assert.Equal("0700", UnixFiles.Lstat(directory).Octal);
        Assert.Equal("0660", UnixFiles.Lstat(_dir.Socket).Octal);
        Assert.Contains(log.Lines, l => l.Level == Microsoft.Extensions.Logging.LogLevel.Warning
            && l.Message.StartsWith($"control socket directory {directory} (mode 0700, group ", StringComparison.Ordinal)
            && l.Message.Contains($"keeps control_group {group} from the socket; s2s changes only directories it makes: chmod 750 {directory} and chgrp {group.Name} {directory}", StringComparison.Ordinal));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Lstat_RegularFileDirectoryAndLink_TypeModeAndInodeOfThePathItself()
    {
        var file = Path.Combine(_dir.Root, "f");
        File.WriteAllText(file, "x");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.GroupRead);
        var link = Path.Combine(_dir.Root, "l");
        File.CreateSymbolicLink(link, file);

        var f = UnixFiles.Lstat(file);
        Assert.Equal((UnixFiles.Kind.RegularFile, "0440"), (f.Kind, f.Octal));
        var l = UnixFiles.Lstat(link);
        Assert.Equal(UnixFiles.Kind.SymbolicLink, l.Kind);
        Assert.NotEqual(f.Inode, l.Inode);
        Assert.Equal(UnixFiles.Kind.Directory, UnixFiles.Lstat(_dir.Root).Kind);
        Assert.Equal(UnixFiles.Kind.Missing, UnixFiles.Lstat(Path.Combine(_dir.Root, "none")).Kind);
        Assert.Equal(UnixFiles.Kind.Missing, UnixFiles.Lstat(Path.Combine(file, "under-a-file")).Kind);
    }

    [Fact]
    public void Start_LivePath_RefusedAndFirstServerUntouched()
    {
        using var first = _dir.Start(_handler);
        var second = new ControlServer(_dir.Socket, new FakeHandler(), NullLogger.Instance);
        var e = Assert.Throws<InvalidOperationException>(second.Start);
        Assert.Equal($"another s2s is running on {_dir.Socket}; use --control", e.Message);
        second.Dispose();
        Assert.Equal("rekey moon/: done", ControlClient.Send(_dir.Socket, new JsonObject { ["command"] = "rekey", ["connection"] = "moon" })?.ToString());
    }

    [Fact]
    public void Start_PathTooLong_OneLine()
    {
        var server = new ControlServer("/tmp/" + new string('s', 200) + ".sock", _handler, NullLogger.Instance);
        var e = Assert.Throws<InvalidOperationException>(server.Start);
        Assert.EndsWith("is not usable: it must be 1 to 107 bytes long", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void StuckClients_DoNotBlockTheOthers_MoreThanTheLimitAreToldBusy()
    {
        using var server = _dir.Start(_handler);
        var stuck = new List<Socket>();
        try
        {
            for (var i = 0; i < ControlServer.MaxClients; i++)
            {
                var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                stuck.Add(s);
                s.Connect(new UnixDomainSocketEndPoint(_dir.Socket));
                s.Send("{\"command\":"u8.ToArray());
            }
            // Once the server has taken the stuck clients in, the next one is told it is busy.
            ControlException? busy = null;
            Assert.True(Eventually.Holds(() =>
            {
                try
                {
                    ControlClient.Send(_dir.Socket, new JsonObject { ["command"] = "status" });
                    return false;
                }
                catch (ControlException e)
                {
                    busy = e;
                    return true;
                }
            }), "a client beyond the limit was served");
            Assert.Contains("try again", busy!.Message, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var s in stuck)
                s.Dispose();
        }
        // Their slots come back as they go.
        JsonNode? answer = null;
        Eventually.Holds(() =>
        {
            try
            {
                answer = ControlClient.Send(_dir.Socket, new JsonObject { ["command"] = "status" });
            }
            catch (ControlException)
            {
            }
            return answer is not null;
        }, ControlServer.RequestTimeout + TimeSpan.FromSeconds(3), TimeSpan.FromMilliseconds(100));
        Assert.NotNull(answer);
    }

    [Fact]
    public void SilentClient_TimesOutWithoutBlockingTheNext()
    {
        using var server = _dir.Start(_handler);
        using var stuck = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        stuck.Connect(new UnixDomainSocketEndPoint(_dir.Socket));
        stuck.Send("{\"command\":"u8.ToArray());
        // The next client is served at once, beside the stuck one; the stuck one gets its answer at the timeout.
        var started = DateTime.UtcNow;
        Assert.NotNull(ControlClient.Send(_dir.Socket, new JsonObject { ["command"] = "status" }));
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.Zero, TimeSpan.FromSeconds(2));
        var buffer = new byte[256];
        stuck.ReceiveTimeout = (int)(ControlServer.RequestTimeout + TimeSpan.FromSeconds(3)).TotalMilliseconds;
        var n = stuck.Receive(buffer);
        Assert.StartsWith("{\"ok\":false,\"error\":\"no complete request within 5 s\"}", Encoding.UTF8.GetString(buffer, 0, n), StringComparison.Ordinal);
    }
}
