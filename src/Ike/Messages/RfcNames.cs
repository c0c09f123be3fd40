using System.Text;

namespace S2SEndpoint.Ike.Messages;

/// <summary>Turns the PascalCase enum names of this library back into the RFC's UPPER_SNAKE_CASE.</summary>
internal static class RfcNames
{
    private static readonly Dictionary<string, string> Exceptions = new(StringComparer.Ordinal)
    {
        ["Ikev2FragmentationSupported"] = "IKEV2_FRAGMENTATION_SUPPORTED",
        ["Ikev2MessageIdSyncSupported"] = "IKEV2_MESSAGE_ID_SYNC_SUPPORTED",
        ["Ikev2MessageIdSync"] = "IKEV2_MESSAGE_ID_SYNC",
        ["ChildlessIkev2Supported"] = "CHILDLESS_IKEV2_SUPPORTED",
        ["Ip4Allowed"] = "IP4_ALLOWED",
        ["Ip6Allowed"] = "IP6_ALLOWED",
        ["AdditionalIp4Address"] = "ADDITIONAL_IP4_ADDRESS",
        ["AdditionalIp6Address"] = "ADDITIONAL_IP6_ADDRESS",
        ["UseAssignedHoA"] = "USE_ASSIGNED_HoA",
        ["Cookie2"] = "COOKIE2",
    };

    public static string FromPascalCase(string name)
    {
        if (Exceptions.TryGetValue(name, out var known))
            return known;
        var sb = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c) && i > 0)
                sb.Append('_');
            sb.Append(char.ToUpperInvariant(c));
        }
        return sb.ToString();
    }
}
