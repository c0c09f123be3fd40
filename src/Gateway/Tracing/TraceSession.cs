using System.Text.Json.Nodes;
using System.Threading.Channels;
using S2SEndpoint.Gateway.Control;

namespace S2SEndpoint.Gateway.Tracing;

/// <summary>
/// One `s2s trace`: which packets it follows (a connection, or one of its children, and a direction), how many (its
/// count, and at most <see cref="PacketsPerSecond"/> in any second), and the queue its records wait in for the control
/// socket. The data path takes a packet for a session only when the filter holds and the count and the rate allow
/// (<see cref="TryTake"/>); a packet over the rate is not traced, only counted, and goes on untouched. The queue holds
/// <see cref="QueueLength"/> records; a record that finds it full is dropped and counted, so that a slow client never
/// holds up a worker. The client is told both: untraced packets in the next record made, dropped records in the next one it reads.
/// </summary>
public sealed class TraceSession : IControlStream
{
    /// <summary>Packets traced per session in any one second; more are counted as not traced.</summary>
    public const int PacketsPerSecond = 100;

    /// <summary>Records a client may be behind before new ones are dropped.</summary>
    public const int QueueLength = 256;

    private readonly Lock _sync = new();
    private readonly Channel<JsonObject> _records;
    private readonly TimeProvider _time;
    private readonly Action<TraceSession> _stop;
    private long _secondStarted;
    private int _inSecond;
    private long _taken;
    private long _published;
    private long _notTraced;
    private long _notTracedUntold;
    private long _dropped;
    private int _disposed;

    /// <param name="connection">Only this connection's packets; null: every packet.</param>
    /// <param name="child">Only this child of <paramref name="connection"/>; null: all of its children.</param>
    /// <param name="direction">Outbound, inbound or both.</param>
    /// <param name="count">Stop after this many packets; 0: until the client goes.</param>
    /// <param name="time">The clock of the rate limit.</param>
    /// <param name="stop">Takes the session off the data path when it is disposed.</param>
    internal TraceSession(string? connection, string? child, TraceDirection direction, int count, TimeProvider time, Action<TraceSession> stop)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        Connection = connection;
        Child = child;
        Direction = direction;
        Count = count;
        _time = time;
        _stop = stop;
        _secondStarted = time.GetTimestamp();
        _records = Channel.CreateBounded<JsonObject>(new BoundedChannelOptions(QueueLength) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true },
            Lost);
    }

    public string? Connection { get; }
    public string? Child { get; }
    public TraceDirection Direction { get; }
    public int Count { get; }

    /// <summary>Packets this session's filter held but it did not trace (over <see cref="PacketsPerSecond"/>), in all.</summary>
    public long NotTraced
    {
        get
        {
            lock (_sync)
                return _notTraced;
        }
    }

    /// <summary>Whether this session follows packets of <paramref name="direction"/>.</summary>
    internal bool Follows(TraceDirection direction) => Direction == TraceDirection.Both || Direction == direction;

    /// <summary>Whether the filter holds a packet of this connection and child.</summary>
    internal bool Covers(string connection, string child) =>
        Connection is null || (Connection == connection && (Child is null || Child == child));

    /// <summary>
    /// A packet the filter holds: true when the count and the rate let this session trace it. Over the rate it is
    /// counted as not traced; past the count the session takes nothing more.
    /// </summary>
    internal bool TryTake(out long packet)
    {
        packet = 0;
        lock (_sync)
        {
            if (Count > 0 && _taken >= Count)
                return false;
            var now = _time.GetTimestamp();
            if (now - _secondStarted >= _time.TimestampFrequency)
            {
                _secondStarted = now;
                _inSecond = 0;
            }
            if (_inSecond >= PacketsPerSecond)
            {
                _notTraced++;
                _notTracedUntold++;
                return false;
            }
            _inSecond++;
            packet = ++_taken;
            return true;
        }
    }

    /// <summary>
    /// Queues the record of <paramref name="packet"/>, numbered by <see cref="TryTake"/> in the order packets came in;
    /// never waits (a full queue drops it, counted).
    /// </summary>
    internal void Publish(JsonObject record, long packet)
    {
        record["packet"] = packet;
        lock (_sync)
        {
            if (_notTracedUntold > 0)
                record["not_traced_before"] = _notTracedUntold;
            _notTracedUntold = 0;
        }
        _records.Writer.TryWrite(record);
        Done();
    }

    /// <summary>A record the full queue dropped: counted, and the untraced packets it told of wait for the next one.</summary>
    private void Lost(JsonObject record)
    {
        Interlocked.Increment(ref _dropped);
        if (record["not_traced_before"] is { } untold)
        {
            lock (_sync)
                _notTracedUntold += (long)untold;
        }
    }

    /// <summary>A packet <see cref="TryTake"/> took whose record could not be made: it counts against the count all the same.</summary>
    internal void Abandon()
    {
        Interlocked.Increment(ref _dropped);
        Done();
    }

    private void Done()
    {
        if (Count > 0 && Interlocked.Increment(ref _published) >= Count)
            _records.Writer.TryComplete();
    }

    /// <summary>
    /// The next record, waiting up to <paramref name="wait"/>: with "not_traced_before" when packets went untraced (the
    /// rate) since the record before it was made, and "dropped_before" when records were dropped (the queue) since the
    /// last one read.
    /// </summary>
    public bool TryRead(TimeSpan wait, out JsonObject line) => ControlStreamQueue.TryRead(_records.Reader, wait, ref _dropped, out line);

    /// <summary>
    /// True once the count is reached and every record is read. A packet taken but never recorded (its worker survived
    /// an internal error in between) does not keep the stream open: the server asks only after a quiet poll.
    /// </summary>
    public bool Finished =>
        _records.Reader.Completion.IsCompleted ||
        (Count > 0 && Interlocked.Read(ref _taken) >= Count && _records.Reader.Count == 0);

    /// <summary>Takes the session off the data path; its queue is closed.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _records.Writer.TryComplete();
        _stop(this);
    }
}
