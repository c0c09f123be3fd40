using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace S2SEndpoint.Gateway.Azure;

/// <summary>
/// The on-premises s2s configuration for an Azure VPN gateway (`s2s azure`): a connection to each instance with the
/// proposals Azure's policy accepts, Azure's lifetimes, liveness checks, the on-premises side starting (behind a NAT
/// only it can) and restarting the tunnel, TCP MSS clamped at 1350; route-based children (the VNet's prefixes routed
/// into a tunnel interface, or BGP over it) or one policy-based child (every on-premises prefix to every VNet prefix).
/// Above the JSON, in comments, what it was made for and the Azure CLI commands of the other side.
/// </summary>
internal static class AzureConfigWriter
{
    /// <summary>Liveness checks after 10 s without traffic, the peer dead after 30 s unanswered: within Azure's DPD range (9 to 3,600 s; 30 to 45 s recommended).</summary>
    public const int DpdDelaySeconds = 10, DpdTimeoutSeconds = 30;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The configuration file's text: a comment naming what it is for, with <paramref name="azCommands"/>, then the JSON.</summary>
    public static string Write(AzureSite site, IReadOnlyList<string> azCommands)
    {
        var text = new StringBuilder();
        text.AppendLine("// s2s, the on-premises side of an Azure VPN gateway: written by `s2s azure` (docs/azure.md says what and why).");
        text.AppendLine(CultureInfo.InvariantCulture, $"// Azure: resource group {site.ResourceGroup}, VPN gateway {site.VnetGateway} ({Instances(site)}), local network gateway {site.LocalGateway}, connection {site.Connection}.");
        text.AppendLine(CultureInfo.InvariantCulture, $"// IPsec/IKE policy: {site.Policy}. {Routing(site)}.");
        text.AppendLine("// The Azure side, with the Azure CLI:");
        foreach (var line in azCommands)
            text.AppendLine(CultureInfo.InvariantCulture, $"//   {line}");
        text.AppendLine("// Check: s2s check --profile azure --config THIS-FILE");
        text.AppendLine(Json(site).ToJsonString(Indented));
        return text.ToString();
    }

    private static string Instances(AzureSite site) => site.ActiveActive
        ? $"active-active: instance 0 at {site.AzureIps[0]}, instance 1 at {site.AzureIps[1]}"
        : $"at {site.AzureIps[0]}";

    private static string Routing(AzureSite site) =>
        site.Bgp is { } bgp ? $"Route-based, BGP: ASN {bgp.Asn}, Azure's {bgp.AzureAsn} (FRR: s2s azure --frr-out)"
        : site.PolicyBased ? "Policy-based (UsePolicyBasedTrafficSelectors): one child, every on-premises prefix to every VNet prefix"
        : "Route-based: the VNet's prefixes routed into the tunnel";

    private static JsonObject Json(AzureSite site)
    {
        var connections = new JsonObject();
        for (var i = 0; i < site.AzureIps.Count; i++)
            connections[site.ConnectionName(i)] = Connection(site, i);
        return new JsonObject
        {
            ["gateway"] = new JsonObject { ["mtu"] = AzureFacts.TunnelMtu },
            ["connections"] = connections,
            ["secrets"] = new JsonObject
            {
                [$"ike-{site.Name}"] = new JsonObject { ["id"] = Strings(site.AzureIps), ["file"] = site.PskFile },
            },
        };
    }

    private static JsonObject Connection(AzureSite site, int instance)
    {
        var azure = site.AzureIps[instance].ToString();
        return new JsonObject
        {
            ["local_addrs"] = Strings(site.LocalAddrs),
            ["remote_addrs"] = azure,
            ["proposals"] = site.Policy.IkeProposals,
            ["rekey_time"] = Seconds(AzureFacts.IkeSaLifetimeSeconds),
            ["dpd_delay"] = Seconds(DpdDelaySeconds),
            ["dpd_timeout"] = Seconds(DpdTimeoutSeconds),
            ["local"] = new JsonObject { ["auth"] = "psk", ["id"] = site.OnPremIp.ToString() },
            ["remote"] = new JsonObject { ["auth"] = "psk", ["id"] = azure },
            ["children"] = Children(site, instance),
        };
    }

    private static JsonObject Children(AzureSite site, int instance)
    {
        JsonObject child;
        if (site.PolicyBased)
            // Azure's selectors are the cross product of the local network gateway's prefixes and the VNet's, and it
            // accepts what the on-premises side proposes: this side proposes every pair in one Child SA; when Azure brings
            // up one Child SA per pair instead, each pair's traffic goes into its own (a request ID per pair of selector sets).
            child = new JsonObject { ["local_ts"] = Strings(site.OnPremPrefixes), ["remote_ts"] = Strings(site.VnetPrefixes) };
        else if (site.Bgp is { } bgp)
            child = new JsonObject { ["interface"] = AzureSite.InterfaceName(instance), ["interface_addrs"] = $"{bgp.Address} peer {bgp.AzureAddresses[instance]}" };
        else
            child = new JsonObject { ["interface"] = AzureSite.InterfaceName(instance), ["routes"] = Strings(site.VnetPrefixes) };
        return new JsonObject { ["vnet"] = Finish(child, site) };
    }

    /// <summary>What every child has: the policy's ESP proposals and lifetimes, started and restarted by this side, MSS clamped.</summary>
    private static JsonObject Finish(JsonObject child, AzureSite site)
    {
        child["esp_proposals"] = site.Policy.EspProposals;
        child["rekey_time"] = Seconds(site.Policy.SaLifetimeSeconds);
        child["rekey_bytes"] = string.Create(CultureInfo.InvariantCulture, $"{site.Policy.SaLifetimeKilobytes}k");
        child["start_action"] = "start";
        child["dpd_action"] = "restart";
        child["mss_clamp"] = AzureFacts.MssClamp;
        return child;
    }

    /// <summary>A list as swanctl writes it, comma-separated.</summary>
    private static string Strings<T>(IEnumerable<T> items) => string.Join(", ", items);

    private static string Seconds(int seconds) => string.Create(CultureInfo.InvariantCulture, $"{seconds}s");
}
