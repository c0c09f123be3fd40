using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Gateway.Azure;

/// <summary>
/// `s2s azure`: from Azure's parameters (the VPN gateway's public IPs, the VNet's and the on-premises prefixes, the
/// device's public IP, the pre-shared key's file, the IPsec/IKE policy in Azure's names, policy-based selectors or BGP),
/// the on-premises s2s configuration (<see cref="AzureConfigWriter"/>), checked as `s2s check --profile azure` checks,
/// and the Azure CLI commands for Azure's side (<see cref="AzureCli"/>); with BGP, FRR's part (<see cref="FrrConfigWriter"/>).
/// Each mistake in the parameters is one line naming the option, the value and what is valid (exit 2).
/// </summary>
internal static partial class AzureCommand
{
    private const int Failed = 1;
    private const int Usage = 2;

    /// <summary>The command's options as given; each list may be repeated options or several values after one.</summary>
    internal sealed record Arguments
    {
        public string[] AzureIps { get; init; } = [];
        public string[] VnetPrefixes { get; init; } = [];
        public string[] OnPremPrefixes { get; init; } = [];
        public string? OnPremIp { get; init; }
        public string[] LocalAddrs { get; init; } = [];
        public string? PskFile { get; init; }
        public AzurePolicy.Options Policy { get; init; } = new(null, null, null, null, null, null, null, null);
        public bool PolicyBased { get; init; }
        public string? BgpAsn { get; init; }
        public string? AzureAsn { get; init; }
        public string? BgpAddress { get; init; }
        public string[] AzureBgpAddresses { get; init; } = [];
        public string? ResourceGroup { get; init; }
        public string? VnetGateway { get; init; }
        public string LocalGateway { get; init; } = "onprem";
        public string Connection { get; init; } = "onprem";
        public string Name { get; init; } = "azure";
        public string? Out { get; init; }
        public string? FrrOut { get; init; }
    }

    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("azure", "Write the on-premises s2s configuration for an Azure VPN gateway and print the Azure CLI commands for Azure's side (docs/azure.md).");
        Option<string[]> Many(string name, string description, string helpName, bool required = false) =>
            new(name) { Description = description, HelpName = helpName, Required = required, AllowMultipleArgumentsPerToken = true };
        Option<string> One(string name, string description, string helpName, bool required = false) =>
            new(name) { Description = description, HelpName = helpName, Required = required };

        var azureIp = Many("--azure-ip", "The VPN gateway's public IP; two for an active-active gateway (instance 0, then 1).", "ADDRESS", required: true);
        var vnetPrefix = Many("--vnet-prefix", "The virtual network's address space.", "PREFIX", required: true);
        var onPremPrefix = Many("--onprem-prefix", "The on-premises networks (the local network gateway's address space).", "PREFIX", required: true);
        var onPremIp = One("--onprem-ip", "This device's public IP as Azure sees it (the local network gateway's IP address, and the IKE identity).", "ADDRESS", required: true);
        var localAddr = Many("--local-addr", "This device's own addresses for IKE and ESP (local_addrs; default: --onprem-ip; behind a NAT, give its address).", "ADDRESS");
        var pskFile = One("--psk-file", "The file holding the pre-shared key (one line): the configuration reads it, the az command cats it; it is never printed.", "FILE", required: true);
        var ikeEncryption = One("--ike-encryption", "A custom policy: GCMAES256, GCMAES128, AES256, AES192, AES128 (leave the six algorithm options out for Azure's default policy).", "NAME");
        var ikeIntegrity = One("--ike-integrity", "A custom policy: SHA384, SHA256, SHA1.", "NAME");
        var dhGroup = One("--dh-group", "A custom policy: DHGroup24, ECP384, ECP256, DHGroup14, DHGroup2048, DHGroup2.", "NAME");
        var ipsecEncryption = One("--ipsec-encryption", "A custom policy: GCMAES256, GCMAES192, GCMAES128, AES256, AES192, AES128, None.", "NAME");
        var ipsecIntegrity = One("--ipsec-integrity", "A custom policy: GCMAES256, GCMAES192, GCMAES128 (with the same GCM encryption), SHA256, SHA1.", "NAME");
        var pfsGroup = One("--pfs-group", "A custom policy: PFS24, ECP384, ECP256, PFS2048 (or PFS14), PFS2, None.", "NAME");
        var saLifetime = One("--sa-lifetime", "A custom policy's Child SA lifetime in seconds (300 or more; default 27000).", "SECONDS");
        var saMaxSize = One("--sa-max-size", "A custom policy's Child SA lifetime in kilobytes (1024 or more; default 102400000).", "KB");
        var policyBased = new Option<bool>("--policy-based") { Description = "UsePolicyBasedTrafficSelectors: one policy-based child from the on-premises prefixes to the VNet's, whose traffic goes into Azure's Child SA for each prefix pair (default: route-based, a tunnel interface per instance)." };
        var bgpAsn = One("--bgp-asn", "BGP over the tunnels: this side's ASN (the local network gateway's).", "ASN");
        var azureAsn = One("--azure-asn", "The VPN gateway's ASN (default 65515).", "ASN");
        var bgpAddress = One("--bgp-address", "This side's BGP peer IP (the local network gateway's), such as 169.254.21.2.", "ADDRESS");
        var azureBgpAddress = Many("--azure-bgp-address", "The VPN gateway's BGP address on each instance, in the order of --azure-ip (custom APIPA addresses from 169.254.21.0 to 169.254.22.255, or Azure's own).", "ADDRESS");
        var resourceGroup = One("--resource-group", "The Azure resource group of the VPN gateway and the resources the commands make.", "NAME", required: true);
        var vnetGateway = One("--vnet-gateway", "The Azure VPN gateway's name.", "NAME", required: true);
        var localGateway = One("--local-gateway", "The local network gateway to make (default: onprem).", "NAME");
        var connection = One("--connection", "The Azure connection to make (default: onprem).", "NAME");
        var name = One("--name", "The s2s connection's name (default: azure; azure-0 and azure-1 for an active-active gateway).", "NAME");
        var outFile = One("--out", "Write the configuration here (default: standard output) and print the Azure CLI commands.", "FILE");
        var frrOut = One("--frr-out", "With BGP: write FRR's part (frr.conf) here.", "FILE");
        Option[] all =
        [
            azureIp, vnetPrefix, onPremPrefix, onPremIp, localAddr, pskFile, ikeEncryption, ikeIntegrity, dhGroup, ipsecEncryption, ipsecIntegrity, pfsGroup,
            saLifetime, saMaxSize, policyBased, bgpAsn, azureAsn, bgpAddress, azureBgpAddress, resourceGroup, vnetGateway, localGateway, connection, name, outFile, frrOut,
        ];
        foreach (var option in all)
            command.Options.Add(option);
        command.SetAction(r => Run(new Arguments
        {
            AzureIps = r.GetValue(azureIp) ?? [],
            VnetPrefixes = r.GetValue(vnetPrefix) ?? [],
            OnPremPrefixes = r.GetValue(onPremPrefix) ?? [],
            OnPremIp = r.GetValue(onPremIp),
            LocalAddrs = r.GetValue(localAddr) ?? [],
            PskFile = r.GetValue(pskFile),
            Policy = new(r.GetValue(ikeEncryption), r.GetValue(ikeIntegrity), r.GetValue(dhGroup), r.GetValue(ipsecEncryption), r.GetValue(ipsecIntegrity), r.GetValue(pfsGroup), r.GetValue(saLifetime), r.GetValue(saMaxSize)),
            PolicyBased = r.GetValue(policyBased),
            BgpAsn = r.GetValue(bgpAsn),
            AzureAsn = r.GetValue(azureAsn),
            BgpAddress = r.GetValue(bgpAddress),
            AzureBgpAddresses = r.GetValue(azureBgpAddress) ?? [],
            ResourceGroup = r.GetValue(resourceGroup),
            VnetGateway = r.GetValue(vnetGateway),
            LocalGateway = r.GetValue(localGateway) ?? "onprem",
            Connection = r.GetValue(connection) ?? "onprem",
            Name = r.GetValue(name) ?? "azure",
            Out = r.GetValue(outFile),
            FrrOut = r.GetValue(frrOut),
        }, output, error));
        return command;
    }

    /// <summary>Checks the arguments, writes the configuration (and FRR's part) and prints the Azure CLI commands.</summary>
    internal static int Run(Arguments a, TextWriter output, TextWriter error)
    {
        var problems = new List<string>();
        var site = Site(a, problems);
        if (site is null)
        {
            foreach (var line in problems)
                error.WriteLine(line);
            return Usage;
        }
        var commands = AzureCli.Commands(site);
        var text = AzureConfigWriter.Write(site, commands);
        // What it writes passes `s2s check --profile azure` as any configuration must: anything else is a bug here.
        if (!ConfigLoader.TryParse(text, Directory.GetCurrentDirectory(), out var config, out var refused))
        {
            foreach (var line in refused)
                error.WriteLine($"s2s azure wrote a configuration that s2s check refuses (a bug; please report it): {line}");
            return Failed;
        }
        foreach (var line in config.Warnings.Concat(AzureProfile.Check(config)))
            error.WriteLine($"warning: {line}");
        if (a.Out is null)
            output.Write(text);
        else if (!TryWrite("--out", a.Out, text, error))
            return Failed;
        if (site.Bgp is not null && a.FrrOut is not null && !TryWrite("--frr-out", a.FrrOut, FrrConfigWriter.Write(site), error))
            return Failed;
        if (a.Out is null)
            return 0;
        var children = config.Connections.Sum(c => c.Children.Count);
        output.WriteLine($"{a.Out}: {config.Connections.Count} connection(s), {children} child(ren); the Azure side:");
        foreach (var line in commands)
            output.WriteLine(line);
        if (site.Bgp is not null)
            output.WriteLine(a.FrrOut is null ? "# FRR: --frr-out FILE writes its part (docs/azure-active-active.md)." : $"# FRR: {a.FrrOut} (docs/azure-active-active.md).");
        return 0;
    }

    private static bool TryWrite(string option, string path, string text, TextWriter error)
    {
        try
        {
            File.WriteAllText(path, text);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error.WriteLine($"{option}: '{path}' cannot be written ({e.Message})");
            return false;
        }
    }

    /// <summary>The site the arguments describe, or null with one line per mistake in <paramref name="problems"/>.</summary>
    private static AzureSite? Site(Arguments a, List<string> problems)
    {
        var azureIps = Addresses("--azure-ip", a.AzureIps, problems);
        if (a.AzureIps.Length is 0 or > 2)
            problems.Add($"--azure-ip: {a.AzureIps.Length} given ('{string.Join(", ", a.AzureIps)}'); valid: one (an active-standby gateway's public IP) or two (an active-active gateway's, instance 0 then 1)");
        var onPremIp = a.OnPremIp is null ? null : Address("--onprem-ip", a.OnPremIp, problems);
        if (onPremIp is not null && azureIps.Contains(onPremIp))
            problems.Add($"--onprem-ip: '{onPremIp}' is also given as --azure-ip; valid: this device's public IP, which is not the Azure gateway's");
        var localAddrs = a.LocalAddrs.Length > 0 ? Addresses("--local-addr", a.LocalAddrs, problems) : onPremIp is null ? [] : [onPremIp];
        var vnet = Prefixes("--vnet-prefix", a.VnetPrefixes, problems);
        var onPrem = Prefixes("--onprem-prefix", a.OnPremPrefixes, problems);
        foreach (var p in onPrem)
        {
            if (First(vnet, v => Overlap(v, p)) is { } clash)
                problems.Add($"--onprem-prefix: '{p}' overlaps --vnet-prefix {clash}; Azure routes each prefix to one side: valid: on-premises prefixes outside the VNet's address space");
        }
        var pskFile = a.PskFile is null ? null : PreSharedKeyFile(a.PskFile, problems);
        var policy = AzurePolicy.From(a.Policy, problems);
        var bgp = Bgp(a, azureIps, onPremIp, vnet, problems);
        if (bgp is not null)
        {
            foreach (var (option, prefixes) in new[] { ("--vnet-prefix", vnet), ("--onprem-prefix", onPrem) })
            {
                foreach (var p in prefixes.Where(p => p.BaseAddress.AddressFamily != AddressFamily.InterNetwork))
                    problems.Add($"{option}: '{p}' is IPv6, and BGP here (FRR's address-family ipv4 unicast, over Azure's IPv4 BGP sessions) carries IPv4 prefixes; valid with --bgp-asn: IPv4 prefixes");
            }
        }
        if (a.PolicyBased && vnet.Count * onPrem.Count > AzureFacts.MaxChildSas)
            problems.Add(string.Create(CultureInfo.InvariantCulture, $"--policy-based: {onPrem.Count} on-premises and {vnet.Count} VNet prefixes are {onPrem.Count * vnet.Count} prefix pairs, a Child SA each, and an Azure connection has at most {AzureFacts.MaxChildSas}; valid: fewer or larger prefixes, or route-based (leave --policy-based out)"));
        Name("--resource-group", a.ResourceGroup, ResourceGroupName(), "1 to 90 letters, digits, '_', '-', '.', '(' or ')', not ending in '.'", problems);
        Name("--vnet-gateway", a.VnetGateway, ResourceName(), AzureNameRule, problems);
        Name("--local-gateway", a.LocalGateway, ResourceName(), AzureNameRule, problems);
        Name("--connection", a.Connection, ResourceName(), AzureNameRule, problems);
        Name("--name", a.Name, ConnectionName(), "1 to 32 letters, digits, '_', '-' or '.', starting with a letter or digit", problems);
        if (problems.Count > 0 || policy is null || onPremIp is null || pskFile is null)
            return null;
        return new AzureSite
        {
            AzureIps = azureIps,
            VnetPrefixes = vnet,
            OnPremPrefixes = onPrem,
            OnPremIp = onPremIp,
            LocalAddrs = localAddrs,
            PskFile = pskFile,
            Policy = policy,
            PolicyBased = a.PolicyBased,
            Bgp = bgp,
            Name = a.Name,
            ResourceGroup = a.ResourceGroup!,
            VnetGateway = a.VnetGateway!,
            LocalGateway = a.LocalGateway,
            Connection = a.Connection,
        };
    }

    private const string AzureNameRule = "1 to 80 letters, digits, '_', '-' or '.', starting with a letter or digit and ending with one or '_'";

    /// <summary>BGP's options, checked: all of them with --bgp-asn, none without it.</summary>
    private static AzureBgp? Bgp(Arguments a, List<IPAddress> azureIps, IPAddress? onPremIp, List<IPNetwork> vnet, List<string> problems)
    {
        if (a.BgpAsn is null)
        {
            foreach (var (option, given) in new[] { ("--azure-asn", a.AzureAsn is not null), ("--bgp-address", a.BgpAddress is not null), ("--azure-bgp-address", a.AzureBgpAddresses.Length > 0), ("--frr-out", a.FrrOut is not null) })
            {
                if (given)
                    problems.Add($"{option}: is for BGP; give --bgp-asn too (this side's ASN), or leave it out");
            }
            return null;
        }
        var before = problems.Count;
        if (a.PolicyBased)
            problems.Add("--policy-based: BGP (--bgp-asn) runs over a route-based child's tunnel interface, and policy-based children have none; valid: one of --policy-based and --bgp-asn");
        var asn = Asn("--bgp-asn", a.BgpAsn, problems);
        if (asn is { } mine && AzureFacts.IsReservedAsn(mine))
            problems.Add($"--bgp-asn: '{a.BgpAsn}' is reserved ({AzureFacts.ReservedAsns}); valid: another, such as a private ASN from 64512 to 65514 or 65521 to 65534");
        var azureAsn = a.AzureAsn is null ? AzureFacts.DefaultAsn : Asn("--azure-asn", a.AzureAsn, problems);
        if (azureAsn is { } theirs && theirs != AzureFacts.DefaultAsn && AzureFacts.IsReservedAsn(theirs))
            problems.Add($"--azure-asn: '{a.AzureAsn}' is reserved ({AzureFacts.ReservedAsns}); valid: the gateway's ASN, 65515 unless it was given another");
        if (asn is { } same && same == azureAsn && !AzureFacts.IsReservedAsn(same))
            problems.Add($"--bgp-asn: '{a.BgpAsn}' is the VPN gateway's ASN too (--azure-asn), and Azure needs a different ASN on each side; valid: any but {azureAsn}");
        IPAddress? address = null;
        if (a.BgpAddress is null)
            problems.Add("--bgp-address: missing; with --bgp-asn, give this side's BGP peer IP (the local network gateway's), such as 169.254.21.2");
        else if (Address("--bgp-address", a.BgpAddress, problems) is { } bgpAddress)
        {
            address = bgpAddress;
            if (bgpAddress.AddressFamily != AddressFamily.InterNetwork)
                problems.Add($"--bgp-address: '{a.BgpAddress}' is IPv6; valid: an IPv4 address, such as 169.254.21.2");
            else if (bgpAddress.Equals(onPremIp))
                problems.Add($"--bgp-address: '{a.BgpAddress}' is the device's public IP (--onprem-ip), which Azure refuses as its BGP peer IP; valid: another address of this side, such as 169.254.21.2");
            else if (First(vnet, v => v.Contains(bgpAddress)) is { } inside)
                problems.Add($"--bgp-address: '{a.BgpAddress}' is in the VNet's address space ({inside}), which Azure refuses as the on-premises BGP peer IP; valid: an address outside it, such as 169.254.21.2");
        }
        var azureAddresses = Addresses("--azure-bgp-address", a.AzureBgpAddresses, problems);
        if (a.AzureBgpAddresses.Length != azureIps.Count)
            problems.Add($"--azure-bgp-address: {a.AzureBgpAddresses.Length} given ('{string.Join(", ", a.AzureBgpAddresses)}') for {azureIps.Count} --azure-ip; valid: the gateway's BGP address on each instance, in the same order, such as 169.254.21.1{(azureIps.Count == 2 ? " 169.254.22.1" : "")}");
        foreach (var peer in azureAddresses)
        {
            if (peer.AddressFamily != AddressFamily.InterNetwork)
                problems.Add($"--azure-bgp-address: '{peer}' is IPv6; valid: an IPv4 address, such as 169.254.21.1");
            else if (AzureFacts.Apipa.Contains(peer) ? !AzureFacts.IsAzureApipa(peer) : !vnet.Any(v => v.Contains(peer)))
                problems.Add($"--azure-bgp-address: '{peer}' is neither a custom APIPA BGP address (Azure takes 169.254.21.0 to 169.254.22.255) nor in the VNet, where Azure's own BGP addresses are (in the GatewaySubnet); valid: one of those, such as 169.254.21.1");
            else if (peer.Equals(address))
                problems.Add($"--azure-bgp-address: '{peer}' is --bgp-address too; valid: the Azure gateway's own BGP address");
        }
        if (azureAddresses.Distinct().Count() != azureAddresses.Count)
            problems.Add($"--azure-bgp-address: '{string.Join(", ", a.AzureBgpAddresses)}' gives an address twice; each instance has its own");
        if (problems.Count > before || asn is null || azureAsn is null || address is null)
            return null;
        return new AzureBgp(asn.Value, azureAsn.Value, address, azureAddresses);
    }

    private static uint? Asn(string option, string text, List<string> problems)
    {
        if (uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var asn) && asn > 0)
            return asn;
        problems.Add($"{option}: '{text}' is not an ASN; valid: a whole number from 1 to {uint.MaxValue}, such as 65010");
        return null;
    }

    /// <summary>
    /// The key file's absolute path, once it holds a key both sides read alike: one line, not starting 0x or 0s (which s2s
    /// reads as hex or base64, where Azure takes the text as it is).
    /// </summary>
    private static string? PreSharedKeyFile(string file, List<string> problems)
    {
        const string Write = "openssl rand -hex 24 > FILE; chmod 600 FILE";
        string full, key;
        try
        {
            full = Path.GetFullPath(file);
            key = File.ReadAllText(full).TrimEnd('\r', '\n');
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            problems.Add($"--psk-file: '{file}' cannot be read ({e.Message}); valid: a file holding the pre-shared key, such as one written with: {Write}");
            return null;
        }
        if (key.Length == 0)
            problems.Add($"--psk-file: '{file}' is empty; valid: a file holding the pre-shared key, such as one written with: {Write}");
        else if (key.Contains('\n', StringComparison.Ordinal) || key.Contains('\r', StringComparison.Ordinal))
            problems.Add($"--psk-file: '{file}' holds more than one line; valid: the key alone, on one line");
        else if (key.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || key.StartsWith("0s", StringComparison.Ordinal))
            problems.Add($"--psk-file: the key in '{file}' starts with {key[..2]}, which s2s reads as {(key[1] == 's' ? "base64" : "hex")} and Azure as the text it is, so the two would hold different keys; valid: a key that does not start 0x or 0s, such as one written with: {Write}");
        return full;
    }

    private static IPAddress? Address(string option, string text, List<string> problems)
    {
        if (AddressText.TryParse(text, out var address) && !address.Equals(IPAddress.Any) && !address.Equals(IPAddress.IPv6Any)
            && (address.AddressFamily != AddressFamily.InterNetworkV6 || address.ScopeId == 0))
            return address;
        problems.Add($"{option}: '{text}' is not an IP address; valid: an address such as 192.0.2.1 (host names are not resolved)");
        return null;
    }

    private static List<IPAddress> Addresses(string option, string[] texts, List<string> problems)
    {
        var list = new List<IPAddress>();
        foreach (var text in texts)
        {
            if (Address(option, text, problems) is not { } address)
                continue;
            if (list.Contains(address))
                problems.Add($"{option}: '{text}' is given twice; give each address once");
            else
                list.Add(address);
        }
        return list;
    }

    private static List<IPNetwork> Prefixes(string option, string[] texts, List<string> problems)
    {
        var list = new List<IPNetwork>();
        foreach (var text in texts)
        {
            var slash = text.IndexOf('/', StringComparison.Ordinal);
            // IPNetwork.TryParse clears host bits that are set: the address must be the network's own.
            if (slash < 0 || !IPNetwork.TryParse(text, out var prefix) || !AddressText.TryParse(text[..slash], out var written) || !written.Equals(prefix.BaseAddress))
                problems.Add($"{option}: '{text}' is not a CIDR prefix; valid: an address with its host bits clear and a prefix length, such as 10.2.0.0/16");
            else if (list.Contains(prefix))
                problems.Add($"{option}: '{text}' is given twice; give each prefix once");
            else
                list.Add(prefix);
        }
        return list;
    }

    private static IPNetwork? First(List<IPNetwork> prefixes, Func<IPNetwork, bool> match) =>
        prefixes.Where(match).Select(p => (IPNetwork?)p).FirstOrDefault();

    private static bool Overlap(IPNetwork a, IPNetwork b) => a.Contains(b.BaseAddress) || b.Contains(a.BaseAddress);

    private static void Name(string option, string? value, Regex rule, string valid, List<string> problems)
    {
        if (value is not null && !rule.IsMatch(value))
            problems.Add($"{option}: '{value}' is not a valid name; valid: {valid}");
    }

    [GeneratedRegex(@"^[\w().-]{0,89}[\w()-]$")]
    private static partial Regex ResourceGroupName();

    [GeneratedRegex("^[A-Za-z0-9]([A-Za-z0-9_.-]{0,78}[A-Za-z0-9_])?$")]
    private static partial Regex ResourceName();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")]
    private static partial Regex ConnectionName();
}
