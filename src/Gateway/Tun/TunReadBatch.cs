using S2SEndpoint.Esp;

namespace S2SEndpoint.Gateway.Tun;

/// <summary>
/// The packets of one read from a TUN queue (<see cref="TunDevice.ReadBatch"/>): one packet, or with offload the
/// segments a TSO super-packet was split into, each in its own <see cref="PacketBuffer"/> after the headroom, whole
/// (checksums complete) and ready to seal in place. One per reader thread.
/// </summary>
public sealed class TunReadBatch
{
    /// <param name="mtu">The device's MTU: the largest segment.</param>
    public TunReadBatch(int mtu) => throw new NotImplementedException();

    /// <summary>How many packets the last read gave.</summary>
    public int Count => throw new NotImplementedException();

    /// <summary>Packet <paramref name="index"/> of the last read, below <see cref="Count"/>.</summary>
    public PacketBuffer this[int index] => throw new NotImplementedException();
}
