using System.Buffers.Binary;
using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Tun;

namespace S2SEndpoint.Fuzz.Targets;

/// <summary>
/// Fuzz target <c>tun-offload</c>: <see cref="TsoSegmenter.TrySplit"/> on a frame as a TUN queue with IFF_VNET_HDR reads
/// it (virtio-net header, then the packet; Documentation/networking/segmentation-offloads.rst), into the buffers of a
/// 1500-octet MTU, then <see cref="TcpCoalescer"/> on the packets it gave.
/// Input: the frame.
/// Properties: nothing throws; a refusal gives no packets and a defined reason; an acceptance gives 1 to 64 packets,
/// each after the headroom and within its buffer, and for a GSO frame each with a valid IPv4 header checksum and TCP or
/// UDP checksum; the coalescer's frames give the same packets back, in order (a lone packet behind a zeroed header, a
/// super-packet through the segmenter again).
/// </summary>
internal static class TunOffloadTarget
{
    public const string Name = "tun-offload";
    private const int Mtu = 1500;

    public static void Run(byte[] input)
    {
        input = FuzzCheck.Cap(input);
        var buffers = Buffers();
        var split = TsoSegmenter.TrySplit(input, buffers, out var count, out var error);
        FuzzCheck.That(Enum.IsDefined(error), $"undefined TunFrameError {(int)error}");
        if (!split)
        {
            FuzzCheck.That(count == 0 && error != TunFrameError.None, $"refused with {count} packets and {error}");
            return;
        }
        FuzzCheck.That(count is >= 1 and <= TunReadBatch.MaxSegments && error == TunFrameError.None, $"accepted with {count} packets and {error}");
        var gso = input[1] != VirtioNetHeader.GsoNone;
        var coalescer = new TcpCoalescer(TunReadBatch.MaxSegments);
        for (var i = 0; i < count; i++)
        {
            var packet = buffers[i];
            FuzzCheck.That(packet.Offset == PacketBuffer.Headroom && packet.Length <= packet.MaxInnerPacketSize, $"packet {i} at {packet.Offset}, {packet.Length} octets");
            if (gso)
                FuzzCheck.That(ChecksumsValid(packet.Data), $"segment {i} of {count}: a checksum does not verify");
            coalescer.Add(packet.Array, packet.Offset, packet.Length);
        }

        var again = Buffers();
        var next = 0;
        var frames = coalescer.Group();
        for (var f = 0; f < frames; f++)
        {
            var frame = coalescer.BuildFrame(f);
            var segments = coalescer.Segments(f);
            FuzzCheck.That(frame.Length > VirtioNetHeader.Size, $"frame {f} empty");
            if (segments == 1)
            {
                FuzzCheck.Equal(new byte[VirtioNetHeader.Size], frame[..VirtioNetHeader.Size], $"frame {f}'s header");
                FuzzCheck.Equal(buffers[next++].Data, frame[VirtioNetHeader.Size..], $"frame {f}");
                continue;
            }
            FuzzCheck.That(TsoSegmenter.TrySplit(frame, again, out var back, out var refused), $"super-packet {f} refused: {refused}");
            FuzzCheck.That(back == segments, $"super-packet {f} of {segments} segments split into {back}");
            for (var i = 0; i < back; i++)
                FuzzCheck.Equal(buffers[next++].Data, again[i].Data, $"segment {i} of super-packet {f}");
        }
        FuzzCheck.That(next == count, $"{count} packets in, {next} out");
    }

    private static PacketBuffer[] Buffers()
    {
        var buffers = new PacketBuffer[TunReadBatch.MaxSegments];
        for (var i = 0; i < buffers.Length; i++)
            buffers[i] = new PacketBuffer(Mtu + PacketBuffer.Headroom + PacketBuffer.Tailroom + TunReadBatch.Slack);
        return buffers;
    }

    /// <summary>The IPv4 header checksum and the TCP or UDP checksum with its pseudo-header (RFC 9293 3.1, RFC 768, RFC 8200 8.1).</summary>
    private static bool ChecksumsValid(ReadOnlySpan<byte> packet)
    {
        var ipv6 = packet[0] >> 4 == 6;
        int headerLength;
        byte protocol;
        if (ipv6)
        {
            protocol = packet[IpPacket.Ipv6NextHeaderOffset];
            headerLength = IpPacket.Ipv6HeaderSize;
            if (!IpPacket.TrySkipExtensionHeaders(packet, ref protocol, ref headerLength, out _))
                return false;
        }
        else
        {
            headerLength = IpPacket.HeaderLengthV4(packet);
            protocol = packet[IpPacket.Ipv4ProtocolOffset];
            if (Checksum.Compute(packet[..headerLength]) != 0)
                return false;
        }
        var source = ipv6 ? packet.Slice(IpPacket.Ipv6SourceOffset, 16) : packet.Slice(IpPacket.Ipv4SourceOffset, 4);
        var destination = ipv6 ? packet.Slice(IpPacket.Ipv6DestinationOffset, 16) : packet.Slice(IpPacket.Ipv4DestinationOffset, 4);
        var transport = packet[headerLength..];
        return Checksum.Finish(Checksum.Add(Checksum.AddPseudoHeader(0, source, destination, protocol, transport.Length), transport)) == 0
            && (protocol != IpProtocol.Udp || BinaryPrimitives.ReadUInt16BigEndian(transport[4..]) == transport.Length);
    }
}
