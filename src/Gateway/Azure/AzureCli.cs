using System.Globalization;
using System.Text.RegularExpressions;

namespace S2SEndpoint.Gateway.Azure;

/// <summary>
/// The Azure side of an <see cref="AzureSite"/> as Azure CLI commands: the local network gateway (`az network
/// local-gateway create`), the connection (`az network vpn-connection create`) and a custom policy (`az network
/// vpn-connection ipsec-policy add`), each on one line, after comment lines ("# ...") saying what the VPN gateway itself
/// must be. The shared key is read from its file where the commands run (`--shared-key "$(cat FILE)"`), never printed.
/// </summary>
internal static partial class AzureCli
{
    public static IReadOnlyList<string> Commands(AzureSite site)
    {
        var lines = new List<string> { $"# The VPN gateway {site.VnetGateway}: {Gateway(site)}." };
        if (!site.Policy.IsCustom)
            lines.Add("# Azure's default IPsec/IKE policy has DH group 2 (modp1024) only; a custom policy (s2s azure --ike-encryption ...) is stronger.");
        lines.Add("# Run these where the key file is: the shared key is read from it, never printed.");

        var local = $"az network local-gateway create --resource-group {Quote(site.ResourceGroup)} --name {Quote(site.LocalGateway)} --gateway-ip-address {site.OnPremIp}";
        if (site.Bgp is { } bgp)
            // "Don't add the /32 route in the Address space field": with BGP the on-premises prefixes come by BGP.
            local += string.Create(CultureInfo.InvariantCulture, $" --asn {bgp.Asn} --bgp-peering-address {bgp.Address}");
        else
            local += $" --local-address-prefixes {string.Join(' ', site.OnPremPrefixes)}";
        lines.Add(local);

        var connection = $"az network vpn-connection create --resource-group {Quote(site.ResourceGroup)} --name {Quote(site.Connection)} --vnet-gateway1 {Quote(site.VnetGateway)} --local-gateway2 {Quote(site.LocalGateway)} --shared-key \"$(cat {Quote(site.PskFile)})\"";
        if (site.Bgp is not null)
            connection += " --enable-bgp";
        if (site.PolicyBased)
            connection += " --use-policy-based-traffic-selectors true";
        lines.Add(connection);

        if (site.Policy.IsCustom)
            lines.Add($"az network vpn-connection ipsec-policy add --resource-group {Quote(site.ResourceGroup)} --connection-name {Quote(site.Connection)} {site.Policy.AzOptions}");
        return lines;
    }

    private static string Gateway(AzureSite site)
    {
        var what = site.ActiveActive
            ? $"route-based (VpnGw1 or higher), active-active with the public IPs {site.AzureIps[0]} (instance 0) and {site.AzureIps[1]} (instance 1)"
            : $"route-based (VpnGw1 or higher), with the public IP {site.AzureIps[0]}";
        if (site.Bgp is not { } bgp)
            return what;
        var apipa = AzureFacts.IsAzureApipa(bgp.AzureAddresses[0]);
        var addresses = site.ActiveActive ? $"{bgp.AzureAddresses[0]} (instance 0) and {bgp.AzureAddresses[1]} (instance 1)" : bgp.AzureAddresses[0].ToString();
        return string.Create(CultureInfo.InvariantCulture, $"{what}; BGP with ASN {bgp.AzureAsn} and {(apipa ? "the custom APIPA BGP addresses" : "its BGP addresses")} {addresses}");
    }

    /// <summary>A word for a POSIX shell: as it is when it needs no quoting, else in single quotes.</summary>
    internal static string Quote(string word) =>
        PlainWord().IsMatch(word) ? word : "'" + word.Replace("'", "'\"'\"'", StringComparison.Ordinal) + "'";

    [GeneratedRegex("^[A-Za-z0-9_@%+=:,./-]+$")]
    private static partial Regex PlainWord();
}
