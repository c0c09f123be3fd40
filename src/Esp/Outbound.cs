using System.Buffers.Binary;
using S2SEndpoint.Esp.Transforms;

namespace S2SEndpoint.Esp;

// Outbound: one packet from the TUN adapter to the wire, in tunnel mode (RFC 4303 3.3, RFC 4301 5.1.2).
//
//   inner IPv4/IPv6 packet, read from TUN into a PacketBuffer after its headroom; the gateway's policy lookup has
//   chosen the SA (SaTable.TryGetOutbound by the policy's reqid)
//     1. the SA is still usable (not past its hard lifetime, sequence numbers not exhausted)
//     2. the inner header is whole; its length is the packet's
//     3. room in front for ESP header, IV (and outer headers), behind for padding, trailer and ICV; a datagram an IP
//        length field can describe
//     4. TTL or hop limit decremented, as a router forwarding into the tunnel does
//     5. the next sequence number, which never cycles
//     6. lifetime counters (a soft limit is reported, the packet goes on)
//     7. ESP trailer: padding 1, 2, 3 ..., Pad Length, Next Header 4 or 41
//     8. ESP header (SPI, low 32 bits of the sequence number); the worker's transform writes the IV, encrypts, adds the ICV
//     9. outer IPv4/IPv6 header and UDP header, when the framing asks for them
//   = the datagram to send, in the same buffer: no allocation, no copy, no exception for a bad packet.
//
// A drop returns its DropReason and counts it on the SA.

/// <summary>Seals inner packets into ESP, in place.</summary>
public static class Outbound
{
    /// <summary>The Total Length (IPv4) or Payload Length (IPv6) field is 16 bits.</summary>
    private const int MaxIpDatagramSize = ushort.MaxValue;

    /// <summary>
    /// Seals the inner packet in <paramref name="packet"/> with <paramref name="sa"/>. On success the buffer's window
    /// is the ESP packet, or with <see cref="Framing.IpPacket"/> the whole outer IP datagram.
    /// </summary>
    public static DropReason Seal(EspSa sa, PacketBuffer packet, Framing framing = Framing.EspPacket)
    {
        ArgumentNullException.ThrowIfNull(sa);
        ArgumentNullException.ThrowIfNull(packet);
        if (sa.Direction != SaDirection.Outbound)
            throw new ArgumentException($"{sa} cannot seal: it is an inbound SA", nameof(sa));
        var reason = SealCore(sa, packet, framing);
        if (reason != DropReason.None)
            sa.Drops.Increment(reason);
        return reason;
    }

    private static DropReason SealCore(EspSa sa, PacketBuffer packet, Framing framing)
    {
        // 1. An SA past its hard lifetime carries nothing more.
        if (sa.IsExpired)
            return DropReason.Expired;

        // 2. The inner packet.
        var buffer = packet.Array;
        var innerStart = packet.Offset;
        var inner = buffer.AsSpan(innerStart, packet.Length);
        if (!IpPacket.TryReadLength(inner, out var version, out var innerLength))
            return DropReason.MalformedInner;
        inner = inner[..innerLength];

        // 3. Room. RFC 4303 2.4: padding fills "the plaintext (consisting of the Payload Data, Padding, Pad Length,
        // and Next Header fields) to the size required by the algorithm", and the Pad Length and Next Header "must be
        // right aligned within a 4-byte word". BlockSize is the cipher block, or 4.
        var transforms = sa.Transforms;
        var padLength = PadLength(innerLength, transforms.BlockSize);
        var textLength = innerLength + padLength + EspTransform.TrailerSize;
        var espStart = innerStart - EspTransform.HeaderSize - transforms.IvSize;
        var start = framing == Framing.IpPacket ? espStart - sa.OuterHeaderSize : espStart;
        var end = innerStart + textLength + transforms.IcvSize;
        if (start < 0 || end > buffer.Length || (framing == Framing.IpPacket && end - start > MaxIpDatagramSize))
            return DropReason.NoRoom;

        // 4. Forwarding into the tunnel is a router hop for the inner packet.
        if (sa.Settings.DecrementInnerHopLimit && !IpPacket.TryDecrementHopLimit(inner, version))
            return DropReason.HopLimitExceeded;
        var trafficClass = IpPacket.TrafficClass(inner, version, out var dontFragment);

        // 5. RFC 4303 3.3.3: "The sender increments the sequence number (or ESN) counter for this SA and inserts the
        // low-order 32 bits of the value into the Sequence Number field."
        if (!sa.TryNextSequenceNumber(out var sequence))
            return DropReason.SequenceExhausted;

        // 6. Lifetime.
        sa.Account(innerLength);

        // 7. ESP trailer.
        var trailer = buffer.AsSpan(innerStart + innerLength, padLength + EspTransform.TrailerSize);
        // RFC 4303 2.4: "The Padding bytes are initialized with a series of (unsigned, 1-byte) integer values. The
        // first padding byte appended to the plaintext is numbered 1, with subsequent padding bytes making up a
        // monotonically increasing sequence: 1, 2, 3, ...."
        for (var i = 0; i < padLength; i++)
            trailer[i] = (byte)(i + 1);
        trailer[padLength] = (byte)padLength;
        // RFC 4303 2.6: "a value of 4 indicates IPv4, a value of 41 indicates IPv6".
        trailer[padLength + 1] = version == 4 ? IpProtocol.Ipv4 : IpProtocol.Ipv6;

        // 8. ESP header, then IV, encryption and ICV, with this worker's transform of the SA.
        BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(espStart), sa.Spi);
        BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(espStart + 4), unchecked((uint)sequence));
        // Null when the SA was replaced and disposed between the lookup and here: the packet goes with it.
        var worker = transforms.Enter();
        if (worker is null)
            return DropReason.Expired;
        try
        {
            worker.Transform.Seal(buffer, espStart, textLength, sequence);
        }
        finally
        {
            worker.Exit();
        }

        // 9. Outer headers.
        if (framing == Framing.IpPacket)
            OuterHeader.Write(sa, buffer.AsSpan(start, end - start), trafficClass, dontFragment);
        packet.SetWindow(start, end - start);
        return DropReason.None;
    }

    /// <summary>Padding octets so that payload, padding and the two trailer octets fill whole blocks (a power of two).</summary>
    internal static int PadLength(int payloadLength, int blockSize) =>
        (blockSize - ((payloadLength + EspTransform.TrailerSize) & (blockSize - 1))) & (blockSize - 1);
}
