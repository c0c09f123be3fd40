using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Tun;
using static S2SEndpoint.Gateway.Tests.Tun.OffloadPackets;

namespace S2SEndpoint.Gateway.Tests.Tun;

/// <summary>
/// The offloads allocate nothing per packet: after a warm-up, thousands of splits of a super-packet and of batches
/// queued, grouped, built and cleared leave the thread's allocation counter where it was.
/// </summary>
public sealed class OffloadAllocationTests
{
    private const int WarmUp = 200;
    private const int Measured = 2000;

    [Fact]
    public void TrySplit_AfterWarmUp_AllocatesNothing()
    {
        var packet = new Tcp { Options = Timestamps, Payload = Payload(60000) }.Build();
        var frame = Frame(TsoHeader(packet, 1348), packet);
        var batch = new TunReadBatch(1400);
        var buffers = new PacketBuffer[TunReadBatch.MaxSegments];
        for (var i = 0; i < buffers.Length; i++)
            buffers[i] = new PacketBuffer(1400 + PacketBuffer.Headroom + PacketBuffer.Tailroom + TunReadBatch.Slack);

        Assert.Equal(0, Measure(() => Split(frame, buffers, WarmUp), () => Split(frame, buffers, Measured)));
        Assert.Equal(0, batch.Count);
    }

    [Fact]
    public void GroupAndBuildFrame_AfterWarmUp_AllocateNothing()
    {
        var buffers = new List<PacketBuffer>();
        var sequence = 1u;
        for (var i = 0; i < 48; i++)
        {
            var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
            var flow = i % 3;
            buffer.Load(new Tcp { SourcePort = (ushort)(40000 + flow), DontFragment = true, Sequence = sequence + (uint)(i / 3 * 1200), Payload = Payload(1200) }.Build());
            buffers.Add(buffer);
        }
        var udp = new PacketBuffer(PacketBuffer.DefaultCapacity);
        udp.Load(Udp(false, Payload(200)));
        buffers.Insert(20, udp);
        var coalescer = new TcpCoalescer(64);
        var array = buffers.ToArray();

        Assert.Equal(0, Measure(() => Coalesce(coalescer, array, WarmUp), () => Coalesce(coalescer, array, Measured)));
    }

    private static void Split(byte[] frame, PacketBuffer[] buffers, int rounds)
    {
        for (var i = 0; i < rounds; i++)
        {
            if (!TsoSegmenter.TrySplit(frame, buffers, out var count, out var error) || count != 45)
                Assert.Fail($"round {i}: {count} segments, {error}");
        }
    }

    private static void Coalesce(TcpCoalescer coalescer, PacketBuffer[] buffers, int rounds)
    {
        for (var round = 0; round < rounds; round++)
        {
            foreach (var buffer in buffers)
                coalescer.Add(buffer.Array, buffer.Offset, buffer.Length);
            var frames = coalescer.Group();
            var total = 0;
            for (var f = 0; f < frames; f++)
                total += coalescer.BuildFrame(f).Length > 0 ? coalescer.Segments(f) : 0;
            if (frames != 4 || total != buffers.Length)
                Assert.Fail($"round {round}: {frames} frames, {total} packets");
            coalescer.Clear();
        }
    }

    /// <summary>
    /// The bytes the measured run allocated; up to three measured rounds, as the ESP allocation tests do: the runtime may
    /// allocate once on this thread while it recompiles a hot method, which is not per packet.
    /// </summary>
    private static long Measure(Action warmUp, Action measured)
    {
        warmUp();
        long allocated = -1;
        for (var round = 0; round < 3 && allocated != 0; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            measured();
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }
        return allocated;
    }
}
