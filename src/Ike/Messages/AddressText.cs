using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace S2SEndpoint.Ike.Messages;

/// <summary>
/// An IP address as a configuration or a command line writes it: IPv6 in any of its forms, IPv4 only as four dotted
/// numbers. IPAddress.TryParse also takes "10.1" or "167772161" as IPv4 addresses, which nobody means by them.
/// </summary>
public static class AddressText
{
    /// <summary>The address <paramref name="text"/> writes out in full; false for anything else.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out IPAddress? address)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (IPAddress.TryParse(text, out address) && (address.AddressFamily == AddressFamily.InterNetworkV6 || text.Count(c => c == '.') == 3))
            return true;
        address = null;
        return false;
    }
}
