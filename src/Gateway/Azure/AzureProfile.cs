using System.Globalization;
using System.Text.Json;
using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Exchanges;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway.Azure;

/// <summary>
/// `s2s check --profile azure`: after the normal check, a warning for each Azure pitfall the configuration runs into, one
/// line each, naming the key, its value and the Azure fact (<see cref="AzureFacts"/>): no DH group 2 for the default
/// policy, PFS that breaks Azure's rekeys, lifetimes that leave the rekeys to Azure, DPD off or outside Azure's range, no
/// MSS clamping, a tunnel MTU above 1400, a tunnel this side does not start. A connection that offers one IKE proposal
/// and one ESP proposal that a custom Azure policy can be (and the default policy cannot) is taken for one with that
/// custom policy; any other, for one with Azure's default policy. IKEv1 (version 1), which the check refuses, gets its
/// Azure line from <see cref="CheckUnloadable"/>.
/// </summary>
internal static class AzureProfile
{
    public const string Name = "azure";

    /// <summary>The warnings, "KEY: message" each, in the configuration's order.</summary>
    public static IReadOnlyList<string> Check(GatewayConfig config)
    {
        var lines = new List<string>();
        if (config.Settings.Mtu > AzureFacts.TunnelMtu)
            lines.Add($"gateway.mtu: '{config.Settings.Mtu}' is above the {AzureFacts.TunnelMtu} Azure asks for on a tunnel interface: larger packets leave as fragments or not at all; set {AzureFacts.TunnelMtu} (and mss_clamp {AzureFacts.MssClamp} on each child)");
        foreach (var c in config.Connections)
        {
            var path = $"connections.{c.Name}";
            var custom = IsCustomPolicy(c);
            if (!custom)
                CheckDefaultIke(c, path, lines);
            CheckIkeLifetime(c, path, lines);
            CheckLiveness(c, path, lines);
            foreach (var child in c.Children)
            {
                var childPath = $"{path}.children.{child.Name}";
                var routing = config.Routing.First(r => r.Connection == c.Name && r.Child == child.Name);
                if (!custom)
                {
                    CheckDefaultEsp(child, childPath, lines);
                    CheckChildLifetime(child, childPath, lines);
                }
                CheckMss(routing, childPath, lines);
                CheckStart(child, childPath, lines);
            }
        }
        return lines;
    }

    /// <summary>
    /// The Azure lines for a configuration file the check refused: connections.NAME.version 1 (IKEv1), which s2s does not
    /// speak and Azure's Basic-SKU policy-based gateways speak alone. Empty when the file cannot be read, is not JSON, or
    /// has no such connection (the check said so already).
    /// </summary>
    public static IReadOnlyList<string> CheckUnloadable(string path)
    {
        var lines = new List<string>();
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("connections", out var connections) || connections.ValueKind != JsonValueKind.Object)
                return lines;
            foreach (var c in connections.EnumerateObject())
            {
                if (c.Value.ValueKind == JsonValueKind.Object && c.Value.TryGetProperty("version", out var v) && v.ValueKind is JsonValueKind.Number or JsonValueKind.String && v.ToString() == "1")
                    lines.Add($"connections.{c.Name}.version: '1' is not supported: Azure's Basic-SKU policy-based gateways speak IKEv1 only, which s2s does not; use a route-based (VpnGw1 or higher) gateway, which speaks IKEv2");
            }
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or ArgumentException)
        {
        }
        return lines;
    }

    /// <summary>
    /// One IKE proposal that a custom Azure policy can be and the default policy does not offer, and one ESP proposal (the
    /// same in every child) that a custom policy can be. (An IKE proposal of the default policy's says nothing: one offered
    /// alone with PFS, aes256-sha1-modp1024 and aes256-sha1-modp1024 for ESP, is what the PFS pitfall looks like.)
    /// </summary>
    private static bool IsCustomPolicy(IkeSaConfig c) =>
        c.Proposals.Count == 1 && AzurePolicy.IsCustomIke(c.Proposals[0]) && ProposalSelection.Select(c.Proposals, AzurePolicy.Proposals(AzurePolicy.DefaultIkeOffers, ProtocolId.Ike), []) is null
        && c.Children.All(ch => ch.EspProposals.Count == 1 && AzurePolicy.IsCustomEsp(ch.EspProposals[0]))
        && c.Children.Select(ch => ProposalKeywords.Format(ch.EspProposals[0])).Distinct(StringComparer.Ordinal).Count() <= 1;

    /// <summary>"The IKEv2 main mode policies for Azure VPN gateways utilize only Diffie-Hellman Group 2 (1024 bits)."</summary>
    private static void CheckDefaultIke(IkeSaConfig c, string path, List<string> lines)
    {
        var offers = AzurePolicy.Proposals(AzurePolicy.DefaultIkeOffers, ProtocolId.Ike);
        if (ProposalSelection.Select(c.Proposals, offers, []) is not null)
            return;
        var value = Describe(c.Proposals);
        var modp1024 = new Transform(TransformType.KeyExchange, (ushort)KeyExchangeMethod.Modp1024);
        if (c.Proposals.Any(p => p.Transforms.Contains(modp1024)))
            lines.Add($"{path}.proposals: '{value}' matches none of the IKE proposals of Azure's default policy ({string.Join(", ", AzurePolicy.DefaultIkeOffers)}): no IKE SA comes up; add one of them");
        else if (c.Proposals.Any(AzurePolicy.IsCustomIke))
            lines.Add($"{path}.proposals: '{value}' offers no DH group 2 (modp1024), the only group of Azure's default IKE policy: with that policy no IKE SA comes up; add {AzurePolicy.DefaultIkeOffers[1]}, or set a custom policy on the Azure connection and offer its proposal alone (s2s azure writes both)");
        else
            lines.Add($"{path}.proposals: '{value}' offers no DH group 2 (modp1024), the only group of Azure's default IKE policy, and none of them is one an Azure custom policy can be: no IKE SA comes up; add {AzurePolicy.DefaultIkeOffers[1]}, or offer one a custom policy can be (s2s azure writes both)");
    }

    /// <summary>
    /// The default policy's Child SA proposals, Azure's rekeys among them, have no key exchange: PFS on this side brings
    /// the tunnel up (the Child SA of IKE_AUTH has none, RFC 7296 1.2) and fails at Azure's first rekey. So does a
    /// proposal Azure accepts but does not offer itself.
    /// </summary>
    private static void CheckDefaultEsp(ChildSaConfig child, string path, List<string> lines)
    {
        var offers = AzurePolicy.Proposals(AzurePolicy.DefaultEspOffers, ProtocolId.Esp);
        var withoutKe = child.EspProposals.Select(ProposalSelection.WithoutKeyExchange).ToList();
        var value = Describe(child.EspProposals);
        var azures = string.Join(", ", AzurePolicy.DefaultEspOffers);
        if (ProposalSelection.Select(withoutKe, offers, []) is not { } chosen)
        {
            lines.Add(ProposalSelection.Select(withoutKe, AzurePolicy.Proposals(AzurePolicy.DefaultEspAccepted, ProtocolId.Esp), []) is null
                ? $"{path}.esp_proposals: '{value}' matches none of the ESP proposals of Azure's default policy ({azures}): no Child SA comes up; add {AzurePolicy.DefaultEspOffers[0]}"
                : $"{path}.esp_proposals: '{value}' matches none of the ESP proposals Azure's default policy offers ({azures}), only one it accepts: the tunnel comes up, then Azure's first rekey fails with NO_PROPOSAL_CHOSEN hours later; add {AzurePolicy.DefaultEspOffers[0]}");
            return;
        }
        if (ProposalSelection.Select(child.EspProposals, offers, []) is not null)
            return;
        var group = child.EspProposals.SelectMany(p => p.OfType(TransformType.KeyExchange)).First();
        var keyword = ProposalKeywords.Format(new Proposal(1, ProtocolId.Esp, [], [group]));
        var alternative = AzurePolicy.PfsGroupName(keyword) is { } pfs ? $", or set a custom policy with --pfs-group {pfs} on the Azure connection" : "";
        lines.Add($"{path}.esp_proposals: '{value}' asks for PFS ({keyword}), and Azure's default policy rekeys a Child SA without a key exchange: the tunnel comes up (the Child SA of IKE_AUTH has none), then Azure's first rekey fails with NO_PROPOSAL_CHOSEN hours later; remove the group ({ProposalKeywords.Format(chosen)}){alternative}");
    }

    /// <summary>"IKE Main Mode SA lifetime is fixed at 28,800 seconds on the Azure VPN gateways."</summary>
    private static void CheckIkeLifetime(IkeSaConfig c, string path, List<string> lines)
    {
        if (c.RekeyTime == TimeSpan.Zero)
            lines.Add($"{path}.rekey_time: '0s' turns this side's IKE SA rekeying off: Azure rekeys it at {AzureFacts.IkeSaLifetimeSeconds} s (its fixed IKE SA lifetime), with its own proposals; set {AzureFacts.IkeSaLifetimeSeconds}s");
        else if (c.RekeyTime.TotalSeconds > AzureFacts.IkeSaLifetimeSeconds)
            lines.Add($"{path}.rekey_time: '{Seconds(c.RekeyTime)}' is longer than Azure's IKE SA lifetime, {AzureFacts.IkeSaLifetimeSeconds} s (fixed): Azure rekeys the IKE SA first, with its own proposals; set {AzureFacts.IkeSaLifetimeSeconds}s or less");
    }

    /// <summary>The default policy's Child SA lifetime, 27,000 s: a longer one on this side leaves the rekeys to Azure, without a key exchange.</summary>
    private static void CheckChildLifetime(ChildSaConfig child, string path, List<string> lines)
    {
        if (child.RekeyTime == TimeSpan.Zero)
            lines.Add($"{path}.rekey_time: '0s' turns this side's Child SA rekeying off: Azure rekeys it at {AzureFacts.ChildSaLifetimeSeconds} s (its default policy's lifetime), without a key exchange; set {AzureFacts.ChildSaLifetimeSeconds}s");
        else if (child.RekeyTime.TotalSeconds > AzureFacts.ChildSaLifetimeSeconds)
            lines.Add($"{path}.rekey_time: '{Seconds(child.RekeyTime)}' is longer than the Child SA lifetime of Azure's default policy, {AzureFacts.ChildSaLifetimeSeconds} s: Azure starts the rekeys, without a key exchange; set {AzureFacts.ChildSaLifetimeSeconds}s or less");
    }

    /// <summary>Azure's DPD timeout: 9 to 3,600 s, 45 s by default; and behind a NAT only this side can bring a dead tunnel back.</summary>
    private static void CheckLiveness(IkeSaConfig c, string path, List<string> lines)
    {
        if (c.DpdDelay == TimeSpan.Zero)
            lines.Add($"{path}.dpd_delay: '0s' turns liveness checks off: when Azure's gateway fails over or restarts, s2s goes on sending into the old SAs until the next rekey, and behind a NAT Azure cannot bring the tunnel back itself; set {AzureConfigWriter.DpdDelaySeconds}s (and dpd_timeout {AzureConfigWriter.DpdTimeoutSeconds}s)");
        var timeout = c.DpdTimeout.TotalSeconds;
        if (c.DpdTimeout > TimeSpan.Zero && timeout is < AzureFacts.MinDpdTimeoutSeconds or > AzureFacts.MaxDpdTimeoutSeconds)
        {
            var why = timeout < AzureFacts.MinDpdTimeoutSeconds ? "a shorter one gives the peer up on a moment's packet loss" : "a dead instance goes unnoticed that long";
            lines.Add($"{path}.dpd_timeout: '{Seconds(c.DpdTimeout)}' is outside the DPD timeouts Azure allows, {AzureFacts.MinDpdTimeoutSeconds} to {AzureFacts.MaxDpdTimeoutSeconds} s ({AzureFacts.DpdTimeoutSeconds} s by default, 30 to 45 s recommended): {why}; set 30s to 45s");
        }
    }

    /// <summary>"You must clamp TCP MSS at 1350" (the tunnel MTU of 1400 is for devices that cannot clamp).</summary>
    private static void CheckMss(ChildRouting routing, string path, List<string> lines)
    {
        if (routing.MssClamp == 0)
            lines.Add($"{path}.mss_clamp: not set: Azure asks for TCP MSS clamping at {AzureFacts.MssClamp} (a tunnel MTU of {AzureFacts.TunnelMtu} is its fallback for devices that cannot clamp): TCP segments too large for the tunnel rely on ICMP that often does not come back; set {AzureFacts.MssClamp}");
        else if (routing.MssClamp > AzureFacts.MssClamp)
            lines.Add($"{path}.mss_clamp: '{routing.MssClamp}' is above the {AzureFacts.MssClamp} Azure asks for: segments that large do not fit the tunnel; set {AzureFacts.MssClamp}");
    }

    /// <summary>Behind a NAT, the on-premises device must start the tunnel; with APIPA BGP addresses Azure does not start BGP either.</summary>
    private static void CheckStart(ChildSaConfig child, string path, List<string> lines)
    {
        if (child.StartAction == StartAction.None)
            lines.Add($"{path}.start_action: 'none' waits for Azure to start the tunnel, which it cannot when this side is behind a NAT (and with APIPA BGP addresses Azure does not start BGP either): the on-premises side must start it; set start");
        else if (child.StartAction == StartAction.Trap)
            lines.Add($"{path}.start_action: 'trap' brings the tunnel up with this side's first packet only: until then traffic from the VNet finds none, and behind a NAT Azure cannot start it; set start");
    }

    private static string Describe(IEnumerable<Proposal> proposals) => string.Join(", ", proposals.Select(ProposalKeywords.Format));

    private static string Seconds(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds}s");
}
