using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace S2SEndpoint.Gateway.Control;

/// <summary>
/// The CLI's end of the control socket: one connection per command, one JSON line each way (see
/// <see cref="ControlServer"/>). Every failure, from a missing daemon to an error the daemon answers,
/// becomes a <see cref="ControlException"/> whose message is the one line the user reads.
/// </summary>
public static class ControlClient
{
    /// <summary>How long the daemon may take to answer; status and commands take milliseconds.</summary>
    public static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(15);

    /// <summary>The longest answer read (a status with thousands of SAs fits many times over).</summary>
    private const int MaxAnswerSize = 16 * 1024 * 1024;

    /// <summary>Sends <paramref name="request"/> to the daemon on <paramref name="path"/>; returns its result.</summary>
    public static JsonNode? Send(string path, JsonObject request)
    {
        using var socket = Connect(path);
        return Exchange(socket, path, request);
    }

    /// <summary>
    /// Sends a streaming request (`monitor`) and hands each line the daemon streams after its answer to
    /// <paramref name="line"/>, until that returns false or the daemon closes the connection. Waits as long as it takes.
    /// </summary>
    public static void Stream(string path, JsonObject request, Func<JsonObject, bool> line)
    {
        ArgumentNullException.ThrowIfNull(line);
        ArgumentNullException.ThrowIfNull(request);
        using var socket = Connect(path);
        using var reader = new StreamReader(new NetworkStream(socket, ownsSocket: false), Encoding.UTF8);
        try
        {
            socket.SendTimeout = (int)AnswerTimeout.TotalMilliseconds;
            socket.ReceiveTimeout = (int)AnswerTimeout.TotalMilliseconds;
            socket.Send(Encoding.UTF8.GetBytes(request.ToJsonString() + "\n"));
            // The answer first (one line, as for any request), then the stream: no deadline, it waits for events.
            Result(Encoding.UTF8.GetBytes(reader.ReadLine() ?? throw new ControlException($"the s2s daemon on {path} closed the connection without an answer")), path);
            socket.ReceiveTimeout = 0;
            while (reader.ReadLine() is { } text)
            {
                if (JsonNode.Parse(text) is JsonObject item && !line(item))
                    return;
            }
        }
        catch (SocketException e)
        {
            throw new ControlException($"the s2s daemon on {path} closed the connection: {e.Message}");
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            throw new ControlException($"the s2s daemon on {path} broke off the stream: {e.Message}");
        }
    }

    private static Socket Connect(string path)
    {
        var endpoint = Endpoint(path, message => new ControlException(message));
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(endpoint);
            return socket;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressNotAvailable or SocketError.ConnectionRefused or SocketError.AddressFamilyNotSupported)
        {
            throw new ControlException($"no s2s daemon on {path} (is `s2s run` running? use --control PATH)");
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AccessDenied)
        {
            throw new ControlException($"permission denied on {path}: the control socket is for the daemon's user (root) and the members of its gateway.control_group");
        }
        catch (SocketException e)
        {
            throw new ControlException($"cannot connect to {path}: {e.Message}");
        }
        finally
        {
            if (!socket.Connected)
                socket.Dispose();
        }
    }

    /// <summary>Sends one request line and reads the answer line; its result, or the daemon's error as a ControlException.</summary>
    private static JsonNode? Exchange(Socket socket, string path, JsonObject request)
    {
        byte[] answer;
        try
        {
            socket.SendTimeout = (int)AnswerTimeout.TotalMilliseconds;
            socket.ReceiveTimeout = (int)AnswerTimeout.TotalMilliseconds;
            socket.Send(Encoding.UTF8.GetBytes(request.ToJsonString() + "\n"));
            answer = ReadAnswer(socket, path);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
        {
            throw new ControlException($"the s2s daemon on {path} did not answer within {AnswerTimeout.TotalSeconds:0} s");
        }
        catch (SocketException e)
        {
            throw new ControlException($"the s2s daemon on {path} closed the connection: {e.Message}");
        }

        return Result(answer, path);
    }

    /// <summary>The result of an answer line, or the daemon's error as a ControlException.</summary>
    private static JsonNode? Result(ReadOnlySpan<byte> answer, string path)
    {
        JsonObject? reply;
        try
        {
            reply = JsonNode.Parse(answer) as JsonObject;
        }
        catch (JsonException)
        {
            reply = null;
        }
        if (reply?["ok"] is not JsonValue ok || !ok.TryGetValue<bool>(out var success))
            throw new ControlException($"the s2s daemon on {path} gave an answer that is not understood");
        if (!success)
            throw new ControlException(reply["error"]?.ToString() ?? "the daemon refused the request without a reason");
        return reply["result"];
    }

    /// <summary>Reads the answer line (until a newline or the end of the stream).</summary>
    private static byte[] ReadAnswer(Socket socket, string path)
    {
        var answer = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            var n = socket.Receive(buffer);
            if (n == 0)
                break;
            var newline = Array.IndexOf(buffer, (byte)'\n', 0, n);
            answer.Write(buffer, 0, newline >= 0 ? newline : n);
            if (newline >= 0)
                break;
            if (answer.Length > MaxAnswerSize)
                throw new ControlException($"the s2s daemon on {path} sent an answer longer than {MaxAnswerSize} bytes");
        }
        if (answer.Length == 0)
            throw new ControlException($"the s2s daemon on {path} closed the connection without an answer");
        return answer.ToArray();
    }

    /// <summary>The socket address of <paramref name="path"/>, or <paramref name="fail"/>'s exception when the path cannot be one.</summary>
    internal static UnixDomainSocketEndPoint Endpoint(string path, Func<string, Exception> fail)
    {
        try
        {
            return new UnixDomainSocketEndPoint(path);
        }
        catch (ArgumentException)
        {
            // sun_path in struct sockaddr_un (unix(7)) holds 108 bytes with the terminating NUL.
            throw fail($"control socket path '{path}' is not usable: it must be 1 to 107 bytes long");
        }
    }
}
