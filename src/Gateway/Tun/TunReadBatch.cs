using S2SEndpoint.Esp;

namespace S2SEndpoint.Gateway.Tun;

// The reader's side of a TUN queue: TunDevice.ReadBatch reads one frame into the batch's frame buffer (with offload) or
// straight into the first PacketBuffer (without), and TsoSegmenter spreads a super-packet over the others. Everything
// is allocated here, once; a read allocates nothing.

/// <summary>
/// The packets of one read from a TUN queue (<see cref="TunDevice.ReadBatch"/>): one packet, or with offload the
/// segments a TSO super-packet was split into, each in its own <see cref="PacketBuffer"/> after the headroom, whole
/// (checksums complete) and ready to seal in place. One per reader thread.
/// </summary>
public sealed class TunReadBatch
{
    /// <summary>The most segments one read gives: a 64 KiB super-packet at an MSS of 1024 and more.</summary>
    public const int MaxSegments = 64;

    /// <summary>Octets each buffer has beyond the MTU, head- and tailroom.</summary>
    public const int Slack = 64;

    /// <summary>A frame: the virtio-net header and the largest IPv6 packet without jumbograms.</summary>
    internal const int FrameSize = VirtioNetHeader.Size + IpPacket.Ipv6HeaderSize + TcpCoalescer.MaxIpLength;

    private const int MinMtu = 68;

    private readonly PacketBuffer[] _buffers;
    private int _count;
    private long _dropped;

    /// <param name="mtu">The device's MTU: the largest segment.</param>
    /// <exception cref="ArgumentOutOfRangeException">The MTU is below 68 (RFC 791) or above 65535.</exception>
    public TunReadBatch(int mtu)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(mtu, MinMtu);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(mtu, TcpCoalescer.MaxIpLength);
        _buffers = new PacketBuffer[MaxSegments];
        for (var i = 0; i < _buffers.Length; i++)
            _buffers[i] = new PacketBuffer(mtu + PacketBuffer.Headroom + PacketBuffer.Tailroom + Slack);
        Frame = GC.AllocateArray<byte>(FrameSize, pinned: true);
    }

    /// <summary>How many packets the last read gave.</summary>
    public int Count => _count;

    /// <summary>How many frames were dropped because they did not add up (<see cref="LastError"/> says why for the last).</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>Why the last dropped frame was dropped.</summary>
    public TunFrameError LastError { get; private set; }

    /// <summary>Packet <paramref name="index"/> of the last read, below <see cref="Count"/>.</summary>
    public PacketBuffer this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_count, nameof(index));
            return _buffers[index];
        }
    }

    /// <summary>Where a read with offload puts the frame.</summary>
    internal byte[] Frame { get; }

    internal PacketBuffer[] Buffers => _buffers;

    internal void SetCount(int count) => _count = count;

    internal void Drop(TunFrameError error)
    {
        _count = 0;
        LastError = error;
        Interlocked.Increment(ref _dropped);
    }
}
