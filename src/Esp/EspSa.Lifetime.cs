namespace S2SEndpoint.Esp;

// The lifetime of an SA (RFC 4301 4.4.2.1: "a soft lifetime ... and a hard lifetime"): bytes and packets are
// counted per packet by whichever worker carries it, with one comparison against the next limit that matters; time
// is checked when the gateway's timer calls PollLifetime. Reaching a soft limit asks IKE to rekey; reaching a hard
// limit makes the SA drop every further packet as Expired. Each stage is reported once to the ILifetimeObserver.
public sealed partial class EspSa
{
    private readonly ulong _sequenceLimit;
    private SaLifetime _lifetime = SaLifetime.Unlimited;
    private ILifetimeObserver? _observer;
    private TimeProvider _time = TimeProvider.System;
    private long _installed;
    private ulong _bytes;
    private ulong _packets;
    private ulong _nextPacketLimit;
    private ulong _nextByteLimit;
    private int _stage;
    private readonly Lock _limitSync = new();

    /// <summary>Inner-packet bytes carried so far.</summary>
    public ulong Bytes => Volatile.Read(ref _bytes);

    /// <summary>Packets carried so far.</summary>
    public ulong Packets => Volatile.Read(ref _packets);

    public LifetimeStage Stage => (LifetimeStage)Volatile.Read(ref _stage);

    /// <summary>Time since the SA was made, by its <see cref="TimeProvider"/>.</summary>
    public TimeSpan Age => _time.GetElapsedTime(_installed);

    /// <summary>
    /// The outbound sequence number at which a soft limit is reported, so that IKE rekeys before the counter runs
    /// out: 1/16 of the sequence space before its end.
    /// </summary>
    internal ulong SequenceSoftLimit => _sequenceLimit - (_sequenceLimit >> 4);

    internal bool IsExpired => Volatile.Read(ref _stage) == (int)LifetimeStage.HardExpired || _disposed;

    /// <summary>Checks the time limits; the gateway calls this from its timer (the data path never reads the clock).</summary>
    public void PollLifetime()
    {
        var age = Age;
        if (age >= _lifetime.HardTime)
            Expire(LifetimeStage.HardExpired, LifetimeLimit.Time);
        else if (age >= _lifetime.SoftTime)
            Expire(LifetimeStage.SoftExpired, LifetimeLimit.Time);
    }

    private void InitLifetime(SaLifetime lifetime, TimeProvider time)
    {
        _lifetime = lifetime;
        _observer = Settings.LifetimeObserver;
        _time = time;
        _installed = time.GetTimestamp();
        _nextPacketLimit = Math.Min(lifetime.SoftPackets, lifetime.HardPackets);
        _nextByteLimit = Math.Min(lifetime.SoftBytes, lifetime.HardBytes);
    }

    /// <summary>Counts one packet carried; the packet that reaches a hard limit is the last one.</summary>
    internal void Account(int innerLength)
    {
        // Workers count concurrently; the limits are read without a lock and crossed under one.
        var packets = Interlocked.Increment(ref _packets);
        var bytes = Interlocked.Add(ref _bytes, (ulong)innerLength);
        if (packets >= Volatile.Read(ref _nextPacketLimit) || bytes >= Volatile.Read(ref _nextByteLimit))
        {
            lock (_limitSync)
            {
                if (packets >= _nextPacketLimit || bytes >= _nextByteLimit)
                    CrossLimit(packets, bytes);
            }
        }
    }

    private void CrossLimit(ulong packets, ulong bytes)
    {
        var limit = packets >= _nextPacketLimit ? LifetimeLimit.Packets : LifetimeLimit.Bytes;
        if (packets >= _lifetime.HardPackets || bytes >= _lifetime.HardBytes)
        {
            _nextPacketLimit = _nextByteLimit = ulong.MaxValue;
            Expire(LifetimeStage.HardExpired, packets >= _lifetime.HardPackets ? LifetimeLimit.Packets : LifetimeLimit.Bytes);
            return;
        }
        _nextPacketLimit = _lifetime.HardPackets;
        _nextByteLimit = _lifetime.HardBytes;
        Expire(LifetimeStage.SoftExpired, limit);
    }

    /// <summary>Moves to <paramref name="stage"/> unless already there or beyond, reporting every stage passed.</summary>
    private void Expire(LifetimeStage stage, LifetimeLimit limit)
    {
        int current;
        do
        {
            current = Volatile.Read(ref _stage);
            if (current >= (int)stage)
                return;
        }
        while (Interlocked.CompareExchange(ref _stage, (int)stage, current) != current);
        for (var reached = current + 1; reached <= (int)stage; reached++)
            _observer?.OnLifetimeLimit(this, (LifetimeStage)reached, limit);
    }
}
