using System.Net;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Gateway.Config;

/// <summary>
/// A traffic selector's address range as a CIDR prefix: exactly (a route), or the smallest prefix that holds it
/// (updown's PLUTO_MY_CLIENT, as strongSwan's to_subnet). A selector's protocol and ports play no part: the route of
/// 10.2.0.0/24[tcp/443] is 10.2.0.0/24.
/// </summary>
internal static class SelectorPrefix
{
    /// <summary>The selector's addresses as a network when its range is exactly one CIDR prefix (its protocol and ports aside); null otherwise.</summary>
    public static IPNetwork? Exact(TrafficSelector ts) => ts.PrefixLength is { } length ? new IPNetwork(ts.StartAddress, length) : null;

    /// <summary>The smallest prefix that holds the selector's range.</summary>
    public static IPNetwork Smallest(TrafficSelector ts)
    {
        var start = ts.StartAddress.GetAddressBytes();
        var prefix = CommonLength(start, ts.EndAddress.GetAddressBytes());
        for (var b = prefix; b < start.Length * 8; b++)
            start[b / 8] &= unchecked((byte)~(0x80 >> (b % 8)));
        return new IPNetwork(new IPAddress(start), prefix);
    }

    /// <summary>How many leading bits two addresses of one family share.</summary>
    private static int CommonLength(byte[] start, byte[] end)
    {
        var prefix = 0;
        while (prefix < start.Length * 8 && (start[prefix / 8] & (0x80 >> (prefix % 8))) == (end[prefix / 8] & (0x80 >> (prefix % 8))))
            prefix++;
        return prefix;
    }
}
