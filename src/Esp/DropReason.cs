namespace S2SEndpoint.Esp;

// Where a packet leaves the data path early, and why. Inbound reasons are listed in the order the checks run
// (RFC 4303 3.4: length, SA lookup, sequence number, ICV, padding and Next Header; RFC 4301 5.2: the inner
// packet against the SA's selectors). Every drop is counted: per SA in EspSa.Drops, or in SaTable.Drops while
// no SA is known yet. Nothing on the data path throws for a bad packet.

/// <summary>Why <see cref="Outbound"/> or <see cref="Inbound"/> did not pass a packet on; <see cref="None"/> when it did.</summary>
public enum DropReason
{
    /// <summary>The packet went through.</summary>
    None = 0,

    /// <summary>Outer IPv4/IPv6 or UDP header missing, inconsistent or with a wrong checksum (framing with outer headers only).</summary>
    MalformedOuter,

    /// <summary>The outer header says this is an IP fragment; ESP is applied to whole packets only (RFC 4303 3.4.1).</summary>
    Fragment,

    /// <summary>A UDP payload that is not ESP: IKE behind its non-ESP marker, or something else (RFC 3948 2.2).</summary>
    NotEsp,

    /// <summary>A NAT-keepalive, the single octet 0xFF (RFC 3948 2.3); ignored, and counted here.</summary>
    NatKeepalive,

    /// <summary>Shorter than the ESP header, IV, Pad Length, Next Header and ICV of its SA.</summary>
    Truncated,

    /// <summary>The encrypted part is not a whole number of cipher blocks (AES-CBC).</summary>
    Misaligned,

    /// <summary>No inbound SA has this SPI (RFC 4303 3.4.2).</summary>
    UnknownSpi,

    /// <summary>The SA is past its hard lifetime, or deleted; it carries no more packets.</summary>
    Expired,

    /// <summary>The sequence number was seen before or is left of the anti-replay window (RFC 4303 3.4.3).</summary>
    Replayed,

    /// <summary>The ICV (or AEAD tag) does not match: tampered, corrupted or sealed with another key (RFC 4303 3.4.4).</summary>
    IcvMismatch,

    /// <summary>Pad Length longer than the payload, or padding bytes other than 1, 2, 3... (RFC 4303 2.4).</summary>
    BadPadding,

    /// <summary>Next Header 59: a dummy packet for traffic flow confidentiality, discarded without error (RFC 4303 2.6).</summary>
    DummyPacket,

    /// <summary>Next Header neither 4 (IPv4) nor 41 (IPv6): not a tunnel-mode packet.</summary>
    BadNextHeader,

    /// <summary>The inner packet's IP header is malformed, or its version does not match the Next Header.</summary>
    MalformedInner,

    /// <summary>The inner source or destination (or protocol, or port) is outside the SA's traffic selectors (RFC 4301 5.2).</summary>
    PolicyMismatch,

    /// <summary>Outbound: the inner TTL or hop limit would reach 0 when forwarded (RFC 1812 5.3.1, RFC 8200 3).</summary>
    HopLimitExceeded,

    /// <summary>Outbound: the next sequence number would cycle (RFC 4303 3.3.3); the SA is hard-expired.</summary>
    SequenceExhausted,

    /// <summary>Outbound: the buffer has too little headroom or tailroom for the headers, trailer and ICV, or the datagram would exceed 65535 octets.</summary>
    NoRoom,
}
