using S2SEndpoint.Ike.Exchanges;

namespace S2SEndpoint.Ike.Sa;

/// <summary>
/// The timers of one IKE SA apart from retransmission: half-open expiry, liveness checks after a quiet
/// delay (RFC 7296 2.4), and the hard lifetimes of the IKE SA and its Child SAs. Deadlines are plain
/// times; the engine asks for the next one and runs what is due.
/// </summary>
internal sealed class SaTimers(IkeSaManager sas)
{
    /// <summary>When the outstanding liveness check started; null when none is under way.</summary>
    public DateTimeOffset? DpdStarted { get; set; }

    /// <summary>When the data plane's counters are next read for byte and packet limits.</summary>
    private DateTimeOffset _usageCheck = DateTimeOffset.MinValue;

    public DateTimeOffset Next(IkeSa sa)
    {
        var next = DateTimeOffset.MaxValue;
        if (sa.State is IkeSaState.Connecting or IkeSaState.Authenticating)
            return sa.IsOriginalInitiator ? next : sa.Created + sas.Options.HalfOpenTimeout;
        if (sa.State is not (IkeSaState.Established or IkeSaState.Rekeyed))
            return next;
        next = Min(next, sa.ExpireAt);
        if (sa.State == IkeSaState.Established)
            next = Min(Min(next, sa.RekeyAt), sa.ReauthAt);
        foreach (var c in sa.Children)
            next = Min(next, c.State == ChildSaState.Installed ? Min(c.RekeyAt, c.ExpireAt) : c.ExpireAt);
        // Every Child SA has limits in the data plane (its sequence numbers) beside any configured ones.
        if (sa.Children.Count > 0)
            next = Min(next, _usageCheck);
        if (sa.Config.DpdDelay > TimeSpan.Zero)
        {
            next = DpdStarted is { } started
                ? Min(next, sa.Config.DpdTimeout > TimeSpan.Zero ? started + sa.Config.DpdTimeout : DateTimeOffset.MaxValue)
                : Min(next, LastHeard(sa) + sa.Config.DpdDelay);
        }
        return next;
    }

    public void Run(IkeSa sa, DateTimeOffset now)
    {
        if (sa.State is IkeSaState.Connecting or IkeSaState.Authenticating)
        {
            if (!sa.IsOriginalInitiator && now >= sa.Created + sas.Options.HalfOpenTimeout)
                sas.Destroy(sa, "half-open IKE SA expired");
            return;
        }
        if (sa.State is not (IkeSaState.Established or IkeSaState.Rekeyed))
            return;
        if (sa.State == IkeSaState.Rekeyed)
        {
            if (now >= sa.ExpireAt)
                sas.Destroy(sa, "replaced by its rekeyed IKE SA");
            return;
        }
        if (now >= sa.ExpireAt)
        {
            sa.ExpireAt = DateTimeOffset.MaxValue;
            sas.Terminate(sa);
            return;
        }
        if (now >= sa.RekeyAt)
        {
            sa.RekeyAt = DateTimeOffset.MaxValue;
            if (!sa.Tasks.IsQueued(TaskType.IkeRekey))
                sa.Tasks.Queue(new IkeRekeyTask(sa, true));
        }
        if (now >= sa.ReauthAt)
        {
            sa.ReauthAt = DateTimeOffset.MaxValue;
            sas.Reauthenticate(sa);
        }
        foreach (var child in sa.Children.Where(c => now >= c.ExpireAt && c.State != ChildSaState.Deleting).ToList())
        {
            child.State = ChildSaState.Deleting;
            sa.Tasks.Queue(new ChildDeleteTask(sa, true, child));
        }
        if (now >= _usageCheck)
        {
            _usageCheck = now + sas.Options.UsagePollInterval;
            CheckVolume(sa);
        }
        foreach (var child in sa.Children.Where(c => now >= c.RekeyAt && c.State == ChildSaState.Installed).ToList())
        {
            child.RekeyAt = DateTimeOffset.MaxValue;
            if (sa.Tasks.Queued.OfType<ChildRekeyTask>().All(t => t.Old != child))
                sa.Tasks.Queue(new ChildRekeyTask(sa, true, child));
        }
        if (sa.Config.DpdDelay > TimeSpan.Zero)
        {
            if (DpdStarted is { } started)
            {
                if (sa.Config.DpdTimeout > TimeSpan.Zero && now >= started + sa.Config.DpdTimeout)
                {
                    sas.GiveUp(sa, $"no answer to a liveness check within {sa.Config.DpdTimeout.TotalSeconds:0} s");
                    return;
                }
            }
            else if (now >= LastHeard(sa) + sa.Config.DpdDelay && !sa.Tasks.HasActiveExchange && !sa.Tasks.IsQueued(TaskType.IkeDpd))
            {
                sa.Tasks.Queue(new IkeDpdTask(sa, true));
            }
        }
        sa.Tasks.Initiate();
    }

    /// <summary>
    /// Soft limits (rekey_bytes, rekey_packets, and the data plane's sequence numbers near their end) start a
    /// rekey; hard limits (life_bytes, life_packets, sequence numbers spent) close the Child SA, as RFC 4301
    /// 4.4.2.1 has for SA lifetimes in bytes and RFC 4303 3.3.3 for a counter that would cycle.
    /// </summary>
    private void CheckVolume(IkeSa sa)
    {
        foreach (var child in sa.Children.ToList())
        {
            var c = child.Config;
            if (child.State is ChildSaState.Deleting)
                continue;
            var usage = sas.Kernel.QueryUsage(child.InboundSpi);
            var bytes = Math.Max(usage.InboundBytes, usage.OutboundBytes);
            var packets = Math.Max(usage.InboundPackets, usage.OutboundPackets);
            if (usage.Exhausted || (c.LifeBytes > 0 && bytes >= c.LifeBytes) || (c.LifePackets > 0 && packets >= c.LifePackets))
            {
                child.State = ChildSaState.Deleting;
                sa.Tasks.Queue(new ChildDeleteTask(sa, true, child));
            }
            else if (child.State == ChildSaState.Installed &&
                (usage.RekeyNeeded || (c.RekeyBytes > 0 && bytes >= c.RekeyBytes) || (c.RekeyPackets > 0 && packets >= c.RekeyPackets)))
            {
                child.RekeyAt = sas.Now;
            }
        }
    }

    /// <summary>The last sign of life: an IKE message, or an ESP packet the data plane counted.</summary>
    private DateTimeOffset LastHeard(IkeSa sa)
    {
        var last = sa.LastInbound;
        foreach (var c in sa.Children)
        {
            if (sas.Kernel.QueryUsage(c.InboundSpi).LastInbound is { } esp && esp > last)
                last = esp;
        }
        return last;
    }

    /// <summary>
    /// rekey_time and reauth_time, each less a random part of rand_time, and life_time for the hard expiry of the IKE
    /// SA (zero: none). Both may be set: whichever falls due first runs, as strongSwan schedules them apart.
    /// </summary>
    public static void ScheduleIke(IkeSa sa, DateTimeOffset now)
    {
        sa.ExpireAt = sa.Config.EffectiveLifeTime > TimeSpan.Zero ? now + sa.Config.EffectiveLifeTime : DateTimeOffset.MaxValue;
        if (sa.Config.RekeyTime > TimeSpan.Zero)
            sa.RekeyAt = now + sa.Config.RekeyTime - Jitter(sa, sa.Config.RandTime);
        if (sa.Config.ReauthTime > TimeSpan.Zero)
            sa.ReauthAt = now + sa.Config.ReauthTime - Jitter(sa, sa.Config.RandTime);
    }

    /// <summary>
    /// An IKE rekey refreshes the keys but proves nothing anew: the reauthentication stays due when it was, and the
    /// hard expiry with it (strongSwan: "reauthentication timeout survives a rekeying").
    /// </summary>
    public static void InheritReauth(IkeSa old, IkeSa created)
    {
        if (old.ReauthAt == DateTimeOffset.MaxValue || old.ReauthAt >= created.ReauthAt)
            return;
        created.ReauthAt = old.ReauthAt;
        if (created.Config.LifeTime <= TimeSpan.Zero && created.Config.EffectiveLifeTime > TimeSpan.Zero)
        {
            var over = (created.Config.RekeyTime > created.Config.ReauthTime ? created.Config.RekeyTime : created.Config.ReauthTime) / 10;
            created.ExpireAt = Min(created.ExpireAt, old.ReauthAt + over);
        }
    }

    /// <summary>rekey_time less a random part of rand_time (as swanctl), and life_time for the hard expiry (zero: none).</summary>
    public static void ScheduleChild(IkeSa sa, ChildSa child, DateTimeOffset now)
    {
        child.ExpireAt = child.Config.EffectiveLifeTime > TimeSpan.Zero ? now + child.Config.EffectiveLifeTime : DateTimeOffset.MaxValue;
        if (child.Config.RekeyTime > TimeSpan.Zero)
            child.RekeyAt = now + child.Config.RekeyTime - Jitter(sa, child.Config.RandTime);
    }

    internal static TimeSpan Jitter(IkeSa sa, TimeSpan range)
    {
        if (range <= TimeSpan.Zero)
            return TimeSpan.Zero;
        Span<byte> b = stackalloc byte[8];
        sa.Context.Random.Fill(b);
        var fraction = (System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(b) >> 11) * (1.0 / (1UL << 53));
        return TimeSpan.FromTicks((long)(range.Ticks * fraction));
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}
