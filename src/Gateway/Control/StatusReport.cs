using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using S2SEndpoint.Esp;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Diagnostics;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway.Control;

/// <summary>
/// The document `s2s status` shows, built from a <see cref="GatewayCore"/>, and its text rendering.
/// <see cref="Build"/> only reads: the caller holds whatever lock guards the core. Names follow
/// strongSwan's vici `list-sas` where one exists (SPIs in hex as charon prints them, states in capitals,
/// proposals in swanctl keywords). Keys and secrets are never part of it.
///
/// <code>
/// { "gateway": { "devices", "workers", "half_open", "keepalives", "mss_clamped", "super_packets_read", "segments_read",
///                "super_packets_written", and from the daemon "offload": { "enabled", "tun", "udp_gso", "udp_gro" },
///                "udp_truncated", "udp_send_failures" },
///   "connections": [ { "name", "local_addrs", "remote_addrs", "resolved": { host name: [addresses] } (when remote_addrs names hosts),
///     "ike_sas": [ { "id", "state", "role", "local", "remote", "local_id", "remote_id", "initiator_spi",
///       "responder_spi", "proposal", "nat": { "local", "remote", "faked" }, "established", "rekey_in", "expire_in",
///       "virtual_ips" (given to us), "dns" (named with them), "peer_virtual_ips" (leased to the peer),
///       "children": [ { "name", "unique_id", "state", "proposal", "spi_in", "spi_out", "local_ts", "remote_ts",
///         "bytes_in", "packets_in", "bytes_out", "packets_out", "last_inbound", "established", "rekey_in",
///         "expire_in", "drops": { reason: count } } ] } ] } ],
///   "leases": [ { "pool", "address", "identity", "connection", "ike_sa", "state": "online" | "offline" } ],
///   "drops": { "ike": { reason: count }, "esp": { reason: count }, "gateway": { reason: count } } }
/// </code>
/// Times are whole seconds: "established" and "last_inbound" ago, "rekey_in" and "expire_in" from now
/// (null when never).
/// </summary>
public static class StatusReport
{
    /// <summary>The status of <paramref name="core"/> now (its engine's clock).</summary>
    public static JsonObject Build(GatewayCore core)
    {
        var now = core.Engine.Now;
        var config = core.Config;
        var devices = new JsonArray();
        if (config.Routing.Any(r => r.Interface is null))
            devices.Add(core.SharedDevice);
        foreach (var r in config.Routing.Where(r => r.Interface is not null))
            devices.Add(r.Interface);

        var connections = new JsonArray();
        foreach (var connection in core.Engine.Connections)
        {
            var sas = new JsonArray();
            foreach (var sa in core.Engine.Sas.Where(s => s.Config.Name == connection.Name).OrderBy(s => s.Id))
                sas.Add(IkeSaStatus(core, sa, now));
            var entry = new JsonObject
            {
                ["name"] = connection.Name,
                ["local_addrs"] = Strings(connection.LocalAddresses),
                ["remote_addrs"] = Strings(config.RemoteHosts.GetValueOrDefault(connection.Name) ?? connection.RemoteAddresses.Select(a => new Config.RemoteHost(a, null)).ToList()),
            };
            if (core.ResolvedNamesOf(connection.Name) is { } resolved)
            {
                var names = new JsonObject();
                foreach (var (name, addresses) in resolved)
                    names[name] = Strings(addresses);
                entry["resolved"] = names;
            }
            entry["ike_sas"] = sas;
            connections.Add(entry);
        }

        var leases = new JsonArray();
        foreach (var lease in core.Engine.Leases.OrderBy(l => l.Pool, StringComparer.Ordinal))
        {
            leases.Add(new JsonObject
            {
                ["pool"] = lease.Pool,
                ["address"] = lease.Address.ToString(),
                ["identity"] = lease.Identity.ToString(),
                ["connection"] = lease.Connection,
                ["ike_sa"] = lease.IkeSaId,
                ["state"] = lease.Online ? "online" : "offline",
            });
        }

        var espDrops = new JsonObject();
        AddDrops(espDrops, core.Kernel.Table.Drops);
        var gatewayDrops = new JsonObject();
        AddDrops(gatewayDrops, core.Counters.Drops);
        var ikeDrops = new JsonObject();
        AddDrops(ikeDrops, core.Engine.Drops);

        return new JsonObject
        {
            ["gateway"] = new JsonObject
            {
                ["devices"] = devices,
                ["workers"] = config.Settings.Workers,
                ["half_open"] = core.Engine.HalfOpenCount,
                ["keepalives"] = core.Counters.Keepalives,
                ["mss_clamped"] = core.Counters.MssClamped,
                ["super_packets_read"] = core.Counters.SuperPacketsRead,
                ["segments_read"] = core.Counters.SegmentsRead,
                ["super_packets_written"] = core.Counters.SuperPacketsWritten,
            },
            ["connections"] = connections,
            ["leases"] = leases,
            ["drops"] = new JsonObject { ["ike"] = ikeDrops, ["esp"] = espDrops, ["gateway"] = gatewayDrops },
        };
    }

    private static JsonObject IkeSaStatus(GatewayCore core, IkeSa sa, DateTimeOffset now)
    {
        var children = new JsonArray();
        foreach (var child in sa.Children)
            children.Add(ChildSaStatus(core, child, now));
        return new JsonObject
        {
            ["id"] = sa.Id,
            ["state"] = sa.State.ToString().ToUpperInvariant(),
            ["role"] = sa.IsOriginalInitiator ? "initiator" : "responder",
            ["local"] = sa.LocalEndpoint.ToString(),
            ["remote"] = sa.RemoteEndpoint.ToString(),
            ["local_id"] = sa.Config.LocalId.ToString(),
            ["remote_id"] = sa.RemoteId?.ToString(),
            ["initiator_spi"] = sa.InitiatorSpi.ToString("x16", CultureInfo.InvariantCulture),
            ["responder_spi"] = sa.ResponderSpi.ToString("x16", CultureInfo.InvariantCulture),
            ["proposal"] = sa.Proposal is null ? null : ProposalKeywords.Format(sa.Proposal),
            ["nat"] = new JsonObject { ["local"] = sa.LocalBehindNat, ["remote"] = sa.RemoteBehindNat, ["faked"] = sa.NatFaked },
            ["established"] = sa.EstablishedAt == default ? null : Ago(sa.EstablishedAt, now),
            ["rekey_in"] = Until(sa.RekeyAt, now),
            ["expire_in"] = Until(sa.ExpireAt, now),
            ["virtual_ips"] = Strings(sa.LocalVirtualIps),
            ["dns"] = Strings(sa.DnsServers),
            ["peer_virtual_ips"] = Strings(sa.RemoteVirtualIps),
            ["children"] = children,
        };
    }

    private static JsonObject ChildSaStatus(GatewayCore core, ChildSa child, DateTimeOffset now)
    {
        // The counters live on the ESP SAs; the kernel's usage query gives them with the last inbound time.
        var usage = core.Kernel.QueryUsage(child.InboundSpi);
        var drops = new JsonObject();
        if (core.Kernel.TryGetByInboundSpi(child.InboundSpi, out var installed))
        {
            AddDrops(drops, installed.Inbound.Drops);
            AddDrops(drops, installed.Outbound.Drops);
        }
        return new JsonObject
        {
            ["name"] = child.Config.Name,
            ["unique_id"] = child.UniqueId,
            ["state"] = child.State.ToString().ToUpperInvariant(),
            ["proposal"] = ProposalKeywords.Format(child.Proposal),
            ["spi_in"] = child.InboundSpi.ToString("x8", CultureInfo.InvariantCulture),
            ["spi_out"] = child.OutboundSpi.ToString("x8", CultureInfo.InvariantCulture),
            ["local_ts"] = Selectors(child.LocalTs),
            ["remote_ts"] = Selectors(child.RemoteTs),
            ["bytes_in"] = usage.InboundBytes,
            ["packets_in"] = usage.InboundPackets,
            ["bytes_out"] = usage.OutboundBytes,
            ["packets_out"] = usage.OutboundPackets,
            ["last_inbound"] = usage.LastInbound is { } last ? Ago(last, now) : null,
            ["established"] = Ago(child.Established, now),
            ["rekey_in"] = Until(child.RekeyAt, now),
            ["expire_in"] = Until(child.ExpireAt, now),
            ["drops"] = drops,
        };
    }

    /// <summary>Adds the nonzero counters, by reason in snake_case (icv_mismatch, replayed), summing with what is there.</summary>
    private static void AddDrops<TReason>(JsonObject into, DropCounters<TReason> counters) where TReason : struct, Enum
    {
        foreach (var (key, count) in counters.Nonzero())
            into[key] = (into[key]?.GetValue<long>() ?? 0) + count;
    }

    private static long Ago(DateTimeOffset at, DateTimeOffset now) => Math.Max(0, (long)(now - at).TotalSeconds);

    private static long? Until(DateTimeOffset at, DateTimeOffset now) =>
        at == DateTimeOffset.MaxValue ? null : Math.Max(0, (long)(at - now).TotalSeconds);

    private static JsonArray Strings<T>(IEnumerable<T> items) where T : notnull
    {
        var array = new JsonArray();
        foreach (var item in items)
            array.Add(item.ToString());
        return array;
    }

    private static JsonArray Selectors(IEnumerable<TrafficSelector> selectors)
    {
        var array = new JsonArray();
        foreach (var ts in selectors)
            array.Add(ts.ToString());
        return array;
    }

    // ---- text ----

    /// <summary>remote_addrs with each host name followed by what it resolved to: "vpn.example.net (198.51.100.7)", "(unresolved)".</summary>
    private static JsonArray? RemoteAddrs(JsonObject connection)
    {
        if (connection["resolved"] is not JsonObject resolved || connection["remote_addrs"] is not JsonArray remote)
            return connection["remote_addrs"] as JsonArray;
        var shown = new JsonArray();
        foreach (var item in remote)
        {
            var text = item?.ToString() ?? "";
            shown.Add(resolved[text] is JsonArray { Count: > 0 } addresses ? $"{text} ({Join(addresses, ", ")})"
                : System.Net.IPAddress.TryParse(text, out _) ? text : $"{text} (unresolved)");
        }
        return shown;
    }

    /// <summary>"; offload: TUN s2s0, UDP GSO GRO" as the daemon reports it; "; offload off"; nothing from a core alone.</summary>
    private static string Offload(JsonObject gateway)
    {
        if (gateway["offload"] is not JsonObject offload)
            return "";
        if (offload["enabled"] is JsonValue enabled && enabled.TryGetValue<bool>(out var on) && !on)
            return "; offload off";
        var parts = new List<string>();
        if (offload["tun"] is JsonArray { Count: > 0 } tun)
            parts.Add($"TUN {Join(tun, ",")}");
        var udp = string.Join(" ", new[] { ("udp_gso", "GSO"), ("udp_gro", "GRO") }
            .Where(f => offload[f.Item1] is JsonValue v && v.TryGetValue<bool>(out var b) && b).Select(f => f.Item2));
        if (udp.Length > 0)
            parts.Add($"UDP {udp}");
        return parts.Count == 0 ? "; offload: none the kernel gave" : $"; offload: {string.Join(", ", parts)}";
    }

    /// <summary>
    /// The status document as text, compact in the manner of `swanctl --list-sas`: a line per connection,
    /// two per IKE SA, and per Child SA its SPIs, traffic each way and selectors. Reads only the document,
    /// so the CLI renders what the daemon sent; missing fields are left out.
    /// </summary>
    public static string Render(JsonObject status)
    {
        var text = new StringBuilder();
        if (status["gateway"] is JsonObject gateway && gateway["devices"] is JsonArray { Count: > 0 } devices)
        {
            var clamped = gateway["mss_clamped"] is JsonValue v && v.TryGetValue<long>(out var n) && n > 0 ? $"; TCP MSS clamped in {n} SYNs" : "";
            Line(text, 0, $"gateway: devices {Join(devices, ", ")}{Offload(gateway)}{clamped}");
        }
        foreach (var connection in Objects(status["connections"]))
        {
            var sas = Objects(connection["ike_sas"]).ToList();
            var addresses = $"{Join(connection["local_addrs"], ",", "%any")} ... {Join(RemoteAddrs(connection), ",", "%any")}";
            Line(text, 0, $"{Str(connection, "name")}: {addresses}{(sas.Count == 0 ? ", no IKE SA" : "")}");
            foreach (var sa in sas)
                RenderIkeSa(text, Str(connection, "name"), sa);
        }
        var leases = Objects(status["leases"]).ToList();
        if (leases.Count > 0)
        {
            Line(text, 0, $"leases: {leases.Count(l => Str(l, "state") == "online")} online, {leases.Count(l => Str(l, "state") == "offline")} offline");
            foreach (var lease in leases)
            {
                var holder = Str(lease, "state") == "online" ? $"{Str(lease, "connection")}[{Num(lease, "ike_sa")}]" : "offline";
                Line(text, 1, $"{Str(lease, "pool")}: {Str(lease, "address")} '{Str(lease, "identity")}' {holder}");
            }
        }
        if (status["drops"] is JsonObject drops)
        {
            var parts = drops.Where(d => d.Value is JsonObject { Count: > 0 }).Select(d => $"{d.Key}: {Counts((JsonObject)d.Value!)}").ToList();
            Line(text, 0, parts.Count == 0 ? "drops: none" : $"drops: {string.Join("; ", parts)}");
        }
        return text.ToString();
    }

    private static void RenderIkeSa(StringBuilder text, string connection, JsonObject sa)
    {
        var initiator = Str(sa, "role") == "initiator";
        var established = sa["established"] is null ? "" : $" {Num(sa, "established")}s ago";
        var nat = sa["nat"] is not JsonObject n ? ""
            : Bool(n, "local") || Bool(n, "remote")
                ? $", NAT-T ({(Bool(n, "local") ? "local" : "")}{(Bool(n, "local") && Bool(n, "remote") ? " and " : "")}{(Bool(n, "remote") ? "remote" : "")} behind NAT)"
            : Bool(n, "faked") ? ", NAT-T (faked to encapsulate ESP)" : "";
        Line(text, 1, $"{connection}[{Num(sa, "id")}]: {Str(sa, "state")}{established}, {Str(sa, "local")} '{Str(sa, "local_id")}' ... {Str(sa, "remote")} '{Str(sa, "remote_id", "%any")}'{nat}");
        // As swanctl marks it: the star is on the local SPI.
        var spis = $"{Str(sa, "initiator_spi")}_i{(initiator ? "*" : "")} {Str(sa, "responder_spi")}_r{(initiator ? "" : "*")}";
        Line(text, 2, $"{Str(sa, "role")}, SPIs {spis}, {Str(sa, "proposal", "no proposal yet")}{Timers(sa)}");
        if (sa["virtual_ips"] is JsonArray { Count: > 0 } vips)
            Line(text, 2, $"virtual IP {Join(vips, ", ")}{(sa["dns"] is JsonArray { Count: > 0 } dns ? $", DNS {Join(dns, ", ")}" : "")}");
        if (sa["peer_virtual_ips"] is JsonArray { Count: > 0 } peerVips)
            Line(text, 2, $"peer's virtual IP {Join(peerVips, ", ")}");
        foreach (var child in Objects(sa["children"]))
        {
            Line(text, 2, $"{Str(child, "name")}{{{Num(child, "unique_id")}}}: {Str(child, "state")} {Num(child, "established")}s ago, {Str(child, "proposal")}{Timers(child)}");
            var last = child["last_inbound"] is null ? "" : $", last {Num(child, "last_inbound")}s ago";
            Line(text, 3, $"in  {Str(child, "spi_in")}, {Num(child, "bytes_in"),10} bytes, {Num(child, "packets_in"),8} packets{last}");
            Line(text, 3, $"out {Str(child, "spi_out")}, {Num(child, "bytes_out"),10} bytes, {Num(child, "packets_out"),8} packets");
            Line(text, 3, $"{Join(child["local_ts"], " ")} === {Join(child["remote_ts"], " ")}");
            if (child["drops"] is JsonObject { Count: > 0 } drops)
                Line(text, 3, $"drops: {Counts(drops)}");
        }
    }

    private static string Timers(JsonObject sa) =>
        (sa["rekey_in"] is null ? "" : $", rekeying in {Num(sa, "rekey_in")}s") + (sa["expire_in"] is null ? "" : $", expires in {Num(sa, "expire_in")}s");

    private static void Line(StringBuilder text, int depth, string line) => text.Append(' ', depth * 2).Append(line).Append('\n');

    private static IEnumerable<JsonObject> Objects(JsonNode? node) => node is JsonArray a ? a.OfType<JsonObject>() : [];

    private static string Str(JsonObject o, string key, string missing = "?") =>
        o[key] is JsonValue v && v.TryGetValue<string>(out var s) ? s : missing;

    private static string Num(JsonObject o, string key) =>
        o[key] is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.ToJsonString() : "?";

    private static bool Bool(JsonObject o, string key) => o[key] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    private static string Join(JsonNode? node, string separator, string empty = "") =>
        node is JsonArray { Count: > 0 } a ? string.Join(separator, a.Select(x => x?.ToString())) : empty;

    private static string Counts(JsonObject counts) => string.Join(", ", counts.Select(c => $"{c.Key} {c.Value}"));
}
