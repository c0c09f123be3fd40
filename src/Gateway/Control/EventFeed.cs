using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway.Control;

/// <summary>
/// The SA events as `s2s monitor` streams them (as swanctl --monitor-sa does): the control plane publishes each event
/// once, when it takes it from the engine, and every subscriber gets its own copy as one JSON object. A subscriber
/// that does not keep up loses its oldest lines, never the gateway's time: each queue holds
/// <see cref="QueueLength"/> lines, and what was dropped is said in the next line the subscriber reads.
/// </summary>
public sealed class EventFeed
{
    /// <summary>Lines a subscriber may be behind before its oldest go.</summary>
    public const int QueueLength = 1024;

    /// <summary>At most this many subscribers at once; more are refused.</summary>
    public const int MaxSubscribers = 8;

    private readonly Lock _sync = new();
    private Subscription[] _subscribers = [];

    /// <summary>One subscriber's queue; dispose it to unsubscribe.</summary>
    public sealed class Subscription : IControlStream
    {
        private readonly EventFeed _feed;
        private readonly Channel<JsonObject> _lines;
        private long _dropped;

        internal Subscription(EventFeed feed)
        {
            _feed = feed;
            _lines = Channel.CreateBounded<JsonObject>(new BoundedChannelOptions(QueueLength) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true },
                _ => Interlocked.Increment(ref _dropped));
        }

        /// <summary>The next line, waiting up to <paramref name="wait"/>; false when none came (or the feed closed it).</summary>
        public bool TryRead(TimeSpan wait, out JsonObject line) => ControlStreamQueue.TryRead(_lines.Reader, wait, ref _dropped, out line);

        /// <summary>A monitor follows events until its client goes.</summary>
        public bool Finished => false;

        internal void Write(JsonObject line) => _lines.Writer.TryWrite(line);

        public void Dispose()
        {
            _lines.Writer.TryComplete();
            _feed.Remove(this);
        }
    }

    /// <summary>How many listen now.</summary>
    public int Subscribers => Volatile.Read(ref _subscribers).Length;

    /// <summary>A new subscriber, or null when <see cref="MaxSubscribers"/> listen already.</summary>
    public Subscription? Subscribe()
    {
        lock (_sync)
        {
            if (_subscribers.Length >= MaxSubscribers)
                return null;
            var subscription = new Subscription(this);
            _subscribers = [.. _subscribers, subscription];
            return subscription;
        }
    }

    private void Remove(Subscription subscription)
    {
        lock (_sync)
            _subscribers = [.. _subscribers.Where(s => s != subscription)];
    }

    /// <summary>Hands <paramref name="e"/> to every subscriber; never blocks. Control plane.</summary>
    public void Publish(IkeEvent e, DateTimeOffset at)
    {
        var subscribers = Volatile.Read(ref _subscribers);
        if (subscribers.Length == 0)
            return;
        foreach (var s in subscribers)
            s.Write(ToJson(e, at));
    }

    /// <summary>One event as a JSON object: its time, kind, connection and SA, and what the kind carries.</summary>
    public static JsonObject ToJson(IkeEvent e, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(e);
        var line = new JsonObject
        {
            ["time"] = at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
            ["connection"] = e.Connection,
            ["ike_sa"] = e.IkeSaId,
        };
        switch (e)
        {
            case IkeSaEstablished up:
                line["event"] = "ike-up";
                line["spi_i"] = up.InitiatorSpi.ToString("x16", CultureInfo.InvariantCulture);
                line["spi_r"] = up.ResponderSpi.ToString("x16", CultureInfo.InvariantCulture);
                line["proposal"] = up.Proposal;
                line["remote_id"] = up.RemoteId.ToString();
                line["nat"] = up.NatDetected;
                break;
            case IkeSaClosed down:
                line["event"] = "ike-down";
                line["reason"] = down.Reason;
                break;
            case ChildSaEstablished child:
                line["event"] = child.Rekeyed ? "child-rekeyed" : "child-up";
                line["child"] = child.Child;
                line["unique_id"] = child.UniqueId;
                line["spi_in"] = child.InboundSpi.ToString("x8", CultureInfo.InvariantCulture);
                line["spi_out"] = child.OutboundSpi.ToString("x8", CultureInfo.InvariantCulture);
                line["proposal"] = child.Proposal;
                line["local_ts"] = child.LocalTs;
                line["remote_ts"] = child.RemoteTs;
                break;
            case ChildSaClosed gone:
                line["event"] = "child-down";
                line["child"] = gone.Child;
                line["unique_id"] = gone.UniqueId;
                line["spi_in"] = gone.InboundSpi.ToString("x8", CultureInfo.InvariantCulture);
                line["spi_out"] = gone.OutboundSpi.ToString("x8", CultureInfo.InvariantCulture);
                line["reason"] = gone.Reason;
                break;
            case NegotiationFailed failed:
                line["event"] = "failed";
                line["notify"] = failed.Notify.ToRfcName();
                line["from_peer"] = failed.ReceivedFromPeer;
                line["detail"] = failed.Detail;
                break;
            case IkeSaReauthenticated reauth:
                line["event"] = "ike-reauthenticated";
                line["new_ike_sa"] = reauth.NewIkeSaId;
                break;
            case RestartWanted restart:
                line["event"] = "restart";
                line["children"] = string.Join(",", restart.Children);
                break;
            default:
                line["event"] = e.GetType().Name;
                break;
        }
        return line;
    }

    /// <summary>One line for a person, as strongSwan's log names SAs: "gw[1] CHILD_SA net{3} rekeyed (aes256gcm16) ...".</summary>
    public static string Render(JsonObject line)
    {
        ArgumentNullException.ThrowIfNull(line);
        string S(string key) => line[key]?.ToString() ?? "";
        var sa = $"{S("connection")}[{S("ike_sa")}]";
        var child = $"CHILD_SA {S("child")}{{{S("unique_id")}}}";
        var text = S("event") switch
        {
            "ike-up" => $"{sa} IKE SA up with '{S("remote_id")}' ({S("proposal")}), SPIs {S("spi_i")}_i {S("spi_r")}_r{(line["nat"]?.GetValue<bool>() == true ? ", NAT-T" : "")}",
            "ike-down" => $"{sa} IKE SA down: {S("reason")}",
            "child-up" or "child-rekeyed" => $"{sa} {child} {(S("event") == "child-up" ? "up" : "rekeyed")} ({S("proposal")}), SPIs {S("spi_in")}_i {S("spi_out")}_o, {S("local_ts")} === {S("remote_ts")}",
            "child-down" => $"{sa} {child} down ({S("spi_in")}_i {S("spi_out")}_o): {S("reason")}",
            "restart" => $"{sa} restarting ({S("children")}): looking up the host names in remote_addrs first",
            "failed" => $"{sa} {S("notify")}{(line["from_peer"]?.GetValue<bool>() == true ? " from the peer" : "")}: {S("detail")}",
            _ => $"{sa} {S("event")}",
        };
        var dropped = line["dropped_before"] is { } d ? $" ({d} earlier line(s) dropped: the monitor fell behind)" : "";
        return $"{S("time")} {text}{dropped}";
    }
}
