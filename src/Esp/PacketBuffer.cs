using S2SEndpoint.Esp.Transforms;

namespace S2SEndpoint.Esp;

// One datagram's memory on the data path. Outbound, the inner packet from TUN is read in after Headroom octets,
// so that the ESP header, IV and outer IP/UDP headers can be written in front of it, and Tailroom octets stay
// free behind it for padding, trailer and ICV: sealing and opening happen in place, nothing is copied. Inbound,
// the datagram is read in at the start; opening leaves the inner packet where it was decrypted.
//
//   [ headroom: outer IPv6 40 | UDP 8 | ESP 8 | IV 16 ][ inner packet ... ][ tailroom: padding, trailer, ICV ]
//
// A buffer has one owner at a time: each reader of a socket or TUN queue owns one and reads every packet into it; the
// data path seals or opens in it and gives it back to the reader when the call returns.

/// <summary>
/// The bytes of one packet and the window (<see cref="Offset"/>, <see cref="Length"/>) that holds the packet
/// now. The data path moves the window as it adds or strips headers.
/// </summary>
public sealed class PacketBuffer
{
    /// <summary>The largest outer IP header written in front of an ESP packet: IPv6.</summary>
    public const int MaxOuterIpHeaderSize = 40;

    /// <summary>The UDP header of RFC 3948 encapsulation.</summary>
    public const int UdpHeaderSize = 8;

    /// <summary>Room kept in front of an inner packet: outer IPv6 40 + UDP 8 + ESP header 8 + IV 16.</summary>
    public const int Headroom = MaxOuterIpHeaderSize + UdpHeaderSize + EspTransform.HeaderSize + EspTransform.MaxIvSize;

    /// <summary>Room kept behind an inner packet: padding to a 16-octet block, Pad Length, Next Header, a 32-octet ICV.</summary>
    public const int Tailroom = 64;

    /// <summary>Room for a 1500-octet inner packet (and a jumbo-free datagram) with head- and tailroom.</summary>
    public const int DefaultCapacity = 2048;

    /// <summary>Makes a buffer of <paramref name="capacity"/> octets, pinned so that sockets and TUN can use it directly.</summary>
    public PacketBuffer(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, Headroom + Tailroom + IpPacket.Ipv4HeaderSize);
        Array = GC.AllocateArray<byte>(capacity, pinned: true);
        Offset = Headroom;
    }

    /// <summary>All the memory of the buffer.</summary>
    public byte[] Array { get; }

    /// <summary>Where the packet starts in <see cref="Array"/>.</summary>
    public int Offset { get; private set; }

    /// <summary>How long the packet is.</summary>
    public int Length { get; private set; }

    public int Capacity => Array.Length;

    /// <summary>The packet.</summary>
    public Span<byte> Data => Array.AsSpan(Offset, Length);

    /// <summary>The packet, for socket and file APIs.</summary>
    public Memory<byte> Memory => Array.AsMemory(Offset, Length);

    /// <summary>The largest inner packet a buffer of this capacity can seal in place.</summary>
    public int MaxInnerPacketSize => Capacity - Headroom - Tailroom;

    /// <summary>
    /// Readies the buffer for an inner packet from TUN and returns where to read it: after the headroom, leaving the
    /// tailroom free. Call <see cref="SetLength"/> with the number of octets read.
    /// </summary>
    public Memory<byte> ResetForInnerPacket()
    {
        Offset = Headroom;
        Length = 0;
        return Array.AsMemory(Headroom, MaxInnerPacketSize);
    }

    /// <summary>Readies the buffer for a datagram from a socket and returns where to read it: the whole buffer.</summary>
    public Memory<byte> ResetForDatagram()
    {
        Offset = 0;
        Length = 0;
        return Array.AsMemory();
    }

    /// <summary>Sets how many octets the last read put at <see cref="Offset"/>.</summary>
    public void SetLength(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Capacity - Offset);
        Length = length;
    }

    /// <summary>Copies <paramref name="packet"/> in at <paramref name="offset"/> and makes it the window (tests, tools, benchmarks).</summary>
    public void Load(ReadOnlySpan<byte> packet, int offset = Headroom)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(packet.Length, Capacity - offset);
        packet.CopyTo(Array.AsSpan(offset));
        Offset = offset;
        Length = packet.Length;
    }

    /// <summary>Makes [<paramref name="offset"/>, +<paramref name="length"/>) the packet: the data path as it adds or strips headers, a reader splitting a batch.</summary>
    public void SetWindow(int offset, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, Capacity - offset);
        Offset = offset;
        Length = length;
    }
}
