using System.Buffers.Binary;
using S2SEndpoint.Esp.Transforms;

namespace S2SEndpoint.Esp;

// RFC 3948, UDP encapsulation of ESP: where the gateway's port-4500 socket decides what it received, before any SA
// lookup. ESP and IKE share the port; four zero octets where the SPI would be (the non-ESP marker) mean IKE, and a
// single 0xFF octet is a NAT-keepalive that only refreshes the NAT mapping.
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |        Source Port            |      Destination Port         |   RFC 3948 2.1: UDP-encapsulated ESP
// |           Length              |           Checksum            |
// |                      ESP header [RFC4303]                     |
// ~                                                               ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                      Non-ESP Marker (0)                       |   RFC 3948 2.2: IKE on port 4500
// |                      IKE header [RFC4306]                     |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |    0xFF       |                                                   RFC 3948 2.3: NAT-keepalive
// +-+-+-+-+-+-+-+-+

/// <summary>Tells ESP, IKE and NAT-keepalives apart in a UDP payload on port 4500 (RFC 3948).</summary>
public static class UdpEncapsulation
{
    /// <summary>IKE and UDP-encapsulated ESP once a NAT is detected (RFC 3948 2.1, RFC 7296 2.23).</summary>
    public const ushort Port = 4500;

    public const int NonEspMarkerSize = 4;

    public const byte NatKeepaliveOctet = 0xFF;

    /// <summary>The payload of a NAT-keepalive to send.</summary>
    public static ReadOnlySpan<byte> NatKeepalive => [NatKeepaliveOctet];

    /// <summary>Classifies a UDP payload received on port 4500. Never throws.</summary>
    public static UdpPayloadKind Classify(ReadOnlySpan<byte> payload)
    {
        // RFC 3948 2.3: "The sender MUST use a one-octet-long payload with the value 0xFF. The receiver SHOULD
        // ignore a received NAT-keepalive packet."
        if (payload.Length == 1)
            return payload[0] == NatKeepaliveOctet ? UdpPayloadKind.NatKeepalive : UdpPayloadKind.Malformed;
        if (payload.Length < NonEspMarkerSize)
            return UdpPayloadKind.Malformed;
        // RFC 3948 2.2: "A Non-ESP Marker is 4 zero-valued bytes aligning with the SPI field of an ESP packet."
        // RFC 3948 2.1: "The SPI field in the ESP header MUST NOT be a zero value."
        if (BinaryPrimitives.ReadUInt32BigEndian(payload) == 0)
            return payload.Length > NonEspMarkerSize ? UdpPayloadKind.Ike : UdpPayloadKind.Malformed;
        return payload.Length >= EspTransform.HeaderSize ? UdpPayloadKind.Esp : UdpPayloadKind.Malformed;
    }
}
