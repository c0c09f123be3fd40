namespace S2SEndpoint.Gateway;

/// <summary>
/// start_action trap: the packets a trapped child holds while its SA comes up. A data-path worker that finds the child
/// without an SA keeps a copy here (this is not the steady state) and asks the control plane for the SA, at most once
/// per <see cref="TriggerInterval"/>; the control plane sends what waits once the SA's route is published. Bounded: the
/// oldest packet goes (counted) when <see cref="Capacity"/> wait, and one that waited longer than
/// <see cref="PacketLifetime"/> is dropped (counted) instead of sent. Any thread; a lock held for a few instructions.
/// </summary>
internal sealed class TrapQueue(TimeProvider time, GatewayCounters counters)
{
    /// <summary>Packets held per trapped child while its SA comes up; more are dropped and counted.</summary>
    public const int Capacity = 32;

    /// <summary>How long a held packet stays worth sending; older ones are dropped (counted) when the SA comes.</summary>
    public static readonly TimeSpan PacketLifetime = TimeSpan.FromSeconds(30);

    /// <summary>How often a trapped child asks for its SA while packets keep coming.</summary>
    public static readonly TimeSpan TriggerInterval = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private readonly Queue<(byte[] Packet, long At)> _held = new();
    private long _triggeredAt;

    /// <summary>
    /// Keeps a copy of <paramref name="packet"/>, the oldest dropped when <see cref="Capacity"/> wait already. True when
    /// the SA should be asked for: the first packet, or the first after <see cref="TriggerInterval"/>.
    /// </summary>
    public bool Hold(ReadOnlySpan<byte> packet)
    {
        var copy = packet.ToArray();
        var now = time.GetTimestamp();
        lock (_lock)
        {
            if (_held.Count >= Capacity)
            {
                _held.Dequeue();
                counters.Count(GatewayDropReason.TrapQueueFull);
            }
            _held.Enqueue((copy, now));
            counters.CountHeld();
            if (_triggeredAt != 0 && time.GetElapsedTime(_triggeredAt, now) < TriggerInterval)
                return false;
            _triggeredAt = now;
            return true;
        }
    }

    /// <summary>Whether packets wait or the SA was asked for since the last <see cref="TakeFresh"/>.</summary>
    public bool IsWaiting
    {
        get
        {
            lock (_lock)
                return _held.Count > 0 || _triggeredAt != 0;
        }
    }

    /// <summary>The SA is there: takes what waits, oldest first, without what waited too long (counted), and forgets the last ask.</summary>
    public List<byte[]> TakeFresh()
    {
        (byte[] Packet, long At)[] held;
        lock (_lock)
        {
            held = [.. _held];
            _held.Clear();
            _triggeredAt = 0;
        }
        var fresh = new List<byte[]>(held.Length);
        foreach (var (packet, at) in held)
        {
            if (time.GetElapsedTime(at) > PacketLifetime)
                counters.Count(GatewayDropReason.TrapQueueFull);
            else
                fresh.Add(packet);
        }
        return fresh;
    }

    /// <summary>The trap is gone (a reload removed or changed its connection): what waits is dropped, counted.</summary>
    public void Discard()
    {
        lock (_lock)
        {
            for (var i = 0; i < _held.Count; i++)
                counters.Count(GatewayDropReason.TrapQueueFull);
            _held.Clear();
            _triggeredAt = 0;
        }
    }
}
