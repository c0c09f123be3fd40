using System.Buffers.Binary;

namespace S2SEndpoint.Esp;

// The Internet checksum of IPv4 headers and UDP (RFC 1071), and its incremental update when one 16-bit word
// changes (RFC 1624), which is how a router fixes the IPv4 header checksum after decrementing the TTL.
// Used by the outer header writer and reader, by the inner TTL decrement on the outbound path, and by the gateway's
// TUN offloads, which complete TCP and UDP checksums with the pseudo-header of RFC 9293 3.1 and RFC 8200 8.1.
public static class Checksum
{
    /// <summary>Adds <paramref name="data"/>, as big-endian 16-bit words, to a running one's complement sum (RFC 1071 4.1).</summary>
    public static ulong Add(ulong sum, ReadOnlySpan<byte> data)
    {
        // RFC 1071 2(B): the sum does not depend on byte order. The 32-bit words are summed as the machine reads them
        // (a 32-bit word hi:lo is hi + lo modulo 0xFFFF, so whole words can be summed and folded later), eight octets at
        // a time, and the folded sum is turned into network order once; the odd two and one octets follow in network order.
        var whole = data.Length & ~7;
        ulong native = 0;
        foreach (var word in System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(data[..whole]))
            native += (word & 0xFFFFFFFF) + (word >> 32);
        var folded = Fold(native);
        sum += BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(folded) : folded;
        var i = whole;
        if (i + 4 <= data.Length)
        {
            sum += BinaryPrimitives.ReadUInt32BigEndian(data[i..]);
            i += 4;
        }
        if (i + 2 <= data.Length)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
            i += 2;
        }
        if (i < data.Length)
            sum += (ulong)data[i] << 8;
        return sum;
    }

    /// <summary>Folds a running sum to 16 bits and complements it: the value that goes into the header.</summary>
    public static ushort Finish(ulong sum)
    {
        while (sum >> 16 != 0)
            sum = (sum & 0xFFFF) + (sum >> 16);
        return unchecked((ushort)~sum);
    }

    /// <summary>Folds a running sum to 16 bits without complementing it: a partial checksum (a pseudo-header sum left for an offload to finish).</summary>
    public static ushort Fold(ulong sum)
    {
        while (sum >> 16 != 0)
            sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }

    public static ushort Compute(ReadOnlySpan<byte> data) => Finish(Add(0, data));

    /// <summary>
    /// Adds the pseudo-header of TCP and UDP to a running sum: source and destination address (4 octets each for IPv4,
    /// RFC 9293 3.1 and RFC 768; 16 for IPv6, RFC 8200 8.1), the protocol and the upper-layer length.
    /// </summary>
    public static ulong AddPseudoHeader(ulong sum, ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, byte protocol, int upperLayerLength)
    {
        sum = Add(sum, source);
        sum = Add(sum, destination);
        return sum + protocol + (ulong)(uint)upperLayerLength;
    }

    /// <summary>RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for one 16-bit word changing from m to m'.</summary>
    public static ushort Update(ushort checksum, ushort oldWord, ushort newWord)
    {
        uint sum = unchecked((ushort)~checksum) + (uint)unchecked((ushort)~oldWord) + newWord;
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        return unchecked((ushort)~sum);
    }
}
