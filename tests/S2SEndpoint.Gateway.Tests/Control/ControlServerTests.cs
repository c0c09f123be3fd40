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
    public void SilentClient_TimesOutWithoutBlockingTheNext()
    {
        using var server = _dir.Start(_handler);
        using var stuck = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        stuck.Connect(new UnixDomainSocketEndPoint(_dir.Socket));
        stuck.Send("{\"command\":"u8.ToArray());
        var started = DateTime.UtcNow;
        Assert.NotNull(ControlClient.Send(_dir.Socket, new JsonObject { ["command"] = "status" }));
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.Zero, ControlServer.RequestTimeout + TimeSpan.FromSeconds(3));
        var buffer = new byte[256];
        stuck.ReceiveTimeout = 1000;
        var n = stuck.Receive(buffer);
        Assert.StartsWith("{\"ok\":false,\"error\":\"no complete request within 5 s\"}", Encoding.UTF8.GetString(buffer, 0, n), StringComparison.Ordinal);
    }
}
