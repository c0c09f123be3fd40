namespace S2SEndpoint.Esp.Tests;

/// <summary>A packet buffer keeps room in front of and behind an inner packet, and its window follows what was read.</summary>
public sealed class PacketBufferTests
{
    [Fact]
    public void ResetForInnerPacket_ReadsAfterTheHeadroom_LeavesTheTailroom()
    {
        var buffer = new PacketBuffer(1600);

        var readInto = buffer.ResetForInnerPacket();

        Assert.Equal(PacketBuffer.Headroom, buffer.Offset);
        Assert.Equal(0, buffer.Length);
        Assert.Equal(1600 - PacketBuffer.Headroom - PacketBuffer.Tailroom, readInto.Length);
        Assert.Equal(72, PacketBuffer.Headroom);
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
