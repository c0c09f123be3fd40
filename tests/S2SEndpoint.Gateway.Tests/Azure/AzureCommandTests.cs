using System.Net;
using S2SEndpoint.Gateway.Azure;
using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway.Tests.Azure;

/// <summary>
/// `s2s azure`: the configuration it writes loads as `s2s check` loads it and says what the parameters say (one or two
/// instances, route-based, BGP, policy-based, the default or a custom policy), it draws no warning from `s2s check
/// --profile azure`, the Azure CLI commands carry the same prefixes, addresses and policy, the key is never printed, and
/// each parameter mistake is one line naming the option, the value and what is valid.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class AzureCommandTests : IDisposable
{
    private const string Key = "3f1c0b9a6e2d4c8b7a5f0e1d2c3b4a5968778695a4b3c2d1";

    private readonly string _dir = Directory.CreateTempSubdirectory("s2s-azure-").FullName;
    private readonly StringWriter _output = new();
    private readonly StringWriter _error = new();

    public AzureCommandTests()
    {
        File.WriteAllText(KeyFile, Key + "\n");
        File.SetUnixFileMode(KeyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public void Dispose()
    {
        Directory.Delete(_dir, true);
        _output.Dispose();
        _error.Dispose();
    }

    private string KeyFile => Path.Combine(_dir, "azure.psk");

    private string OutFile => Path.Combine(_dir, "s2s.json");

    /// <summary>An active-standby gateway, its VNet, the LAN and the device: what every run below starts from.</summary>
    private string[] Base =>
    [
        "--azure-ip", "198.51.100.10", "--vnet-prefix", "10.2.0.0/16", "10.3.0.0/16", "--onprem-prefix", "10.1.0.0/24",
        "--onprem-ip", "192.0.2.1", "--psk-file", KeyFile, "--resource-group", "rg1", "--vnet-gateway", "vgw1",
    ];

    private static readonly string[] Custom =
    [
        "--ike-encryption", "GCMAES256", "--ike-integrity", "SHA384", "--dh-group", "ECP384", "--ipsec-encryption", "GCMAES256",
        "--ipsec-integrity", "GCMAES256", "--pfs-group", "ECP384", "--sa-lifetime", "3600", "--sa-max-size", "2048000",
    ];

    private static readonly string[] Bgp = ["--bgp-asn", "65010", "--bgp-address", "169.254.21.2", "--azure-bgp-address", "169.254.21.1", "169.254.22.1"];

    private static readonly string[] ActiveActive = ["--azure-ip", "198.51.100.10", "198.51.100.11"];

    private static readonly string[] BgpStandby = ["--bgp-asn", "65010", "--bgp-address", "169.254.21.2", "--azure-bgp-address", "169.254.21.1"];

    private int Run(params string[] args) => Program.Execute(["azure", .. args], _output, _error);

    /// <summary><see cref="Base"/> with <paramref name="change"/>: an option given there replaces its values in Base.</summary>
    private string[] With(params string[] change)
    {
        var options = Groups(Base);
        foreach (var (option, values) in Groups(change))
        {
            var at = options.FindIndex(o => o.Option == option);
            if (at < 0)
                options.Add((option, values));
            else
                options[at] = (option, values);
        }
        return [.. options.SelectMany(o => o.Values.Prepend(o.Option))];
    }

    private static List<(string Option, string[] Values)> Groups(string[] args)
    {
        var groups = new List<(string, string[])>();
        for (var i = 0; i < args.Length;)
        {
            var end = Array.FindIndex(args, i + 1, a => a.StartsWith("--", StringComparison.Ordinal));
            end = end < 0 ? args.Length : end;
            groups.Add((args[i], args[(i + 1)..end]));
            i = end;
        }
        return groups;
    }

    /// <summary>Runs <see cref="Base"/> with <paramref name="change"/> and --out, expects success without a warning, and loads what was written.</summary>
    private GatewayConfig Generate(params string[] change)
    {
        Assert.Equal(0, Run([.. With(change), "--out", OutFile]));
        Assert.Equal("", _error.ToString());
        return ConfigLoader.Load(OutFile);
    }

    /// <summary>The printed Azure CLI command that starts with <paramref name="start"/>.</summary>
    private string Command(string start) => Assert.Single(_output.ToString().Split('\n'), l => l.StartsWith(start, StringComparison.Ordinal));

    private static string[] Formats(IEnumerable<Proposal> proposals) => [.. proposals.Select(ProposalKeywords.Format)];

    [Fact]
    public void Azure_ActiveStandbyDefaultPolicy_RouteBasedWithAzuresDefaultsAndTheVnetRouted()
    {
        var config = Generate();

        var c = Assert.Single(config.Connections);
        Assert.Equal("azure", c.Name);
        Assert.Equal([IPAddress.Parse("198.51.100.10")], c.RemoteAddresses);
        Assert.Equal([IPAddress.Parse("192.0.2.1")], c.LocalAddresses);
        Assert.Equal("192.0.2.1", c.LocalId.ToString());
        Assert.Equal("198.51.100.10", c.RemoteId?.ToString());
        // Azure's default policy: DH group 2 in every IKE proposal, no PFS in any ESP proposal.
        Assert.Equal(["aes256-sha256-modp1024", "aes256-sha1-modp1024", "aes128-sha256-modp1024", "aes128-sha1-modp1024"], Formats(c.Proposals));
        var child = Assert.Single(c.Children);
        Assert.Equal(["aes256gcm16", "aes256-sha256", "aes256-sha1", "aes128-sha1"], Formats(child.EspProposals));
        Assert.DoesNotContain(child.EspProposals, p => p.OfType(TransformType.KeyExchange).Any());
        Assert.Equal(TimeSpan.FromSeconds(28800), c.RekeyTime);
        Assert.Equal(TimeSpan.FromSeconds(27000), child.RekeyTime);
        Assert.Equal(102_400_000UL * 1024, child.RekeyBytes);
        Assert.InRange(c.DpdTimeout.TotalSeconds, 9, 3600);
        Assert.True(c.DpdDelay > TimeSpan.Zero);
        Assert.Equal(StartAction.Start, child.StartAction);
        Assert.Equal(DpdAction.Restart, c.DpdAction);
        Assert.Equal(Key, System.Text.Encoding.UTF8.GetString(c.PreSharedKey));
        var routing = Assert.Single(config.Routing);
        Assert.Equal("vti-az0", routing.Interface);
        Assert.Equal(["10.2.0.0/16", "10.3.0.0/16"], routing.Routes.Select(r => r.ToString()));
        Assert.Equal(1350, routing.MssClamp);
        Assert.Equal(1400, config.Settings.Mtu);

        Assert.Equal("az network local-gateway create --resource-group rg1 --name onprem --gateway-ip-address 192.0.2.1 --local-address-prefixes 10.1.0.0/24", Command("az network local-gateway"));
        Assert.Equal($"az network vpn-connection create --resource-group rg1 --name onprem --vnet-gateway1 vgw1 --local-gateway2 onprem --shared-key \"$(cat {KeyFile})\"", Command("az network vpn-connection create"));
        Assert.DoesNotContain("ipsec-policy", _output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Key, _output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Key, File.ReadAllText(OutFile), StringComparison.Ordinal);
    }

    [Fact]
    public void Azure_ActiveActive_ATunnelToEachInstanceBothRoutingTheVnet_OneLocalGatewayAndConnection()
    {
        var config = Generate(ActiveActive);

        Assert.Equal(["azure-0", "azure-1"], config.Connections.Select(c => c.Name));
        Assert.Equal(["198.51.100.10", "198.51.100.11"], config.Connections.Select(c => c.RemoteAddresses.Single().ToString()));
        Assert.Equal(["vti-az0", "vti-az1"], config.Routing.Select(r => r.Interface));
        // One ECMP route over both tunnels.
        Assert.All(config.Routing, r => Assert.Equal(["10.2.0.0/16", "10.3.0.0/16"], r.Routes.Select(x => x.ToString())));
        Assert.All(config.Connections, c => Assert.Equal(Key, System.Text.Encoding.UTF8.GetString(c.PreSharedKey)));
        Assert.Contains("active-active with the public IPs 198.51.100.10 (instance 0) and 198.51.100.11 (instance 1)", _output.ToString(), StringComparison.Ordinal);
        Assert.Single(_output.ToString().Split('\n'), l => l.StartsWith("az network local-gateway create", StringComparison.Ordinal));
        Assert.Single(_output.ToString().Split('\n'), l => l.StartsWith("az network vpn-connection create", StringComparison.Ordinal));
    }

    [Fact]
    public void Azure_BgpActiveActiveCustomPolicy_TunnelInterfacesWithTheBgpAddresses_ExactlyThePolicy()
    {
        var frr = Path.Combine(_dir, "frr.conf");
        var config = Generate([.. ActiveActive, .. Bgp, .. Custom, "--frr-out", frr]);

        Assert.Equal(["169.254.21.2 peer 169.254.21.1/32", "169.254.21.2 peer 169.254.22.1/32"], config.Routing.Select(r => r.InterfaceAddresses.Single().ToString()));
        Assert.All(config.Routing, r => Assert.Empty(r.Routes));
        Assert.All(config.Connections, c =>
        {
            Assert.Equal(["aes256gcm16-prfsha384-ecp384"], Formats(c.Proposals));
            var child = Assert.Single(c.Children);
            Assert.Equal(["aes256gcm16-ecp384"], Formats(child.EspProposals));
            Assert.Equal(TimeSpan.FromSeconds(3600), child.RekeyTime);
            Assert.Equal(2_048_000UL * 1024, child.RekeyBytes);
        });

        // With BGP the local network gateway has no address space: the prefixes come by BGP.
        Assert.Equal("az network local-gateway create --resource-group rg1 --name onprem --gateway-ip-address 192.0.2.1 --asn 65010 --bgp-peering-address 169.254.21.2", Command("az network local-gateway"));
        Assert.EndsWith(" --enable-bgp", Command("az network vpn-connection create"), StringComparison.Ordinal);
        Assert.Equal("az network vpn-connection ipsec-policy add --resource-group rg1 --connection-name onprem --ike-encryption GCMAES256 --ike-integrity SHA384 --dh-group ECP384 --ipsec-encryption GCMAES256 --ipsec-integrity GCMAES256 --pfs-group ECP384 --sa-lifetime 3600 --sa-max-size 2048000", Command("az network vpn-connection ipsec-policy"));
        Assert.Contains("BGP with ASN 65515 and the custom APIPA BGP addresses 169.254.21.1 (instance 0) and 169.254.22.1 (instance 1)", _output.ToString(), StringComparison.Ordinal);
        Assert.True(File.Exists(frr));
    }

    [Fact]
    public void Azure_PolicyBased_OneChildFromEveryOnPremisesPrefixToEveryVnetPrefix_PolicyBasedTrafficSelectorsOnTheConnection()
    {
        var config = Generate("--onprem-prefix", "10.1.0.0/24", "10.1.1.0/24", "--policy-based");

        var c = Assert.Single(config.Connections);
        Assert.Null(Assert.Single(config.Routing).Interface);
        // One child proposes every pair; Azure's one Child SA per pair each carries its own pair's traffic.
        var child = Assert.Single(c.Children);
        Assert.Equal("vnet", child.Name);
        Assert.Equal(["10.1.0.0/24", "10.1.1.0/24"], child.LocalTs.Select(ts => SelectorPrefix.Exact(ts)?.ToString()));
        Assert.Equal(["10.2.0.0/16", "10.3.0.0/16"], child.RemoteTs.Select(ts => SelectorPrefix.Exact(ts)?.ToString()));
        Assert.Equal(StartAction.Start, child.StartAction);
        Assert.Contains("// IPsec/IKE policy: Azure's default. Policy-based (UsePolicyBasedTrafficSelectors): one child, every on-premises prefix to every VNet prefix.", File.ReadAllText(OutFile), StringComparison.Ordinal);
        Assert.Contains($"{OutFile}: 1 connection(s), 1 child(ren); the Azure side:", _output.ToString(), StringComparison.Ordinal);
        Assert.EndsWith("--local-address-prefixes 10.1.0.0/24 10.1.1.0/24", Command("az network local-gateway"), StringComparison.Ordinal);
        Assert.EndsWith(" --use-policy-based-traffic-selectors true", Command("az network vpn-connection create"), StringComparison.Ordinal);
    }

    [Fact]
    public void Azure_WithoutOut_TheConfigurationOnStandardOutputWithTheAzureSideInItsComments()
    {
        Assert.Equal(0, Run(With(Custom)));

        var text = _output.ToString();
        Assert.True(ConfigLoader.TryParse(text, _dir, out var config, out var problems), string.Join('\n', problems));
        Assert.Equal(["aes256gcm16-prfsha384-ecp384"], Formats(config.Connections[0].Proposals));
        Assert.Contains("//   az network vpn-connection ipsec-policy add --resource-group rg1 --connection-name onprem --ike-encryption GCMAES256", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, text, StringComparison.Ordinal);
        Assert.Equal("", _error.ToString());
    }

    [Fact]
    public void Azure_NamesWithCharactersAShellReads_QuotedInTheCommands()
    {
        Generate("--resource-group", "rg(prod)");
        Assert.StartsWith("az network local-gateway create --resource-group 'rg(prod)' --name onprem", Command("az network local-gateway"), StringComparison.Ordinal);
    }

    [Fact]
    public void Azure_AzureNamesInAnyCase_WrittenAsAzureSpellsThem()
    {
        Generate(["--ike-encryption", "aes256", "--ike-integrity", "sha256", "--dh-group", "dhgroup14", "--ipsec-encryption", "aes256", "--ipsec-integrity", "sha256", "--pfs-group", "none"]);
        Assert.EndsWith("--ike-encryption AES256 --ike-integrity SHA256 --dh-group DHGroup14 --ipsec-encryption AES256 --ipsec-integrity SHA256 --pfs-group None --sa-lifetime 27000 --sa-max-size 102400000", Command("az network vpn-connection ipsec-policy"), StringComparison.Ordinal);
        Assert.Equal(["aes256-sha256-modp2048"], Formats(ConfigLoader.Load(OutFile).Connections[0].Proposals));
    }

    public static TheoryData<string[]> Variants
    {
        get
        {
            string[][] variants =
            [
                [],
                ActiveActive,
                Custom,
                [.. ActiveActive, .. Custom],
                [.. ActiveActive, .. Bgp],
                [.. ActiveActive, .. Bgp, .. Custom],
                BgpStandby,
                ["--policy-based"],
                ["--policy-based", .. ActiveActive, .. Custom],
                ["--local-addr", "10.0.0.2", "--name", "hq", "--local-gateway", "lgw-hq", "--connection", "conn-hq"],
            ];
            var data = new TheoryData<string[]>();
            foreach (var v in variants)
                data.Add(v);
            return data;
        }
    }

    /// <summary>Whatever s2s azure writes passes `s2s check --profile azure` without a warning.</summary>
    [Theory]
    [MemberData(nameof(Variants))]
    public void Azure_EveryVariant_PassesTheCheckWithTheAzureProfileWithoutAWarning(string[] variant)
    {
        Generate(variant);
        var output = new StringWriter();
        var error = new StringWriter();

        Assert.Equal(0, Program.Check(OutFile, AzureProfile.Name, output, error));

        Assert.Equal("", error.ToString());
        Assert.EndsWith(": OK" + Environment.NewLine, output.ToString(), StringComparison.Ordinal);
    }

    /// <summary>examples/azure-active-active.frr.conf is what the interop suite runs; for its parameters FRR's part is that file.</summary>
    [Fact]
    public void FrrOut_ForTheExamplesParameters_IsTheExampleLineForLine()
    {
        var frr = Path.Combine(_dir, "frr.conf");
        Generate([.. ActiveActive, "--vnet-prefix", "10.2.0.0/16", .. Bgp, .. Custom, "--frr-out", frr]);

        static string[] Lines(string text) => [.. text.Split('\n').Select(l => l.TrimEnd()).Where(l => l.Length > 0 && !l.TrimStart().StartsWith('!'))];
        var example = Lines(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "examples", "azure-active-active.frr.conf")))
            .Where(l => !l.StartsWith("hostname ", StringComparison.Ordinal))
            // The example permits its LAN's whole /16; the generator, the prefixes it is given.
            .Select(l => l == "ip prefix-list ONPREM seq 10 permit 10.1.0.0/16 le 24" ? "ip prefix-list ONPREM seq 10 permit 10.1.0.0/24 le 32" : l);
        Assert.Equal(example, Lines(File.ReadAllText(frr)));
    }

    public static TheoryData<string[], string> Mistakes => new()
    {
        { ["--azure-ip", "198.51.100.10", "198.51.100.11", "198.51.100.12"], "--azure-ip: 3 given ('198.51.100.10, 198.51.100.11, 198.51.100.12'); valid: one (an active-standby gateway's public IP) or two" },
        { ["--azure-ip", "vpn.example.com"], "--azure-ip: 'vpn.example.com' is not an IP address; valid: an address such as 192.0.2.1" },
        { ["--azure-ip", "192.0.2.1"], "--onprem-ip: '192.0.2.1' is also given as --azure-ip" },
        { ["--vnet-prefix", "10.2.0.1/16"], "--vnet-prefix: '10.2.0.1/16' is not a CIDR prefix; valid: an address with its host bits clear and a prefix length, such as 10.2.0.0/16" },
        { ["--vnet-prefix", "10.2.0.0/16", "10.2.0.0/16"], "--vnet-prefix: '10.2.0.0/16' is given twice" },
        { ["--onprem-prefix", "10.2.1.0/24"], "--onprem-prefix: '10.2.1.0/24' overlaps --vnet-prefix 10.2.0.0/16" },
        { ["--ike-encryption", "GCMAES256"], "--ike-integrity: missing; a custom policy names all six of --ike-encryption, --ike-integrity, --dh-group, --ipsec-encryption, --ipsec-integrity and --pfs-group (Azure takes no partial policy" },
        { [.. Custom[..6], "--ipsec-encryption", "GCMAES256", "--ipsec-integrity", "SHA256", "--pfs-group", "None"], "--ipsec-integrity: 'SHA256' does not go with --ipsec-encryption GCMAES256: Azure takes GCM for both IPsec encryption and integrity, with one key length; valid: GCMAES256" },
        { [.. Custom[..6], "--ipsec-encryption", "GCMAES128", "--ipsec-integrity", "GCMAES256", "--pfs-group", "None"], "--ipsec-integrity: 'GCMAES256' does not go with --ipsec-encryption GCMAES128" },
        { [.. Custom[..6], "--ipsec-encryption", "AES256", "--ipsec-integrity", "GCMAES256", "--pfs-group", "None"], "--ipsec-integrity: 'GCMAES256' goes with --ipsec-encryption GCMAES256 only, not AES256; valid with AES256: SHA256, SHA1" },
        { [.. Custom[..4], "--dh-group", "DHGroup5", .. Custom[6..]], "--dh-group: 'DHGroup5' is not one of Azure's DH groups; valid: DHGroup24, ECP384, ECP256, DHGroup14, DHGroup2048, DHGroup2" },
        { [.. Custom[..4], "--dh-group", "None", .. Custom[6..]], "--dh-group: 'None': an IKE SA needs a Diffie-Hellman group" },
        { ["--ike-encryption", "AES256", "--ike-integrity", "MD5", .. Custom[4..]], "--ike-integrity: 'MD5' is one Azure has but s2s does not implement; valid: SHA384, SHA256, SHA1" },
        { [.. Custom[..10], "--pfs-group", "PFS1"], "--pfs-group: 'PFS1' is one Azure has but s2s does not implement; valid: PFS24, ECP384, ECP256, PFS2048, PFS14, PFS2, None" },
        { [.. Custom[..12], "--sa-lifetime", "100"], "--sa-lifetime: '100' is not a whole number of seconds from 300 (Azure's minimum)" },
        { [.. Custom[..14], "--sa-max-size", "lots"], "--sa-max-size: 'lots' is not a whole number of kilobytes from 1024 (Azure's minimum)" },
        { ["--sa-lifetime", "3600"], "--sa-lifetime: '3600' is part of a custom policy; Azure's default policy has 27000 s" },
        { ["--bgp-address", "169.254.21.2"], "--bgp-address: is for BGP; give --bgp-asn too (this side's ASN), or leave it out" },
        { ["--frr-out", "frr.conf"], "--frr-out: is for BGP; give --bgp-asn too" },
        { [.. BgpStandby, "--bgp-asn", "65515"], "--bgp-asn: '65515' is reserved (8074, 8075, 12076, 65515, 65517 to 65520 (Azure's)" },
        { [.. BgpStandby, "--azure-asn", "65010"], "--bgp-asn: '65010' is the VPN gateway's ASN too (--azure-asn), and Azure needs a different ASN on each side; valid: any but 65010" },
        { [.. BgpStandby, "--bgp-asn", "AS65010"], "--bgp-asn: 'AS65010' is not an ASN; valid: a whole number from 1 to 4294967295" },
        { [.. BgpStandby, "--policy-based"], "--policy-based: BGP (--bgp-asn) runs over a route-based child's tunnel interface, and policy-based children have none" },
        { ["--bgp-asn", "65010", "--azure-bgp-address", "169.254.21.1"], "--bgp-address: missing; with --bgp-asn, give this side's BGP peer IP" },
        { [.. BgpStandby, "--azure-bgp-address", "169.254.21.1", "169.254.22.1"], "--azure-bgp-address: 2 given ('169.254.21.1, 169.254.22.1') for 1 --azure-ip" },
        { [.. BgpStandby, "--azure-bgp-address", "169.254.30.1"], "--azure-bgp-address: '169.254.30.1' is neither a custom APIPA BGP address (Azure takes 169.254.21.0 to 169.254.22.255) nor in the VNet" },
        { ["--bgp-asn", "65010", "--bgp-address", "10.2.255.30", "--azure-bgp-address", "10.2.255.31"], "--bgp-address: '10.2.255.30' is in the VNet's address space (10.2.0.0/16)" },
        { ["--bgp-asn", "65010", "--bgp-address", "192.0.2.1", "--azure-bgp-address", "169.254.21.1"], "--bgp-address: '192.0.2.1' is the device's public IP (--onprem-ip)" },
        { [.. BgpStandby, "--onprem-prefix", "fd00:1::/48"], "--onprem-prefix: 'fd00:1::/48' is IPv6, and BGP here" },
        { ["--psk-file", "/nonexistent/azure.psk"], "--psk-file: '/nonexistent/azure.psk' cannot be read (" },
        { ["--resource-group", "my rg"], "--resource-group: 'my rg' is not a valid name; valid: 1 to 90 letters, digits" },
        { ["--vnet-gateway", "-gw"], "--vnet-gateway: '-gw' is not a valid name; valid: 1 to 80 letters, digits" },
        { ["--name", "azure/0"], "--name: 'azure/0' is not a valid name" },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public void Azure_ParameterMistake_OneLineNamingTheOptionTheValueAndWhatIsValid_Exit2(string[] change, string expected)
    {
        Assert.Equal(2, Run([.. With(change), "--out", OutFile]));

        var lines = _error.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(lines, l => l.StartsWith(expected, StringComparison.Ordinal));
        Assert.Equal("", _output.ToString());
        Assert.False(File.Exists(OutFile));
    }

    [Theory]
    [InlineData("0x3f1c0b9a6e2d4c8b7a5f0e1d2c3b4a59", "starts with 0x, which s2s reads as hex and Azure as the text it is")]
    [InlineData("0sc2hvcnQtYnV0LWJhc2U2NA==", "starts with 0s, which s2s reads as base64")]
    [InlineData("", "is empty")]
    [InlineData("first-line\nsecond-line", "holds more than one line")]
    public void Azure_KeyBothSidesWouldReadDifferently_Refused(string key, string expected)
    {
        File.WriteAllText(KeyFile, key + "\n");

        Assert.Equal(2, Run(Base));

        Assert.Contains(expected, _error.ToString(), StringComparison.Ordinal);
        Assert.StartsWith("--psk-file: ", _error.ToString(), StringComparison.Ordinal);
    }

    /// <summary>What the check would warn of the key file is said when it is written, too.</summary>
    [Fact]
    public void Azure_KeyFileOthersCanRead_WrittenWithTheChecksWarning()
    {
        File.SetUnixFileMode(KeyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        Assert.Equal(0, Run([.. Base, "--out", OutFile]));

        Assert.StartsWith($"warning: secrets.ike-azure.file: '{KeyFile}' holds a pre-shared key and has mode 0604", _error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Azure_RequiredOptionMissing_UsageError()
    {
        Assert.Equal(2, Run([.. Base[..^2]]));
        Assert.Contains("--vnet-gateway", _error.ToString(), StringComparison.Ordinal);
    }
}
