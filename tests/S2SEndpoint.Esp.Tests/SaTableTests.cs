using S2SEndpoint.Esp.Tests.Support;

namespace S2SEndpoint.Esp.Tests;

/// <summary>
/// The SA table: lookups by SPI and reqid, and the Child SA rekey of RFC 7296 2.8 as the data path sees it: the new
/// outbound SA takes over from one packet to the next, the old inbound SA keeps opening packets in flight until IKE
/// deletes it.
/// </summary>
public sealed class SaTableTests
{
    [Fact]
    public void Rekey_SwapsOutboundAtOnceAndKeepsTheOldInboundUntilRemoved()
    {
        using var old = SaPair.Create("aes256gcm16", spi: 0x1000);
        using var fresh = SaPair.Create("aes256gcm16", spi: 0x2000, seed: 2);
        var table = old.Table;
        var inFlight = old.Seal(TestPackets.Udp(false, 100));

        var replaced = table.Rekey(fresh.Inbound, fresh.Outbound);

        Assert.Same(old.Outbound, replaced);
        Assert.True(table.TryGetOutbound(7, out var current));
        Assert.Same(fresh.Outbound, current);
        var afterRekey = Seal(current, TestPackets.Udp(false, 100));
        Assert.Equal(0x2000u, System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(afterRekey));
        Assert.Equal(DropReason.None, Open(table, afterRekey, out var opener));
        Assert.Same(fresh.Inbound, opener);
        Assert.Equal(DropReason.None, Open(table, inFlight, out opener));
        Assert.Same(old.Inbound, opener);
        Assert.Equal(2, table.InboundCount);

        Assert.Same(old.Inbound, table.RemoveInbound(0x1000));
        var late = old.Seal(TestPackets.Udp(false, 100));

        Assert.Equal(DropReason.UnknownSpi, Open(table, late, out _));
        Assert.Equal(1, table.InboundCount);
        Assert.Null(table.RemoveInbound(0x1000));
    }

    [Fact]
    public void AddInbound_SpiAlreadyInstalled_Throws()
    {
        using var pair = SaPair.Create("aes256gcm16");

        Assert.Throws<ArgumentException>(() => pair.Table.AddInbound(pair.Inbound));
    }

    [Fact]
    public void AddAndSet_SaOfTheWrongDirection_Throws()
    {
        using var pair = SaPair.Create("aes256gcm16");
        var table = new SaTable();

        Assert.Throws<ArgumentException>(() => table.AddInbound(pair.Outbound));
        Assert.Throws<ArgumentException>(() => table.SetOutbound(pair.Inbound));
    }

    [Fact]
    public void RemoveOutbound_ReturnsTheSaOnce()
    {
        using var pair = SaPair.Create("aes256gcm16");

        Assert.Same(pair.Outbound, pair.Table.RemoveOutbound(7));
        Assert.Null(pair.Table.RemoveOutbound(7));
        Assert.False(pair.Table.TryGetOutbound(7, out _));
        Assert.Equal(0, pair.Table.OutboundCount);
    }

    [Fact]
    public async Task Lookups_WhileAnotherThreadRekeysRepeatedly_AlwaysFindTheStableSa()
    {
        using var stable = SaPair.Create("aes256gcm16", spi: 0x10);
        var churn = Enumerable.Range(0, 50).Select(i => SaPair.Create("aes128gcm16", spi: (uint)(0x100 + i), seed: i)).ToList();
        var table = stable.Table;
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (var pair in churn)
                    table.AddInbound(pair.Inbound);
                foreach (var pair in churn)
                    table.RemoveInbound(pair.Inbound.Spi);
            }
        });

        for (var i = 0; i < 200_000; i++)
            Assert.True(table.TryGetInbound(0x10, out _));
        await stop.CancelAsync();
        await writer;

        foreach (var pair in churn)
            pair.Dispose();
        Assert.Equal(1, table.InboundCount);
    }

    private static byte[] Seal(EspSa sa, byte[] inner)
    {
        var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
        buffer.Load(inner);
        Assert.Equal(DropReason.None, Outbound.Seal(sa, buffer));
        return buffer.Data.ToArray();
    }

    private static DropReason Open(SaTable table, byte[] wire, out EspSa? sa)
    {
        var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
        buffer.Load(wire, 0);
        return Inbound.Open(table, buffer, out sa);
    }
}
