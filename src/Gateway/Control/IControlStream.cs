using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace S2SEndpoint.Gateway.Control;

/// <summary>
/// What a streaming command (`s2s monitor`, `s2s trace`) hands the control socket: lines to send one by one, read
/// from a bounded queue that the gateway fills without ever waiting for the client. Dispose it to stop the stream.
/// </summary>
public interface IControlStream : IDisposable
{
    /// <summary>The next line, waiting up to <paramref name="wait"/>; false when none came.</summary>
    bool TryRead(TimeSpan wait, out JsonObject line);

    /// <summary>True once no line will come any more (a trace that reached its count): the server then closes the connection.</summary>
    bool Finished { get; }
}

/// <summary>The read both streams share: a line from their queue, waiting up to a time, and what was dropped before it.</summary>
internal static class ControlStreamQueue
{
    /// <summary>
    /// The next line of <paramref name="queue"/>, waiting up to <paramref name="wait"/>; with "dropped_before" when
    /// <paramref name="dropped"/> (the lines the full queue dropped since the last read) is not zero, which it resets.
    /// </summary>
    public static bool TryRead(ChannelReader<JsonObject> queue, TimeSpan wait, ref long dropped, out JsonObject line)
    {
        if (!queue.TryRead(out line!))
        {
            using var timeout = new CancellationTokenSource(wait);
            try
            {
                if (!queue.WaitToReadAsync(timeout.Token).AsTask().GetAwaiter().GetResult() || !queue.TryRead(out line!))
                    return false;
            }
            catch (OperationCanceledException)
            {
                line = null!;
                return false;
            }
        }
        var before = Interlocked.Exchange(ref dropped, 0);
        if (before > 0)
            line["dropped_before"] = before;
        return true;
    }
}
