using System.Buffers.Binary;

namespace S2SEndpoint.Gateway.Tun;

// The header in front of every packet on a TUN queue opened with IFF_VNET_HDR (Documentation/networking/tuntap.rst),
// struct virtio_net_hdr of include/uapi/linux/virtio_net.h (virtio 1.x 5.1.6, the legacy 10-octet form; the kernel
// keeps TUNSETVNETHDRSZ at 10 unless told otherwise). A legacy device's fields are in the host's byte order
// (tun_is_little_endian): little-endian on x86-64 and arm64, the only hosts the gateway runs on.
//
//   struct virtio_net_hdr {
//       __u8   flags;        // VIRTIO_NET_HDR_F_NEEDS_CSUM: checksum from csum_start, stored at csum_start + csum_offset
//       __u8   gso_type;     // VIRTIO_NET_HDR_GSO_NONE, _TCPV4, _UDP, _TCPV6, _UDP_L4; | _ECN
//       __le16 hdr_len;      // headers to repeat in front of each segment (the kernel's linear part when it sends)
//       __le16 gso_size;     // payload of each segment but the last
//       __le16 csum_start;
//       __le16 csum_offset;
//   };
//
// Reading: TsoSegmenter turns a frame from the kernel into whole packets. Writing: TcpCoalescer puts a header in front
// of each packet or super-packet it writes.

/// <summary>A virtio-net header (struct virtio_net_hdr), as a TUN queue with IFF_VNET_HDR reads and writes it.</summary>
public readonly record struct VirtioNetHeader(byte Flags, byte GsoType, ushort HeaderLength, ushort GsoSize, ushort ChecksumStart, ushort ChecksumOffset)
{
    /// <summary>sizeof(struct virtio_net_hdr): the default TUNSETVNETHDRSZ.</summary>
    public const int Size = 10;

    /// <summary>VIRTIO_NET_HDR_F_NEEDS_CSUM: the checksum from <see cref="ChecksumStart"/> on is to be completed (CHECKSUM_PARTIAL).</summary>
    public const byte FlagNeedsChecksum = 1;

    /// <summary>VIRTIO_NET_HDR_F_DATA_VALID: the checksum was checked (CHECKSUM_UNNECESSARY).</summary>
    public const byte FlagDataValid = 2;

    public const byte GsoNone = 0;
    public const byte GsoTcpV4 = 1;

    /// <summary>VIRTIO_NET_HDR_GSO_UDP: UDP fragmentation offload (UFO), which the gateway never asks for.</summary>
    public const byte GsoUdp = 3;

    public const byte GsoTcpV6 = 4;

    /// <summary>VIRTIO_NET_HDR_GSO_UDP_L4: UDP segmentation (USO), Linux 6.2.</summary>
    public const byte GsoUdpL4 = 5;

    /// <summary>VIRTIO_NET_HDR_GSO_ECN: or-ed into a TCP type when the super-packet carries CWR.</summary>
    public const byte GsoEcn = 0x80;

    /// <summary>TCP's checksum field within its header: csum_offset of a TCP packet.</summary>
    public const int TcpChecksumOffset = 16;

    /// <summary>UDP's checksum field within its header: csum_offset of a UDP packet.</summary>
    public const int UdpChecksumOffset = 6;

    private const int GsoTypeOffset = 1;
    private const int HeaderLengthOffset = 2;
    private const int GsoSizeOffset = 4;
    private const int ChecksumStartOffset = 6;
    private const int ChecksumOffsetOffset = 8;

    /// <summary>Reads the header at the start of <paramref name="frame"/>; false when the frame is shorter than one.</summary>
    public static bool TryRead(ReadOnlySpan<byte> frame, out VirtioNetHeader header)
    {
        if (frame.Length < Size)
        {
            header = default;
            return false;
        }
        header = new VirtioNetHeader(
            frame[0],
            frame[GsoTypeOffset],
            BinaryPrimitives.ReadUInt16LittleEndian(frame[HeaderLengthOffset..]),
            BinaryPrimitives.ReadUInt16LittleEndian(frame[GsoSizeOffset..]),
            BinaryPrimitives.ReadUInt16LittleEndian(frame[ChecksumStartOffset..]),
            BinaryPrimitives.ReadUInt16LittleEndian(frame[ChecksumOffsetOffset..]));
        return true;
    }

    /// <summary>Writes the header into the first <see cref="Size"/> octets of <paramref name="destination"/>.</summary>
    public void Write(Span<byte> destination)
    {
        destination[0] = Flags;
        destination[GsoTypeOffset] = GsoType;
        BinaryPrimitives.WriteUInt16LittleEndian(destination[HeaderLengthOffset..], HeaderLength);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[GsoSizeOffset..], GsoSize);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[ChecksumStartOffset..], ChecksumStart);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[ChecksumOffsetOffset..], ChecksumOffset);
    }

    /// <summary>Zeroes the first <see cref="Size"/> octets of <paramref name="destination"/>: a whole packet, no offload.</summary>
    public static void WriteNone(Span<byte> destination) => destination[..Size].Clear();
}
