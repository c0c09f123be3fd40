namespace S2SEndpoint.Esp;

/// <summary>What a UDP datagram on port 4500 carries (RFC 3948 2).</summary>
public enum UdpPayloadKind
{
    /// <summary>Too short, or a zero SPI with nothing behind it: none of the three.</summary>
    Malformed = 0,

    /// <summary>An ESP packet: the first four octets are a non-zero SPI.</summary>
    Esp = 1,

    /// <summary>An IKE message behind the four-octet non-ESP marker.</summary>
    Ike = 2,

    /// <summary>A NAT-keepalive: the single octet 0xFF.</summary>
    NatKeepalive = 3,
}
