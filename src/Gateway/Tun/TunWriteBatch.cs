using S2SEndpoint.Esp;

namespace S2SEndpoint.Gateway.Tun;

// The writer's side of a TUN queue: Inbound leaves each decrypted packet in its buffer and Add queues a reference to
// it; Flush writes them, through TcpCoalescer when the device has offload (runs of TCP segments as super-packets, the
// rest with a zeroed virtio-net header in front), or one write(2) each when it has not.

/// <summary>
/// One worker's packets for one TUN device, written together at <see cref="Flush"/>: with offload, consecutive TCP
/// segments of one flow coalesce into one super-packet with a virtio-net header (GRO); without, one write each. The
/// packets of one flow keep their order. Not shareable: one per worker thread and device.
/// </summary>
public sealed class TunWriteBatch
{
    /// <summary>How many packets a batch holds before it grows (once, to the largest the worker queues).</summary>
    public const int DefaultCapacity = 128;

    private readonly TcpCoalescer _coalescer;
    private long _written;
    private long _failed;
    private long _superPackets;
    private int _refusedInARow;

    public TunWriteBatch()
        : this(DefaultCapacity)
    {
    }

    /// <param name="capacity">How many packets the batch holds before it grows.</param>
    public TunWriteBatch(int capacity) => _coalescer = new TcpCoalescer(capacity);

    /// <summary>How many packets are queued.</summary>
    public int Count => _coalescer.Count;

    /// <summary>Packets the kernel took, counting each segment of a super-packet.</summary>
    public long Written => Volatile.Read(ref _written);

    /// <summary>Writes the kernel refused (a packet, or a super-packet as one).</summary>
    public long Failed => Volatile.Read(ref _failed);

    /// <summary>Super-packets written: groups of two or more coalesced segments.</summary>
    public long SuperPackets => Volatile.Read(ref _superPackets);

    /// <summary>
    /// Queues <paramref name="packet"/>'s window (an inner IP packet). Its octets, and the 10 octets before its window,
    /// must stay theirs until <see cref="Flush"/>.
    /// </summary>
    public void Add(PacketBuffer packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        _coalescer.Add(packet.Array, packet.Offset, packet.Length);
    }

    /// <summary>Forgets what was queued without writing it (its device is gone); the queued buffers are their owners' again.</summary>
    public void Clear() => _coalescer.Clear();

    /// <summary>Writes what was queued to <paramref name="queue"/> of <paramref name="device"/>; the queued buffers are their owners' again.</summary>
    public void Flush(TunDevice device, int queue)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!device.Offload)
        {
            for (var i = 0; i < _coalescer.Count; i++)
                Tally(device.Write(queue, _coalescer.Packet(i)), 1);
        }
        else if (_refusedInARow >= MaxRefusedInARow)
        {
            for (var i = 0; i < _coalescer.Count; i++)
                Tally(device.Write(queue, _coalescer.Packet(i)), 1);
        }
        else
        {
            var frames = _coalescer.Group();
            for (var f = 0; f < frames; f++)
            {
                var segments = _coalescer.Segments(f);
                var frame = _coalescer.BuildFrame(f);
                var result = frame.IsEmpty ? -Libc.EMsgSize : device.WriteFrame(queue, frame);
                if (segments == 1)
                {
                    Tally(result, 1);
                    continue;
                }
                if (result >= 0)
                {
                    _refusedInARow = 0;
                    _superPackets++;
                    Tally(result, segments);
                    continue;
                }
                // The kernel refused the super-packet (a virtio-net header check this kernel makes and the coalescer
                // does not know): its segments go one by one, as they came; after a few such refusals in a row, the
                // batch stops coalescing for good.
                _refusedInARow++;
                for (var i = _coalescer.FirstPacket(f); i >= 0; i = _coalescer.NextPacket(i))
                    Tally(device.Write(queue, _coalescer.Packet(i)), 1);
            }
        }
        _coalescer.Clear();
    }

    /// <summary>Super-packets the kernel refused in a row after which the batch writes every packet alone.</summary>
    public const int MaxRefusedInARow = 8;

    /// <summary>Whether the kernel refused <see cref="MaxRefusedInARow"/> super-packets in a row, so that nothing coalesces any more.</summary>
    public bool CoalescingOff => _refusedInARow >= MaxRefusedInARow;

    private void Tally(int result, int segments)
    {
        if (result < 0)
            _failed += segments;
        else
            _written += segments;
    }
}
