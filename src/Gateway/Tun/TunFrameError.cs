namespace S2SEndpoint.Gateway.Tun;

// Why a frame the kernel handed over on a TUN queue with a virtio-net header gave no packets (TsoSegmenter). None of
// these should happen with a kernel that behaves; each is counted by the TunReadBatch that read it.

/// <summary>Why a frame read from a TUN queue with offload was dropped.</summary>
public enum TunFrameError
{
    None = 0,

    /// <summary>Shorter than a virtio-net header, or than the IP and transport headers it announces.</summary>
    Truncated,

    /// <summary>Neither IPv4 nor IPv6, an IP header that disagrees with the frame's length, or a GSO type for the other IP version.</summary>
    BadIpHeader,

    /// <summary>A GSO type the gateway did not ask for (UFO, unknown values, ECN without TCP).</summary>
    UnknownGsoType,

    /// <summary>hdr_len beyond the packet.</summary>
    BadHeaderLength,

    /// <summary>csum_start or csum_offset outside the packet, or not at the transport header's checksum of a GSO frame.</summary>
    BadChecksumPosition,

    /// <summary>A GSO frame with gso_size 0, or without VIRTIO_NET_HDR_F_NEEDS_CSUM.</summary>
    BadGsoSize,

    /// <summary>A transport header that is not what the GSO type says, or a TCP data offset below 20 octets.</summary>
    BadTransportHeader,

    /// <summary>More segments than the batch holds.</summary>
    TooManySegments,

    /// <summary>A packet or segment larger than a batch buffer.</summary>
    TooLarge,
}
