using System.Net;

namespace S2SEndpoint.Gateway.Azure;

/// <summary>
/// What `s2s azure` was told, checked: the Azure VPN gateway's public IPs (one, or two for active-active), both sides'
/// prefixes, the on-premises device, the pre-shared key's file, the IPsec/IKE policy, how traffic is routed, and the
/// names of the Azure resources, so that the configuration it writes and the Azure CLI commands it prints agree.
/// </summary>
internal sealed record AzureSite
{
    /// <summary>The VPN gateway's public IPs: instance 0, and instance 1 of an active-active gateway.</summary>
    public required IReadOnlyList<IPAddress> AzureIps { get; init; }

    /// <summary>The virtual network's address space.</summary>
    public required IReadOnlyList<IPNetwork> VnetPrefixes { get; init; }

    /// <summary>The on-premises networks (the local network gateway's address space without BGP).</summary>
    public required IReadOnlyList<IPNetwork> OnPremPrefixes { get; init; }

    /// <summary>The on-premises device's public IP, as Azure sees it (the local network gateway's IP address), and its IKE identity.</summary>
    public required IPAddress OnPremIp { get; init; }

    /// <summary>The device's own addresses for IKE and ESP (local_addrs): its public IP unless it sits behind a NAT.</summary>
    public required IReadOnlyList<IPAddress> LocalAddrs { get; init; }

    /// <summary>The pre-shared key's file, as an absolute path: the configuration reads it, the az command `cat`s it.</summary>
    public required string PskFile { get; init; }

    public required AzurePolicy Policy { get; init; }

    /// <summary>UsePolicyBasedTrafficSelectors: one policy-based child, every on-premises prefix to every VNet prefix; otherwise route-based ones.</summary>
    public bool PolicyBased { get; init; }

    /// <summary>BGP over the tunnels (route-based), or null for the VNet's prefixes routed into them.</summary>
    public AzureBgp? Bgp { get; init; }

    /// <summary>The s2s connection's name ("azure"; "azure-0" and "azure-1" for an active-active gateway) and secret's (ike-NAME).</summary>
    public string Name { get; init; } = "azure";

    public required string ResourceGroup { get; init; }

    public required string VnetGateway { get; init; }

    public string LocalGateway { get; init; } = "onprem";

    public string Connection { get; init; } = "onprem";

    /// <summary>Two public IPs: a tunnel to each instance.</summary>
    public bool ActiveActive => AzureIps.Count == 2;

    /// <summary>The s2s connection to instance <paramref name="instance"/>.</summary>
    public string ConnectionName(int instance) => ActiveActive ? $"{Name}-{instance}" : Name;

    /// <summary>The tunnel interface of the route-based child to instance <paramref name="instance"/>.</summary>
    public static string InterfaceName(int instance) => $"vti-az{instance}";
}
