using S2SEndpoint.Esp;

namespace S2SEndpoint.Gateway.Tun;

/// <summary>
/// One worker's packets for one TUN device, written together at <see cref="Flush"/>: with offload, consecutive TCP
/// segments of one flow coalesce into one super-packet with a virtio-net header (GRO); without, one write each. The
/// packets of one flow keep their order. Not shareable: one per worker thread and device.
/// </summary>
public sealed class TunWriteBatch
{
    /// <summary>
    /// Queues <paramref name="packet"/>'s window (an inner IP packet). Its octets, and the 10 octets before its window,
    /// must stay theirs until <see cref="Flush"/>.
    /// </summary>
    public void Add(PacketBuffer packet) => throw new NotImplementedException();

    /// <summary>Forgets what was queued without writing it (its device is gone); the queued buffers are their owners' again.</summary>
    public void Clear() => throw new NotImplementedException();

    /// <summary>Writes what was queued to <paramref name="queue"/> of <paramref name="device"/>; the queued buffers are their owners' again.</summary>
    public void Flush(TunDevice device, int queue) => throw new NotImplementedException();
}
