using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;

namespace S2SEndpoint.Ike.Exchanges;

/// <summary>
/// NAT detection (RFC 7296 2.23): NAT_DETECTION_SOURCE_IP and _DESTINATION_IP carry
/// SHA-1(SPIs | IP address | port) as the sender sees its source and its destination.
/// </summary>
public static class NatTraversal
{
    /// <summary>The port IKE moves to once a NAT is detected, and on which ESP travels in UDP (RFC 3948).</summary>
    public const int Port = 4500;

    public static byte[] Hash(ulong spiI, ulong spiR, IPEndPoint endpoint)
    {
        var address = endpoint.Address.GetAddressBytes();
        var input = new byte[16 + address.Length + 2];
        BinaryPrimitives.WriteUInt64BigEndian(input, spiI);
        BinaryPrimitives.WriteUInt64BigEndian(input.AsSpan(8), spiR);
        address.CopyTo(input, 16);
        BinaryPrimitives.WriteUInt16BigEndian(input.AsSpan(16 + address.Length), (ushort)endpoint.Port);
#pragma warning disable CA5350 // RFC 7296 2.23 fixes SHA-1 for NAT detection; it is not used for security here.
        return SHA1.HashData(input);
#pragma warning restore CA5350
    }
}
