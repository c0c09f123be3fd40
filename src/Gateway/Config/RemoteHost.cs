using System.Net;

namespace S2SEndpoint.Gateway.Config;

/// <summary>
/// One entry of a connection's remote_addrs: an IP address, or the DNS name of a host, which the gateway resolves when
/// it initiates and on each retry, not when the configuration is read (<see cref="ControlPlane"/>).
/// </summary>
public sealed record RemoteHost(IPAddress? Address, string? Name)
{
    /// <summary>Longest name: 253 characters, as a DNS name of 255 octets on the wire (RFC 1035 2.3.4) is written.</summary>
    private const int MaxNameLength = 253;

    /// <summary>Longest label (RFC 1035 2.3.4: "labels 63 octets or less").</summary>
    private const int MaxLabelLength = 63;

    public override string ToString() => Name ?? Address?.ToString() ?? "";

    /// <summary>
    /// Whether <paramref name="text"/> is a host name (RFC 1123 2.1, RFC 952): dot-separated labels of 1 to 63 letters,
    /// digits and hyphens, none starting or ending with a hyphen, at most 253 characters, a trailing dot allowed. The last
    /// label is not all digits (RFC 3696 2), so that an address mistyped (10.1.2) is not taken for a name.
    /// </summary>
    public static bool IsHostName(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var name = text.EndsWith('.') ? text[..^1] : text;
        if (name.Length == 0 || name.Length > MaxNameLength)
            return false;
        var labels = name.Split('.');
        foreach (var label in labels)
        {
            if (label.Length is 0 or > MaxLabelLength || label[0] == '-' || label[^1] == '-' || !label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'))
                return false;
        }
        return !labels[^1].All(char.IsAsciiDigit);
    }
}
