using System.Globalization;
using System.Net;
using System.Text;

namespace S2SEndpoint.Gateway.Azure;

/// <summary>
/// FRR's part beside an <see cref="AzureSite"/> with BGP (`s2s azure --frr-out FILE`): examples/azure-active-active.frr.conf
/// with the site's ASNs, addresses and prefixes, line for line (docs/azure-active-active.md explains each line, and the
/// interop suite runs that file). This side connects to each Azure BGP address from the local network gateway's BGP peer
/// IP, with Azure's timers; only the on-premises prefixes go out and only the VNet's come in; an active-active gateway's
/// two paths are one ECMP route.
/// </summary>
internal static class FrrConfigWriter
{
    public static string Write(AzureSite site)
    {
        var bgp = site.Bgp ?? throw new ArgumentException("the site has no BGP", nameof(site));
        var text = new StringBuilder();
        void Line(string line) => text.Append(line).Append('\n');

        Line($"! FRR beside s2s for the Azure VPN gateway {site.VnetGateway}: written by `s2s azure` (docs/azure-active-active.md");
        Line("! explains each line). As /etc/frr/frr.conf, with bgpd=yes in /etc/frr/daemons.");
        Line("frr defaults traditional");
        Line("!");
        Line("! FRR 8.4 leaves a tunnel's nexthop out of an ECMP route's kernel nexthop group after its carrier went down and up.");
        Line("no zebra nexthop kernel enable");
        Line("!");
        Line("! What goes to Azure (the on-premises prefixes) and what is taken from it (the VNet's).");
        PrefixList("ONPREM", site.OnPremPrefixes, Line);
        PrefixList("VNET", site.VnetPrefixes, Line);
        Line("route-map TO-AZURE permit 10");
        Line(" match ip address prefix-list ONPREM");
        Line("exit");
        Line("route-map FROM-AZURE permit 10");
        Line(" match ip address prefix-list VNET");
        Line("exit");
        Line("!");
        Line(string.Create(CultureInfo.InvariantCulture, $"router bgp {bgp.Asn}"));
        Line($" bgp router-id {bgp.Address}");
        Line(" bgp log-neighbor-changes");
        Line(" ! A session goes down as soon as its tunnel lost carrier, not after the 180 s hold time.");
        Line(" bgp fast-convergence");
        Line(" ! Azure's timers; it does not do BFD.");
        Line(" timers bgp 60 180");
        for (var i = 0; i < bgp.AzureAddresses.Count; i++)
        {
            var peer = bgp.AzureAddresses[i];
            Line($" ! Instance {i} through {AzureSite.InterfaceName(i)}. With APIPA addresses Azure does not start BGP: this side connects.");
            Line(string.Create(CultureInfo.InvariantCulture, $" neighbor {peer} remote-as {bgp.AzureAsn}"));
            Line($" neighbor {peer} ebgp-multihop 2");
            Line($" neighbor {peer} update-source {bgp.Address}");
            Line($" neighbor {peer} timers connect 10");
        }
        Line(" !");
        Line(" address-family ipv4 unicast");
        Line("  ! The LAN as the kernel routes it: FRR announces a network only when its routing table has that very prefix.");
        foreach (var prefix in site.OnPremPrefixes)
            Line($"  network {prefix}");
        if (bgp.AzureAddresses.Count > 1)
            Line(string.Create(CultureInfo.InvariantCulture, $"  maximum-paths {bgp.AzureAddresses.Count}"));
        foreach (var peer in bgp.AzureAddresses)
        {
            Line($"  neighbor {peer} route-map FROM-AZURE in");
            Line($"  neighbor {peer} route-map TO-AZURE out");
        }
        Line(" exit-address-family");
        Line("exit");
        return text.ToString();
    }

    /// <summary>A prefix list that permits the prefixes and every longer one within them.</summary>
    private static void PrefixList(string name, IReadOnlyList<IPNetwork> prefixes, Action<string> line)
    {
        for (var i = 0; i < prefixes.Count; i++)
        {
            var p = prefixes[i];
            line(string.Create(CultureInfo.InvariantCulture, $"ip prefix-list {name} seq {(i + 1) * 10} permit {p}{(p.PrefixLength < 32 ? " le 32" : "")}"));
        }
    }
}
