namespace S2SEndpoint.Esp.Tests;

/// <summary>The packet buffer pool is bounded and gives each buffer one owner at a time.</summary>
public sealed class PacketBufferPoolTests
{
    [Fact]
    public void TryRent_AllBuffersOut_SaysNoUntilOneIsReturned()
    {
        var pool = new PacketBufferPool(2);

        Assert.True(pool.TryRent(out var first));
        Assert.True(pool.TryRent(out var second));
        Assert.False(pool.TryRent(out _));
        Assert.Equal(0, pool.Available);
        pool.Return(first);

        Assert.True(pool.TryRent(out var again));
        Assert.Same(first, again);
        pool.Return(second);
        pool.Return(again);
        Assert.Equal(2, pool.Available);
    }

    [Fact]
    public void TryRent_GivesABufferReadyForAnInnerPacketAfterTheHeadroom()
    {
        var pool = new PacketBufferPool(1, 1600);
        Assert.True(pool.TryRent(out var buffer));

        var readInto = buffer.ResetForInnerPacket();

        Assert.Equal(PacketBuffer.Headroom, buffer.Offset);
        Assert.Equal(0, buffer.Length);
        Assert.Equal(1600 - PacketBuffer.Headroom - PacketBuffer.Tailroom, readInto.Length);
        Assert.Equal(72, PacketBuffer.Headroom);
    }

    [Fact]
    public void Return_Twice_Throws()
    {
        var pool = new PacketBufferPool(1);
        Assert.True(pool.TryRent(out var buffer));
        pool.Return(buffer);

        Assert.Throws<InvalidOperationException>(() => pool.Return(buffer));
    }

    [Fact]
    public void Return_BufferOfAnotherPool_Throws()
    {
        var pool = new PacketBufferPool(1);
        var other = new PacketBufferPool(1);
        Assert.True(other.TryRent(out var buffer));

        Assert.Throws<InvalidOperationException>(() => pool.Return(buffer));
        Assert.Throws<InvalidOperationException>(() => pool.Return(new PacketBuffer(2048)));
    }

    [Fact]
    public void ResetForDatagram_AndSetLength_MoveTheWindow()
    {
        var buffer = new PacketBuffer(2048);

        var readInto = buffer.ResetForDatagram();
        buffer.SetLength(100);

        Assert.Equal(2048, readInto.Length);
        Assert.Equal(0, buffer.Offset);
        Assert.Equal(100, buffer.Data.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => buffer.SetLength(2049));
    }
}
