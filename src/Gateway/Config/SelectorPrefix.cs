using System.Net;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Gateway.Config;

/// <summary>
/// A traffic selector's address range as a CIDR prefix: exactly (a route, a status line), or the smallest prefix that
/// holds it (updown's PLUTO_MY_CLIENT, as strongSwan's to_subnet).
/// </summary>
internal static class SelectorPrefix
{
    /// <summary>The selector as a network when its range is exactly one CIDR prefix; null otherwise.</summary>
    public static IPNetwork? Exact(TrafficSelector ts)
    {
        if (ts.UnknownBody is not null)
            return null;
        var start = ts.StartAddress.GetAddressBytes();
        var end = ts.EndAddress.GetAddressBytes();
        var prefix = CommonLength(start, end);
        for (var b = prefix; b < start.Length * 8; b++)
        {
            var mask = 0x80 >> (b % 8);
            if ((start[b / 8] & mask) != 0 || (end[b / 8] & mask) == 0)
                return null;
        }
        return new IPNetwork(ts.StartAddress, prefix);
    }

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
