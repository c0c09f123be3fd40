namespace S2SEndpoint.Esp;

/// <summary>What a <see cref="PacketBuffer"/> holds on the wire side of the data path.</summary>
public enum Framing
{
    /// <summary>
    /// The ESP packet alone, SPI to ICV: the payload of a UDP socket on port 4500 (RFC 3948) or of a raw
    /// protocol-50 socket whose kernel writes the IP header.
    /// </summary>
    EspPacket = 0,

    /// <summary>
    /// The ESP packet behind its outer IPv4 or IPv6 header, and a UDP header when the SA is UDP-encapsulated:
    /// what a raw socket with IP_HDRINCL sends, and what the RFC sample packets show.
    /// </summary>
    IpPacket = 1,
}
