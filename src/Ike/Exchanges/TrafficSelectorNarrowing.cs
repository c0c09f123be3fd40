using System.Net;
using System.Net.Sockets;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Exchanges;

/// <summary>
/// Traffic selector narrowing (RFC 7296 2.9): the responder answers with the part of the initiator's
/// selectors that its own policy allows, and the initiator checks that what comes back is a subset of
/// what it offered.
/// </summary>
public static class TrafficSelectorNarrowing
{
    /// <summary>The intersections of every offered selector with every configured one, in configured order.</summary>
    public static List<TrafficSelector> Narrow(IReadOnlyList<TrafficSelector> offered, IReadOnlyList<TrafficSelector> configured)
    {
        var result = new List<TrafficSelector>();
        foreach (var mine in configured)
        {
            foreach (var theirs in offered)
            {
                if (Intersect(mine, theirs) is { } both && !result.Contains(both))
                    result.Add(both);
            }
        }
        return result;
    }

    /// <summary>True when every selector of <paramref name="narrowed"/> lies inside one of <paramref name="offered"/>.</summary>
    public static bool IsSubset(IReadOnlyList<TrafficSelector> narrowed, IReadOnlyList<TrafficSelector> offered) =>
        narrowed.Count > 0 && narrowed.All(n => offered.Any(o => Intersect(n, o) == n));

    public static TrafficSelector? Intersect(TrafficSelector a, TrafficSelector b)
    {
        if (a.UnknownBody is not null || b.UnknownBody is not null || a.TsType != b.TsType)
            return null;
        byte protocol;
        if (a.IpProtocol == b.IpProtocol || b.IpProtocol == 0)
            protocol = a.IpProtocol;
        else if (a.IpProtocol == 0)
            protocol = b.IpProtocol;
        else
            return null;
        if (!TryIntersectPorts(a, b, out var startPort, out var endPort))
            return null;
        var start = Max(ToNumber(a.StartAddress), ToNumber(b.StartAddress));
        var end = Min(ToNumber(a.EndAddress), ToNumber(b.EndAddress));
        if (start > end)
            return null;
        var family = a.TsType == TrafficSelectorType.Ipv4AddressRange ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
        return new TrafficSelector(a.TsType, protocol, startPort, endPort, ToAddress(start, family), ToAddress(end, family));
    }

    /// <summary>
    /// The ports both selectors allow: the overlap of their ranges. OPAQUE is no range: RFC 7296 3.13.1, "Systems that are
    /// complying with [IPSECARCH] that wish to indicate "OPAQUE" ports, but not "ANY" ports, MUST set the start port to
    /// 65535 and the end port to 0", and "according to [IPSECARCH], "ANY" includes "OPAQUE"": OPAQUE meets OPAQUE and
    /// ANY (0 to 65535), and nothing narrower, as strongSwan narrows it.
    /// </summary>
    private static bool TryIntersectPorts(TrafficSelector a, TrafficSelector b, out ushort startPort, out ushort endPort)
    {
        if ((a.IsOpaque && (b.IsOpaque || b.CoversAllPorts)) || (b.IsOpaque && a.CoversAllPorts))
        {
            (startPort, endPort) = (ushort.MaxValue, 0);
            return true;
        }
        startPort = Math.Max(a.StartPort, b.StartPort);
        endPort = Math.Min(a.EndPort, b.EndPort);
        return startPort <= endPort;
    }

    private static UInt128 Max(UInt128 x, UInt128 y) => x > y ? x : y;
    private static UInt128 Min(UInt128 x, UInt128 y) => x < y ? x : y;

    internal static UInt128 ToNumber(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        UInt128 value = 0;
        for (var i = 0; i < written; i++)
            value = (value << 8) | bytes[i];
        return value;
    }

    internal static IPAddress ToAddress(UInt128 value, AddressFamily family)
    {
        var length = family == AddressFamily.InterNetwork ? 4 : 16;
        var bytes = new byte[length];
        for (var i = length - 1; i >= 0; i--)
        {
            bytes[i] = (byte)(value & 0xFF);
            value >>= 8;
        }
        return new IPAddress(bytes);
    }
}
