using System.Buffers.Binary;
using S2SEndpoint.Esp.Transforms;

namespace S2SEndpoint.Esp;

// Inbound: one ESP packet from the wire to the TUN adapter, in tunnel mode (RFC 4303 3.4, RFC 4301 5.2), checked in
// this order, cheapest and most telling first:
//
//   datagram from the socket, in a PacketBuffer
//     0. outer IPv4/IPv6 (and UDP) header checked and stripped, when the framing has one
//     1. length: an SPI and a sequence number
//     2. SPI lookup in the SaTable (no lock)
//     3. length against the SA: IV, trailer, ICV, whole cipher blocks; the SA is not past its hard lifetime
//     4. replay check of the sequence number (with ESN, its high half inferred) before any cryptography
//     5. ICV check, and decryption in place, with the worker's own transform of the SA
//     6. replay window update, only now that the sequence number is authentic; a duplicate that raced ends here
//     7. padding 1, 2, 3 ... and Next Header: 59 is a dummy, 4 and 41 are tunnel mode
//     8. the inner packet: a whole IP header of the version Next Header names; TFC padding cut off
//     9. inner source inside the peer's selectors, inner destination inside ours
//    10. lifetime counters
//   = the inner packet, in place in the same buffer, ready for TUN.
//
// A drop returns its DropReason and counts it on the SA, or on the table while no SA is known (steps 0 to 2).

/// <summary>Opens ESP packets into their inner packets, in place.</summary>
public static class Inbound
{
    /// <summary>Opens the ESP packet (SPI to ICV) in <paramref name="packet"/>.</summary>
    public static DropReason Open(SaTable table, PacketBuffer packet, out EspSa? sa) =>
        Open(table, packet, Framing.EspPacket, out sa);

    /// <summary>
    /// Opens the packet in <paramref name="packet"/>, framed as <paramref name="framing"/> says. On success the
    /// buffer's window is the inner packet and <paramref name="sa"/> the SA that opened it.
    /// </summary>
    public static DropReason Open(SaTable table, PacketBuffer packet, Framing framing, out EspSa? sa)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(packet);
        sa = null;
        var buffer = packet.Array;
        var start = packet.Offset;
        var length = packet.Length;

        // 0. Outer headers.
        if (framing == Framing.IpPacket)
        {
            var outer = OuterHeader.TryStrip(buffer.AsSpan(start, length), out var espOffset, out var espLength);
            if (outer != DropReason.None)
                return TableDrop(table, outer);
            start += espOffset;
            length = espLength;
        }

        // 1. Length.
        if (length < EspTransform.HeaderSize)
            return TableDrop(table, DropReason.Truncated);

        // 2. RFC 4303 3.4.2: "If no valid Security Association exists for this packet, the receiver MUST discard the
        // packet".
        if (!table.TryGetInbound(BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(start)), out sa))
            return TableDrop(table, DropReason.UnknownSpi);

        var reason = OpenCore(sa, packet, start, length);
        if (reason != DropReason.None)
            sa.Drops.Increment(reason);
        return reason;
    }

    private static DropReason OpenCore(EspSa sa, PacketBuffer packet, int start, int length)
    {
        var buffer = packet.Array;
        var transforms = sa.Transforms;

        // 3. Length against the SA's transform, and the SA's lifetime.
        var textStart = start + EspTransform.HeaderSize + transforms.IvSize;
        var textLength = length - EspTransform.HeaderSize - transforms.IvSize - transforms.IcvSize;
        if (textLength < EspTransform.TrailerSize)
            return DropReason.Truncated;
        if (transforms.RequiresWholeBlocks && (textLength & (transforms.BlockSize - 1)) != 0)
            return DropReason.Misaligned;
        if (sa.IsExpired)
            return DropReason.Expired;

        // 4. RFC 4303 3.4.3: "For each received packet, the receiver MUST verify that the packet contains a Sequence
        // Number that does not duplicate the Sequence Number of any other packets received during the life of this
        // SA. This SHOULD be the first ESP check applied to a packet after it has been matched to an SA".
        // Other workers may check and update the window at the same time (ReplayWindow.cs).
        var window = sa.Window;
        if (!window.TryCheck(BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(start + 4)), out var sequence))
            return DropReason.Replayed;

        // 5. RFC 4303 3.4.3: "if the integrity check fails, the receiver MUST discard the received IP datagram as
        // invalid". With this worker's transform of the SA; none when the SA was deleted and disposed since the lookup.
        var worker = transforms.Enter();
        if (worker is null)
            return DropReason.Expired;
        bool authentic;
        try
        {
            authentic = worker.Transform.TryOpen(buffer, start, textLength, sequence);
        }
        finally
        {
            worker.Exit();
        }
        if (!authentic)
            return DropReason.IcvMismatch;

        // 6. RFC 4303 3.4.3: "The receive window is updated only if the integrity verification succeeds." Another
        // worker may have accepted the same number meanwhile: only one of them passes it on.
        if (!window.Update(sequence))
            return DropReason.Replayed;

        // 7. Trailer.
        var nextHeader = buffer[textStart + textLength - 1];
        int padLength = buffer[textStart + textLength - 2];
        var payloadLength = textLength - EspTransform.TrailerSize - padLength;
        if (payloadLength < 0)
            return DropReason.BadPadding;
        // RFC 4303 2.4: "When this padding scheme is employed, the receiver SHOULD inspect the Padding field."
        var padding = buffer.AsSpan(textStart + payloadLength, padLength);
        for (var i = 0; i < padding.Length; i++)
        {
            if (padding[i] != i + 1)
                return DropReason.BadPadding;
        }
        // RFC 4303 3.4.4.1 step 4: "If the value is "59" (no next header), the (dummy) packet is discarded without
        // further processing." RFC 4303 2.6: "a receiver MUST be prepared to discard such packets, without
        // indicating an error."
        if (nextHeader == IpProtocol.NoNextHeader)
            return DropReason.DummyPacket;
        if (nextHeader is not (IpProtocol.Ipv4 or IpProtocol.Ipv6))
            return DropReason.BadNextHeader;

        // 8. The inner packet; whatever follows its IP length is TFC padding (RFC 4303 2.7) and is cut off.
        var payload = buffer.AsSpan(textStart, payloadLength);
        if (!IpPacket.TryReadLength(payload, out var version, out var innerLength) ||
            version != (nextHeader == IpProtocol.Ipv4 ? 4 : 6))
            return DropReason.MalformedInner;

        // 9. RFC 4301 5.2 step 4: the receiver checks that the inner header's addresses (and ports) are consistent
        // with the selectors of the SA; a packet outside them is discarded.
        if (!sa.AllowsInner(payload[..innerLength], version == 6))
            return DropReason.PolicyMismatch;

        // 10. Lifetime.
        sa.Account(innerLength);
        packet.SetWindow(textStart, innerLength);
        return DropReason.None;
    }

    private static DropReason TableDrop(SaTable table, DropReason reason)
    {
        table.Drops.Increment(reason);
        return reason;
    }
}
