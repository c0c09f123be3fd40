using S2SEndpoint.Esp.Tests.Support;

namespace S2SEndpoint.Esp.Tests;

/// <summary>
/// Soft and hard lifetimes in packets, bytes and time (with a fake clock): each stage is reported once, upward, and
/// a hard-expired SA carries nothing more, in either direction.
/// </summary>
public sealed class LifetimeTests
{
    [Fact]
    public void Seal_PastSoftThenHardPacketLimit_ReportsEachOnceThenDropsAsExpired()
    {
        var observer = new RecordingObserver();
        using var pair = SaPair.Create("aes256gcm16", lifetime: new SaLifetime { SoftPackets = 3, HardPackets = 5 }, observer: observer);
        var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
        var reasons = new List<DropReason>();
        var opened = new List<DropReason>();

        for (var i = 0; i < 7; i++)
        {
            buffer.Load(TestPackets.Udp(false, 100));
            reasons.Add(Outbound.Seal(pair.Outbound, buffer));
            if (reasons[^1] == DropReason.None)
                opened.Add(pair.Open(buffer.Data.ToArray()).Reason);
        }

        Assert.Equal([.. Enumerable.Repeat(DropReason.None, 5), DropReason.Expired, DropReason.Expired], reasons);
        Assert.Equal(Enumerable.Repeat(DropReason.None, 5), opened);
        // Both SAs reported, each once per stage: the sender's and the receiver's counters both reached the limits.
        Assert.Equal(
            [(LifetimeStage.SoftExpired, LifetimeLimit.Packets), (LifetimeStage.SoftExpired, LifetimeLimit.Packets),
             (LifetimeStage.HardExpired, LifetimeLimit.Packets), (LifetimeStage.HardExpired, LifetimeLimit.Packets)],
            observer.Events);
        Assert.Equal(5UL, pair.Outbound.Packets);
        Assert.Equal(2, pair.Outbound.Drops.Count(DropReason.Expired));
        Assert.Equal(LifetimeStage.HardExpired, pair.Inbound.Stage);
    }

    [Fact]
    public void Open_PastTheHardLimit_DropsAsExpired()
    {
        using var pair = SaPair.Create("aes128-sha256", lifetime: new SaLifetime { HardPackets = 2 });
        var packets = Enumerable.Range(0, 2).Select(_ => pair.Seal(TestPackets.Udp(false, 100))).ToList();
        // The sender is hard-expired too now; a third authentic packet, as a peer with other limits would send it.
        packets.Add(RawEsp.Seal(pair.Outbound, RawEsp.Text(pair.Outbound, TestPackets.Udp(false, 100), 4)));

        Assert.Equal(DropReason.None, pair.Open(packets[0]).Reason);
        Assert.Equal(DropReason.None, pair.Open(packets[1]).Reason);
        Assert.Equal(DropReason.Expired, pair.Open(packets[2]).Reason);
        Assert.Equal(2UL, pair.Inbound.Packets);
    }

    [Fact]
    public void Seal_PastSoftThenHardByteLimit_CountsInnerBytes()
    {
        var observer = new RecordingObserver();
        using var pair = SaPair.Create("chacha20poly1305", lifetime: new SaLifetime { SoftBytes = 1000, HardBytes = 2000 }, observer: observer);
        var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
        var stages = new List<LifetimeStage>();

        for (var i = 0; i < 8; i++)
        {
            buffer.Load(TestPackets.Udp(false, 300));
            Outbound.Seal(pair.Outbound, buffer);
            stages.Add(pair.Outbound.Stage);
        }

        // 300 octets a packet: 1200 >= 1000 on the 4th, 2100 >= 2000 on the 7th, the 8th is refused.
        Assert.Equal(
            [LifetimeStage.Active, LifetimeStage.Active, LifetimeStage.Active, LifetimeStage.SoftExpired, LifetimeStage.SoftExpired,
             LifetimeStage.SoftExpired, LifetimeStage.HardExpired, LifetimeStage.HardExpired],
            stages);
        Assert.Equal(2100UL, pair.Outbound.Bytes);
        Assert.Equal([(LifetimeStage.SoftExpired, LifetimeLimit.Bytes), (LifetimeStage.HardExpired, LifetimeLimit.Bytes)], observer.Events);
    }

    [Fact]
    public void PollLifetime_WithAFakeClock_ReportsSoftThenHardTime()
    {
        var observer = new RecordingObserver();
        var time = new FakeClock();
        using var pair = SaPair.Create("aes256gcm16", lifetime: new SaLifetime { SoftTime = TimeSpan.FromMinutes(50), HardTime = TimeSpan.FromMinutes(60) },
            observer: observer, time: time);
        var sa = pair.Outbound;

        time.Advance(TimeSpan.FromMinutes(49));
        sa.PollLifetime();
        Assert.Equal(LifetimeStage.Active, sa.Stage);
        time.Advance(TimeSpan.FromMinutes(1));
        sa.PollLifetime();
        sa.PollLifetime();
        Assert.Equal(LifetimeStage.SoftExpired, sa.Stage);
        Assert.Equal(DropReason.None, Outbound.Seal(sa, Loaded(TestPackets.Udp(false, 80))));
        time.Advance(TimeSpan.FromMinutes(10));
        sa.PollLifetime();

        Assert.Equal(LifetimeStage.HardExpired, sa.Stage);
        Assert.Equal(DropReason.Expired, Outbound.Seal(sa, Loaded(TestPackets.Udp(false, 80))));
        Assert.Equal([(LifetimeStage.SoftExpired, LifetimeLimit.Time), (LifetimeStage.HardExpired, LifetimeLimit.Time)], observer.Events);
        Assert.Equal(TimeSpan.FromMinutes(60), sa.Age);
    }

    [Fact]
    public void PollLifetime_HardTimeWithoutSoft_ReportsSoftAndHardTogether()
    {
        var observer = new RecordingObserver();
        var time = new FakeClock();
        using var pair = SaPair.Create("aes256gcm16", lifetime: new SaLifetime { HardTime = TimeSpan.FromHours(1) }, observer: observer, time: time);

        time.Advance(TimeSpan.FromHours(2));
        pair.Inbound.PollLifetime();

        Assert.Equal([(LifetimeStage.SoftExpired, LifetimeLimit.Time), (LifetimeStage.HardExpired, LifetimeLimit.Time)], observer.Events);
    }

    [Fact]
    public void Create_SoftLimitAboveHardLimit_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => SaPair.Create("aes256gcm16", lifetime: new SaLifetime { SoftPackets = 10, HardPackets = 5 }));

        Assert.Contains("soft", error.Message, StringComparison.Ordinal);
    }

    private static PacketBuffer Loaded(byte[] inner)
    {
        var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
        buffer.Load(inner);
        return buffer;
    }
}
