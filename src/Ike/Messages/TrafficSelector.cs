using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace S2SEndpoint.Ike.Messages;

// RFC 7296 section 3.13.1, Traffic Selector:
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |   TS Type     |IP Protocol ID*|       Selector Length         |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |           Start Port*         |           End Port*           |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                         Starting Address*                     ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                         Ending Address*                       ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

/// <summary>TS types (RFC 7296 section 3.13.1).</summary>
public enum TrafficSelectorType : byte
{
    Ipv4AddressRange = 7,
    Ipv6AddressRange = 8,
}

/// <summary>
/// One traffic selector: an address range, an IP protocol (0 = any) and a port range (RFC 7296 3.13.1).
/// A selector of a type this build does not know is kept as its raw bytes.
/// </summary>
public sealed record TrafficSelector(TrafficSelectorType TsType, byte IpProtocol, ushort StartPort, ushort EndPort, IPAddress StartAddress, IPAddress EndAddress)
{
    public const int HeaderSize = 8;
    public const int Ipv4Length = HeaderSize + 8;
    public const int Ipv6Length = HeaderSize + 32;

    /// <summary>Raw bytes of a selector of unknown type; null for IPv4 and IPv6 ranges.</summary>
    public byte[]? UnknownBody { get; init; }

    public int Length => UnknownBody?.Length ?? (TsType == TrafficSelectorType.Ipv4AddressRange ? Ipv4Length : Ipv6Length);

    /// <summary>A selector covering a CIDR prefix, all protocols and ports.</summary>
    public static TrafficSelector FromPrefix(IPAddress network, int prefixLength, byte ipProtocol = 0, ushort startPort = 0, ushort endPort = ushort.MaxValue)
    {
        var bytes = network.GetAddressBytes();
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, bytes.Length * 8);
        var start = (byte[])bytes.Clone();
        var end = (byte[])bytes.Clone();
        for (var bit = prefixLength; bit < bytes.Length * 8; bit++)
        {
            var mask = (byte)(0x80 >> (bit % 8));
            start[bit / 8] &= (byte)(0xFF ^ mask);
            end[bit / 8] |= mask;
        }
        var type = network.AddressFamily == AddressFamily.InterNetwork ? TrafficSelectorType.Ipv4AddressRange : TrafficSelectorType.Ipv6AddressRange;
        return new TrafficSelector(type, ipProtocol, startPort, endPort, new IPAddress(start), new IPAddress(end));
    }

    internal void Write(Span<byte> destination)
    {
        if (UnknownBody is not null)
        {
            UnknownBody.CopyTo(destination);
            return;
        }
        destination[0] = (byte)TsType;
        destination[1] = IpProtocol;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)Length);
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], StartPort);
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], EndPort);
        var addressLength = (Length - HeaderSize) / 2;
        StartAddress.TryWriteBytes(destination.Slice(HeaderSize, addressLength), out _);
        EndAddress.TryWriteBytes(destination.Slice(HeaderSize + addressLength, addressLength), out _);
    }

    internal static bool TryRead(ReadOnlySpan<byte> data, PayloadType payloadType, int offset, out TrafficSelector selector, out int length, out ParseError error)
    {
        selector = null!;
        length = 0;
        if (data.Length < 4)
        {
            error = ParseError.Syntax(payloadType, offset, $"traffic selector header needs 4 octets, {data.Length} left");
            return false;
        }
        var type = (TrafficSelectorType)data[0];
        length = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
        var expected = type switch
        {
            TrafficSelectorType.Ipv4AddressRange => Ipv4Length,
            TrafficSelectorType.Ipv6AddressRange => Ipv6Length,
            _ => -1,
        };
        if ((expected >= 0 && length != expected) || length < 4 || length > data.Length)
        {
            error = ParseError.Syntax(payloadType, offset + 2, expected >= 0
                ? $"{type} selector length {length}, must be {expected}"
                : $"selector length {length} outside 4..{data.Length}");
            return false;
        }
        if (expected < 0)
        {
            selector = new TrafficSelector(type, data[1], 0, 0, IPAddress.None, IPAddress.None) { UnknownBody = data[..length].ToArray() };
            error = default;
            return true;
        }
        var addressLength = (length - HeaderSize) / 2;
        selector = new TrafficSelector(type, data[1],
            BinaryPrimitives.ReadUInt16BigEndian(data[4..]),
            BinaryPrimitives.ReadUInt16BigEndian(data[6..]),
            new IPAddress(data.Slice(HeaderSize, addressLength)),
            new IPAddress(data.Slice(HeaderSize + addressLength, addressLength)));
        error = default;
        return true;
    }

    /// <summary>All ports (0 to 65535), as a selector without a port restriction has them.</summary>
    public bool CoversAllPorts => StartPort == 0 && EndPort == ushort.MaxValue;

    /// <summary>OPAQUE ports (RFC 7296 3.13.1: "the Start Port field set to 65535 and the End Port field set to 0").</summary>
    public bool IsOpaque => StartPort == ushort.MaxValue && EndPort == 0;

    /// <summary>The prefix length when the address range is exactly one CIDR prefix; null otherwise (or for an unknown type).</summary>
    public int? PrefixLength
    {
        get
        {
            if (UnknownBody is not null)
                return null;
            var start = StartAddress.GetAddressBytes();
            var end = EndAddress.GetAddressBytes();
            var prefix = 0;
            while (prefix < start.Length * 8 && (start[prefix / 8] & (0x80 >> (prefix % 8))) == (end[prefix / 8] & (0x80 >> (prefix % 8))))
                prefix++;
            for (var b = prefix; b < start.Length * 8; b++)
            {
                var mask = 0x80 >> (b % 8);
                if ((start[b / 8] & mask) != 0 || (end[b / 8] & mask) == 0)
                    return null;
            }
            return prefix;
        }
    }

    /// <summary>
    /// The selector as strongSwan prints it (and swanctl reads it): the prefix where the range is one (10.1.0.0/24), else
    /// the range (10.1.0.5..10.1.0.9); then, when narrowed, [protocol/ports]: the protocol by name (tcp) or number, 0 for
    /// any; the port, a range 1024-65535 or OPAQUE; for ICMP the type, with the code in parentheses when not 0 (3(1)).
    /// Ports are numbers where strongSwan prints a service name from /etc/services.
    /// </summary>
    public override string ToString()
    {
        if (UnknownBody is not null)
            return string.Create(CultureInfo.InvariantCulture, $"ts-type-{(byte)TsType}");
        var addresses = PrefixLength is { } length
            ? string.Create(CultureInfo.InvariantCulture, $"{StartAddress}/{length}")
            : string.Create(CultureInfo.InvariantCulture, $"{StartAddress}..{EndAddress}");
        if (IpProtocol == 0 && CoversAllPorts)
            return addresses;
        var protocol = IpProtocol == 0 ? "0" : IpProtocolName.Format(IpProtocol);
        if (CoversAllPorts)
            return $"{addresses}[{protocol}]";
        var icmp = IpProtocolName.IsIcmp(IpProtocol);
        var ports = IsOpaque ? "OPAQUE"
            : StartPort == EndPort ? Port(StartPort, icmp)
            : $"{Port(StartPort, icmp)}-{Port(EndPort, icmp)}";
        return $"{addresses}[{protocol}/{ports}]";
    }

    /// <summary>A port, or for ICMP its type and, when not 0, its code: 8, 3(1).</summary>
    private static string Port(ushort port, bool icmp)
    {
        if (!icmp)
            return port.ToString(CultureInfo.InvariantCulture);
        var (type, code) = (port >> 8, port & 0xFF);
        return code == 0 ? type.ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{type}({code})");
    }
}
