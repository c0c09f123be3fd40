using S2SEndpoint.Gateway.Azure;
using S2SEndpoint.Gateway.Config;

namespace S2SEndpoint.Gateway.Tests.Azure;

/// <summary>
/// `s2s check --profile azure`: one warning per Azure pitfall, naming the key, the value and the Azure fact; none for a
/// configuration that fits Azure; the exit code stays 0 with warnings alone; without the profile nothing changes.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class AzureProfileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("s2s-profile-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>
    /// A connection that fits Azure's default policy as s2s azure writes one; each argument is one key's value (null
    /// leaves the key out).
    /// </summary>
    private static string Config(
        string proposals = "aes256-sha256-modp1024, aes256-sha1-modp1024", string? ikeRekey = "28800s", string? dpdDelay = "10s", string? dpdTimeout = "30s",
        string esp = "aes256gcm16, aes256-sha256", string? childRekey = "27000s", string? start = "start", string? mss = "1350", string? mtu = null,
        string selectors = "\"interface\": \"vti-az0\", \"routes\": \"10.2.0.0/16\"", string? version = null)
    {
        static string Key(string name, string? value) => value is null ? "" : $"\"{name}\": \"{value}\",";
        return $$"""
            {
              "gateway": { {{(mtu is null ? "" : $"\"mtu\": {mtu}")}} },
              "connections": {
                "azure": {
                  {{Key("version", version)}}
                  "remote_addrs": "198.51.100.10", "local": { "id": "192.0.2.1" }, "remote": { "id": "198.51.100.10" },
                  {{Key("proposals", proposals)}} {{Key("rekey_time", ikeRekey)}} {{Key("dpd_delay", dpdDelay)}} {{Key("dpd_timeout", dpdTimeout)}}
                  "children": {
                    "vnet": {
                      {{selectors}},
                      {{Key("esp_proposals", esp)}} {{Key("rekey_time", childRekey)}} {{Key("start_action", start)}} {{Key("mss_clamp", mss)}}
                      "dpd_action": "restart"
                    }
                  }
                }
              },
              "secrets": { "ike-azure": { "secret": "a-pre-shared-key-of-26-chars" } }
            }
            """;
    }

    private static IReadOnlyList<string> Warnings(string json)
    {
        Assert.True(ConfigLoader.TryParse(json, ".", out var config, out var problems), string.Join('\n', problems));
        Assert.Empty(config.Warnings);
        return AzureProfile.Check(config);
    }

    private static void AssertOneWarning(string json, string expected) =>
        Assert.StartsWith(expected, Assert.Single(Warnings(json)), StringComparison.Ordinal);

    [Fact]
    public void Check_DefaultPolicyConfigThatFitsAzure_NoWarning() => Assert.Empty(Warnings(Config()));

    [Fact]
    public void Check_CustomPolicyConfigThatFitsAzure_NoWarning() =>
        Assert.Empty(Warnings(Config(proposals: "aes256gcm16-prfsha384-ecp384", esp: "aes256gcm16-ecp384", childRekey: "3600s")));

    /// <summary>What docs/azure.md says of the examples: both fit Azure.</summary>
    [Theory]
    [InlineData("azure-active-active.json")]
    [InlineData("azure-like.json")]
    public void Check_AzureExamples_NoWarning(string example) =>
        Assert.Empty(AzureProfile.Check(ConfigLoader.Load(Path.Combine(AppContext.BaseDirectory, "examples", example))));

    /// <summary>"The IKEv2 main mode policies for Azure VPN gateways utilize only Diffie-Hellman Group 2 (1024 bits)."</summary>
    [Fact]
    public void Proposals_NoDhGroup2_WarnsThatTheDefaultPolicyGetsNoTunnel() =>
        AssertOneWarning(Config(proposals: "aes256gcm16-prfsha384-ecp384, aes256-sha256-modp2048"),
            "connections.azure.proposals: 'aes256gcm16-prfsha384-ecp384, aes256-sha256-modp2048' offers no DH group 2 (modp1024), the only group of Azure's default IKE policy: with that policy no IKE SA comes up; add aes256-sha256-modp1024, or set a custom policy on the Azure connection and offer its proposal alone");

    [Fact]
    public void Proposals_NoDhGroup2NorAnyAzureAlgorithm_WarnsThatNoPolicyFits() =>
        AssertOneWarning(Config(proposals: "chacha20poly1305-prfsha256-x25519, aes256-sha512-x25519"),
            "connections.azure.proposals: 'chacha20poly1305-prfsha256-x25519, aes256-sha512-x25519' offers no DH group 2 (modp1024), the only group of Azure's default IKE policy, and none of them is one an Azure custom policy can be: no IKE SA comes up");

    [Fact]
    public void Proposals_DhGroup2WithAlgorithmsTheDefaultPolicyHasNot_WarnsNoneMatches() =>
        AssertOneWarning(Config(proposals: "aes256-sha384-modp1024, aes192-sha256-modp1024"),
            "connections.azure.proposals: 'aes256-sha384-modp1024, aes192-sha256-modp1024' matches none of the IKE proposals of Azure's default policy (aes256-sha1-modp1024, aes256-sha256-modp1024, aes128-sha1-modp1024, aes128-sha256-modp1024): no IKE SA comes up");

    /// <summary>PFS with the default policy: the tunnel comes up, Azure's first Child SA rekey (without a KE) fails hours later.</summary>
    [Fact]
    public void EspProposals_PfsWithTheDefaultPolicy_WarnsOfTheRekeyThatFails() =>
        AssertOneWarning(Config(esp: "aes256gcm16-modp2048, aes256-sha256-modp2048"),
            "connections.azure.children.vnet.esp_proposals: 'aes256gcm16-modp2048, aes256-sha256-modp2048' asks for PFS (modp2048), and Azure's default policy rekeys a Child SA without a key exchange: the tunnel comes up (the Child SA of IKE_AUTH has none), then Azure's first rekey fails with NO_PROPOSAL_CHOSEN hours later; remove the group (aes256gcm16), or set a custom policy with --pfs-group PFS2048 on the Azure connection");

    /// <summary>The classic: one IKE proposal of the default policy's, the same with PFS for ESP. It reads as the default policy.</summary>
    [Fact]
    public void EspProposals_OneDefaultIkeProposalAndPfs_TakenForTheDefaultPolicyAndWarned() =>
        AssertOneWarning(Config(proposals: "aes256-sha1-modp1024", esp: "aes256-sha1-modp1024"),
            "connections.azure.children.vnet.esp_proposals: 'aes256-sha1-modp1024' asks for PFS (modp1024), and Azure's default policy rekeys a Child SA without a key exchange");

    [Fact]
    public void EspProposals_NoneOfTheDefaultPolicys_WarnsNoChildSa() =>
        AssertOneWarning(Config(esp: "chacha20poly1305, aes128gcm16"),
            "connections.azure.children.vnet.esp_proposals: 'chacha20poly1305, aes128gcm16' matches none of the ESP proposals of Azure's default policy (aes256gcm16, aes256-sha1, aes256-sha256, aes128-sha1): no Child SA comes up; add aes256gcm16");

    /// <summary>AES128 with SHA256: Azure accepts it when this side proposes it, and never offers it in its own rekeys.</summary>
    [Fact]
    public void EspProposals_OnlyOneAzureAcceptsButDoesNotOffer_WarnsOfTheRekeyThatFails() =>
        AssertOneWarning(Config(esp: "aes128-sha256"),
            "connections.azure.children.vnet.esp_proposals: 'aes128-sha256' matches none of the ESP proposals Azure's default policy offers (aes256gcm16, aes256-sha1, aes256-sha256, aes128-sha1), only one it accepts: the tunnel comes up, then Azure's first rekey fails with NO_PROPOSAL_CHOSEN hours later; add aes256gcm16");

    /// <summary>"IKE Main Mode SA lifetime is fixed at 28,800 seconds on the Azure VPN gateways."</summary>
    [Theory]
    [InlineData("86400s", "connections.azure.rekey_time: '86400s' is longer than Azure's IKE SA lifetime, 28800 s (fixed): Azure rekeys the IKE SA first, with its own proposals; set 28800s or less")]
    [InlineData("0s", "connections.azure.rekey_time: '0s' turns this side's IKE SA rekeying off: Azure rekeys it at 28800 s")]
    public void RekeyTime_IkeSaPastAzuresLifetime_WarnsAzureRekeysFirst(string rekey, string expected) =>
        AssertOneWarning(Config(ikeRekey: rekey), expected);

    [Theory]
    [InlineData("86400s", "connections.azure.children.vnet.rekey_time: '86400s' is longer than the Child SA lifetime of Azure's default policy, 27000 s: Azure starts the rekeys, without a key exchange; set 27000s or less")]
    [InlineData("0s", "connections.azure.children.vnet.rekey_time: '0s' turns this side's Child SA rekeying off: Azure rekeys it at 27000 s")]
    public void RekeyTime_ChildSaPastTheDefaultPolicysLifetime_WarnsAzureRekeysFirst(string rekey, string expected) =>
        AssertOneWarning(Config(childRekey: rekey), expected);

    [Fact]
    public void DpdDelay_Off_WarnsThatAFailoverGoesUnnoticed() =>
        AssertOneWarning(Config(dpdDelay: null, dpdTimeout: null),
            "connections.azure.dpd_delay: '0s' turns liveness checks off: when Azure's gateway fails over or restarts, s2s goes on sending into the old SAs until the next rekey, and behind a NAT Azure cannot bring the tunnel back itself; set 10s");

    /// <summary>Azure's DPD timeout: "Seconds (integer; minimum 9, maximum 3,600, default 45)".</summary>
    [Theory]
    [InlineData("5s", "connections.azure.dpd_timeout: '5s' is outside the DPD timeouts Azure allows, 9 to 3600 s (45 s by default, 30 to 45 s recommended): a shorter one gives the peer up on a moment's packet loss; set 30s to 45s")]
    [InlineData("2h", "connections.azure.dpd_timeout: '7200s' is outside the DPD timeouts Azure allows, 9 to 3600 s (45 s by default, 30 to 45 s recommended): a dead instance goes unnoticed that long")]
    [InlineData("9s", null)]
    [InlineData("3600s", null)]
    public void DpdTimeout_OutsideAzuresRange_Warns(string timeout, string? expected)
    {
        if (expected is null)
            Assert.Empty(Warnings(Config(dpdTimeout: timeout)));
        else
            AssertOneWarning(Config(dpdTimeout: timeout), expected);
    }

    /// <summary>"You must clamp TCP MSS at 1350. Or if your VPN devices don't support MSS clamping, ... MTU on the tunnel interface to 1400."</summary>
    [Theory]
    [InlineData(null, "connections.azure.children.vnet.mss_clamp: not set: Azure asks for TCP MSS clamping at 1350 (a tunnel MTU of 1400 is its fallback for devices that cannot clamp)")]
    [InlineData("0", "connections.azure.children.vnet.mss_clamp: not set: Azure asks for TCP MSS clamping at 1350")]
    [InlineData("1400", "connections.azure.children.vnet.mss_clamp: '1400' is above the 1350 Azure asks for: segments that large do not fit the tunnel; set 1350")]
    [InlineData("1300", null)]
    public void MssClamp_NotClampedAt1350OrBelow_Warns(string? mss, string? expected)
    {
        if (expected is null)
            Assert.Empty(Warnings(Config(mss: mss)));
        else
            AssertOneWarning(Config(mss: mss), expected);
    }

    [Fact]
    public void GatewayMtu_Above1400_Warns() =>
        AssertOneWarning(Config(mtu: "1500"),
            "gateway.mtu: '1500' is above the 1400 Azure asks for on a tunnel interface: larger packets leave as fragments or not at all; set 1400");

    /// <summary>Behind a NAT the on-premises device must start the tunnel.</summary>
    [Theory]
    [InlineData(null, "connections.azure.children.vnet.start_action: 'none' waits for Azure to start the tunnel, which it cannot when this side is behind a NAT (and with APIPA BGP addresses Azure does not start BGP either): the on-premises side must start it; set start")]
    [InlineData("trap", "connections.azure.children.vnet.start_action: 'trap' brings the tunnel up with this side's first packet only: until then traffic from the VNet finds none, and behind a NAT Azure cannot start it; set start")]
    public void StartAction_NotStart_WarnsThatAzureCannotStartIt(string? start, string expected) =>
        AssertOneWarning(Config(start: start), expected);

    /// <summary>
    /// UsePolicyBasedTrafficSelectors: one policy-based child with several prefixes on each side fits Azure, which brings
    /// up one Child SA per prefix pair when it starts them: each pair's traffic goes into its own.
    /// </summary>
    [Fact]
    public void PolicyBasedChild_SeveralPrefixPairs_NoWarning() =>
        Assert.Empty(Warnings(Config(selectors: "\"local_ts\": \"10.1.0.0/24, 10.1.1.0/24\", \"remote_ts\": \"10.2.0.0/16, 10.3.0.0/16\"")));

    private (int Exit, string Output, string Error) Check(string json, string? profile)
    {
        var path = Path.Combine(_dir, "s2s.json");
        File.WriteAllText(path, json);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = Program.Check(path, profile, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>IKEv1, which s2s refuses anyway, gets the reason Azure users meet it: a Basic-SKU policy-based gateway.</summary>
    [Fact]
    public void Version1_RefusedWithTheAzureLine()
    {
        var (exit, _, error) = Check(Config(version: "1"), AzureProfile.Name);

        Assert.Equal(1, exit);
        var lines = error.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(
            [
                "connections.azure.version: '1' (IKEv1) is not supported: s2s speaks IKEv2 (RFC 7296) only; valid: 2",
                "connections.azure.version: '1' is not supported: Azure's Basic-SKU policy-based gateways speak IKEv1 only, which s2s does not; use a route-based (VpnGw1 or higher) gateway, which speaks IKEv2",
            ],
            lines);
    }

    [Fact]
    public void Check_WithTheProfile_WarningsAloneExitZeroAndAreCounted()
    {
        var (exit, output, error) = Check(Config(mss: null, mtu: "1500"), AzureProfile.Name);

        Assert.Equal(0, exit);
        Assert.EndsWith(": OK, 2 warning(s)" + Environment.NewLine, output, StringComparison.Ordinal);
        var lines = error.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.StartsWith("warning: ", l, StringComparison.Ordinal));
    }

    [Fact]
    public void Check_WithoutTheProfile_NothingChanges()
    {
        var pitfalls = Config(proposals: "aes256gcm16-prfsha384-ecp384, aes256-sha256-modp2048", mss: null, mtu: "1500", start: null, version: null);

        var (exit, output, error) = Check(pitfalls, null);

        Assert.Equal(0, exit);
        Assert.EndsWith(": OK" + Environment.NewLine, output, StringComparison.Ordinal);
        Assert.Equal("", error);
        Assert.Equal(1, Check(Config(version: "1"), null).Exit);
        Assert.DoesNotContain("Azure", Check(Config(version: "1"), null).Error, StringComparison.Ordinal);
    }

    [Fact]
    public void ProfileOption_Unknown_OneLineNamingItAndExit2()
    {
        var error = new StringWriter();
        Assert.Equal(2, Program.Execute(["check", "--config", "s2s.json", "--profile", "aws"], new StringWriter(), error));
        Assert.StartsWith("s2s: --profile: 'aws' is not a profile; valid: azure", error.ToString(), StringComparison.Ordinal);
    }
}
