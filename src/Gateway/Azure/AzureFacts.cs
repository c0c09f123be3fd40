using System.Net;

namespace S2SEndpoint.Gateway.Azure;

/// <summary>
/// What Microsoft documents of Azure VPN Gateway's site-to-site connections, in one place, for `s2s azure` (which writes
/// configurations that fit it) and `s2s check --profile azure` (which warns of what does not). Sources, as docs/azure.md
/// cites them: "About VPN devices and IPsec/IKE parameters" (the default policy, lifetimes, MSS and MTU), "Configure
/// custom IPsec/IKE connection policies" and its algorithm table (custom policies, DPD timeout), "About cryptographic
/// requirements and Azure VPN gateways" (DH group 2), the VPN Gateway FAQ (BGP: ASNs, APIPA addresses, timers).
/// </summary>
internal static class AzureFacts
{
    /// <summary>"IKE Main Mode SA lifetime is fixed at 28,800 seconds on the Azure VPN gateways."</summary>
    public const int IkeSaLifetimeSeconds = 28_800;

    /// <summary>The Child SA (Quick Mode SA) lifetime of the default policy, and a custom policy's default.</summary>
    public const int ChildSaLifetimeSeconds = 27_000;

    /// <summary>The Child SA's volume lifetime of the default policy, and a custom policy's default, in kilobytes.</summary>
    public const long ChildSaLifetimeKilobytes = 102_400_000;

    /// <summary>A custom policy's smallest Child SA lifetimes ("Seconds (integer; minimum 300 ...)", "Kilobytes (integer; minimum 1,024 ...)").</summary>
    public const int MinChildSaLifetimeSeconds = 300;

    /// <inheritdoc cref="MinChildSaLifetimeSeconds"/>
    public const long MinChildSaLifetimeKilobytes = 1024;

    /// <summary>The connection's DPD timeout: "Seconds (integer; minimum 9, maximum 3,600, default 45)"; 30 to 45 s recommended.</summary>
    public const int DpdTimeoutSeconds = 45, MinDpdTimeoutSeconds = 9, MaxDpdTimeoutSeconds = 3600;

    /// <summary>"You must clamp TCP MSS at 1350. Or if your VPN devices don't support MSS clamping, you can alternatively set the MTU on the tunnel interface to 1400 bytes instead."</summary>
    public const int MssClamp = 1350, TunnelMtu = 1400;

    /// <summary>"Number of Quick Mode SA: 100": the Child SAs one connection can have.</summary>
    public const int MaxChildSas = 100;

    /// <summary>"Azure VPN gateways have a default ASN of 65515 assigned, whether BGP is enabled or not."</summary>
    public const uint DefaultAsn = 65_515;

    /// <summary>
    /// ASNs that cannot be an on-premises device's: reserved by Azure (public 8074, 8075, 12076; private 65515, 65517 to
    /// 65520) and by IANA (23456, 64496 to 64511, 65535 to 65551, and 4294967295, the last 32-bit ASN, RFC 7300). The
    /// Azure gateway itself has 65515 unless it is given another.
    /// </summary>
    public static bool IsReservedAsn(uint asn) =>
        asn is 0 or 8074 or 8075 or 12076 or 65515 or (>= 65517 and <= 65520) or 23456 or (>= 64496 and <= 64511) or (>= 65535 and <= 65551) or uint.MaxValue;

    /// <summary>The reserved ASNs as a sentence names them.</summary>
    public const string ReservedAsns = "8074, 8075, 12076, 65515, 65517 to 65520 (Azure's) and 23456, 64496 to 64511, 65535 to 65551, 4294967295 (IANA's)";

    /// <summary>Whether an address is in the range of Azure's custom APIPA BGP addresses, 169.254.21.0 to 169.254.22.255.</summary>
    public static bool IsAzureApipa(IPAddress address)
    {
        var b = address.GetAddressBytes();
        return b.Length == 4 && b[0] == 169 && b[1] == 254 && b[2] is 21 or 22;
    }

    /// <summary>Link-local IPv4 (169.254.0.0/16): what Azure calls APIPA.</summary>
    public static readonly IPNetwork Apipa = IPNetwork.Parse("169.254.0.0/16");
}
