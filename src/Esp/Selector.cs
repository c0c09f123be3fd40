using System.Net.Sockets;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Esp;

// The traffic selectors of an SA in the shape the inbound path checks per packet (RFC 4301 5.2: after
// decryption, the inner packet must match the SA's selectors; RFC 7296 3.13.1: address range, IP protocol,
// port range). Built once from the negotiated S2SEndpoint.Ike.Messages.TrafficSelector; compared as integers.

/// <summary>
/// One traffic selector: an IPv4 or IPv6 address range as 128-bit integers (IPv4 in the low 32 bits), an IP
/// protocol (0 = any) and a port range. Start port 65535 with end port 0 is OPAQUE (RFC 7296 3.13.1): it
/// matches only packets whose ports cannot be read.
/// </summary>
public readonly struct Selector : IEquatable<Selector>
{
    public Selector(bool isIpv6, UInt128 startAddress, UInt128 endAddress, byte protocol = 0, ushort startPort = 0, ushort endPort = ushort.MaxValue)
    {
        IsIpv6 = isIpv6;
        StartAddress = startAddress;
        EndAddress = endAddress;
        Protocol = protocol;
        StartPort = startPort;
        EndPort = endPort;
    }

    public bool IsIpv6 { get; }
    public UInt128 StartAddress { get; }
    public UInt128 EndAddress { get; }
    public byte Protocol { get; }
    public ushort StartPort { get; }
    public ushort EndPort { get; }

    public bool CoversAllPorts => StartPort == 0 && EndPort == ushort.MaxValue;
    public bool IsOpaque => StartPort == ushort.MaxValue && EndPort == 0;

    /// <summary>Whether packets must be read beyond the IP header (protocol or ports) to match this selector.</summary>
    public bool NeedsTransport => Protocol != 0 || !CoversAllPorts;

    /// <summary>The selector for a negotiated IPv4 or IPv6 range. A selector of another TS type cannot be checked and is refused.</summary>
    public static Selector FromTrafficSelector(TrafficSelector trafficSelector)
    {
        ArgumentNullException.ThrowIfNull(trafficSelector);
        if (trafficSelector.UnknownBody is not null ||
            trafficSelector.TsType is not (TrafficSelectorType.Ipv4AddressRange or TrafficSelectorType.Ipv6AddressRange))
            throw new ArgumentException($"traffic selector type {(byte)trafficSelector.TsType} is not an IPv4 or IPv6 address range", nameof(trafficSelector));
        var ipv6 = trafficSelector.TsType == TrafficSelectorType.Ipv6AddressRange;
        var family = ipv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        if (trafficSelector.StartAddress.AddressFamily != family || trafficSelector.EndAddress.AddressFamily != family)
            throw new ArgumentException($"traffic selector {trafficSelector} mixes address families", nameof(trafficSelector));
        Span<byte> bytes = stackalloc byte[16];
        return new Selector(ipv6, ToInteger(trafficSelector.StartAddress, bytes), ToInteger(trafficSelector.EndAddress, bytes),
            trafficSelector.IpProtocol, trafficSelector.StartPort, trafficSelector.EndPort);
    }

    /// <summary>Whether a packet with this address, protocol and port (<c>-1</c>: none readable) falls inside.</summary>
    public bool Matches(bool ipv6, UInt128 address, byte protocol, int port)
    {
        if (ipv6 != IsIpv6 || address < StartAddress || address > EndAddress)
            return false;
        if (Protocol != 0 && protocol != Protocol)
            return false;
        if (CoversAllPorts)
            return true;
        if (IsOpaque)
            return port == IpPacket.NoPort;
        return port >= StartPort && port <= EndPort;
    }

    /// <summary>Whether any of <paramref name="selectors"/> holds the packet: one match is enough (RFC 4301 4.4.1).</summary>
    public static bool AnyMatches(Selector[] selectors, bool ipv6, UInt128 address, byte protocol, int port)
    {
        ArgumentNullException.ThrowIfNull(selectors);
        foreach (var selector in selectors)
        {
            if (selector.Matches(ipv6, address, protocol, port))
                return true;
        }
        return false;
    }

    private static UInt128 ToInteger(System.Net.IPAddress address, Span<byte> bytes)
    {
        address.TryWriteBytes(bytes, out var written);
        return written == 16 ? IpPacket.ReadUInt128(bytes) : System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    public bool Equals(Selector other) =>
        IsIpv6 == other.IsIpv6 && StartAddress == other.StartAddress && EndAddress == other.EndAddress &&
        Protocol == other.Protocol && StartPort == other.StartPort && EndPort == other.EndPort;

    public override bool Equals(object? obj) => obj is Selector other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(IsIpv6, StartAddress, EndAddress, Protocol, StartPort, EndPort);

    public static bool operator ==(Selector left, Selector right) => left.Equals(right);

    public static bool operator !=(Selector left, Selector right) => !left.Equals(right);
}
