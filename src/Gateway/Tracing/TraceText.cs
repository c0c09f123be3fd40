using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace S2SEndpoint.Gateway.Tracing;

/// <summary>
/// A trace record (<see cref="PacketTrace"/>) as `s2s trace` prints it for a person, in the manner of tshark -V but
/// short: a title line, then one or a few lines per step in packet order, with offsets into the ESP packet (@N) where
/// they help, and the drop, if any, last. Reads only the record: the CLI renders what the daemon sent.
/// </summary>
public static class TraceText
{
    private const int LabelWidth = 10; // "selectors" and a space
    private const int OffsetWidth = 5;

    public static string Render(JsonObject record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var text = new StringBuilder();
        var who = record["connection"] is null ? "" : $" {S(record, "connection")}/{S(record, "child")}";
        text.Append(CultureInfo.InvariantCulture, $"#{S(record, "packet")} {S(record, "time")} {S(record, "direction")}{who}: {S(record, "result")}");
        var steps = record["steps"] as JsonArray ?? [];
        if (steps.OfType<JsonObject>().LastOrDefault(s => s["wire_octets"] is not null) is { } wire && S(record, "direction") == "outbound")
            text.Append(CultureInfo.InvariantCulture, $", {S(wire, "wire_octets")} octets on the wire");
        text.Append('\n');
        if (record["not_traced_before"] is { } notTraced)
            Line(text, "note", "", $"{notTraced} packet(s) not traced before this one: over {TraceSession.PacketsPerSecond} a second");
        if (record["dropped_before"] is { } dropped)
            Line(text, "note", "", $"{dropped} record(s) dropped before this one: the trace fell behind");
        foreach (var step in steps.OfType<JsonObject>())
            Step(text, step);
        if (record["drop"] is JsonObject drop)
        {
            var esp = drop["esp_reason"] is null ? "" : $" ({S(drop, "esp_reason")})";
            Line(text, "DROPPED", "", $"at {S(drop, "step")}: {S(drop, "reason")}{esp}: {S(drop, "detail")}");
        }
        return text.ToString();
    }

    private static void Step(StringBuilder text, JsonObject step)
    {
        var name = S(step, "step");
        switch (name)
        {
            case "tun" when step["queue"] is not null:
                Line(text, name, "", $"{S(step, "device")}, queue {S(step, "queue")}: {S(step, "octets")} octets read");
                break;
            case "tun":
                Line(text, name, "", step["device"] is null ? "no tunnel device: the child has no route" : $"written to {S(step, "device")}, {S(step, "octets")} octets");
                break;
            case "inner":
                Inner(text, step);
                break;
            case "policy":
                Policy(text, step);
                break;
            case "sa":
                Line(text, name, "", B(step, "found")
                    ? $"SPI {S(step, "spi")} (reqid {S(step, "reqid")}): {Transform(step)}{(B(step, "udp_encapsulation") ? ", in UDP" : ", not in UDP")}"
                    : B(step, "trap") ? $"none yet: {S(step, "detail")}" : "none: the child has no Child SA now");
                break;
            case "esp":
                Esp(text, step);
                break;
            case "outer":
                Line(text, name, "", $"IPv{S(step, "version")} {S(step, "source")} > {S(step, "destination")}, {S(step, "ip_length")} octets (header {S(step, "ip_header_length")}); " +
                    $"UDP {S(step, "source_port")} > {S(step, "destination_port")}, {S(step, "udp_length")} octets");
                break;
            case "udp":
                Line(text, name, "", S(step, "kind") switch
                {
                    "esp" => $"ESP, {S(step, "payload_octets")} octets",
                    "nat_keepalive" => $"NAT keepalive, {S(step, "payload_octets")} octet(s)",
                    _ => $"malformed, {S(step, "payload_octets")} octets",
                });
                break;
            case "spi":
                Line(text, name, "@0", B(step, "found")
                    ? $"{S(step, "spi")}: inbound SA of reqid {S(step, "reqid")}, {Transform(step)}"
                    : $"{S(step, "spi")}: no inbound SA has it");
                break;
            case "length":
                Line(text, name, "", $"{S(step, "esp_octets")} octets, at least {S(step, "minimum")}; encrypted part {S(step, "encrypted_length")} octets, " +
                    $"blocks of {S(step, "block_size")}: {(B(step, "passed") ? "ok" : "refused")}");
                break;
            case "replay":
                Replay(text, step);
                break;
            case "icv":
                Line(text, "iv", "@" + S(step, "iv_offset"), S(step, "iv") is { Length: > 0 } iv ? iv : "(none)");
                Line(text, name, "@" + S(step, "icv_offset"), $"{S(step, "icv")}{(N(step, "icv_length") > PacketTrace.IcvShown ? "..." : "")} ({S(step, "icv_length")} octets): " +
                    (B(step, "verified") ? $"verified; the window's right edge is now {S(step, "right_edge_after")}" : "does not match"));
                break;
            case "trailer":
                Line(text, name, "@" + S(step, "pad_length_offset"), $"Pad Length {S(step, "pad_length")}, Next Header {S(step, "next_header")} ({S(step, "next_header_name")}), " +
                    $"{S(step, "payload_length")} octets of payload: {(B(step, "passed") ? "ok" : step["problem"] is null ? "refused" : S(step, "problem"))}");
                break;
            case "mss":
                Line(text, name, "", $"TCP MSS {S(step, "from")} -> {S(step, "to")} (mss_clamp)");
                break;
            case "selectors":
                Line(text, name, "", step["source_held"] is null
                    ? $"local_ts {S(step, "local_ts")}, remote_ts {S(step, "remote_ts")}: the addresses could not be read"
                    : $"source in remote_ts {S(step, "remote_ts")}: {YesNo(step, "source_held")}; destination in local_ts {S(step, "local_ts")}: {YesNo(step, "destination_held")}");
                break;
            default:
                Line(text, name, "", step.ToJsonString());
                break;
        }
    }

    private static void Inner(StringBuilder text, JsonObject step)
    {
        if (step["readable"] is not null && !B(step, "readable"))
        {
            Line(text, "inner", "", $"not readable: {S(step, "problem")} ({S(step, step["octets"] is null ? "length" : "octets")} octets)");
            return;
        }
        var ttl = step["ttl"] is not null ? $", TTL {S(step, "ttl")}" : step["hop_limit"] is not null ? $", hop limit {S(step, "hop_limit")}" : "";
        var id = step["identification"] is not null ? $", id {N(step, "identification"):x4}{(B(step, "dont_fragment") ? ", DF" : "")}" : "";
        Line(text, "inner", "@0", $"IPv{S(step, "version")} {S(step, "source")} > {S(step, "destination")}, {S(step, "length")} octets{ttl}{id}");
        var at = "@" + S(step, "header_length");
        var protocol = S(step, "protocol");
        if (step["source_port"] is not null)
        {
            var flags = step["tcp_flags"] is not null ? $" [{S(step, "tcp_flags")}]" : "";
            var length = step["udp_length"] is not null ? $", {S(step, "udp_length")} octets" : "";
            Line(text, "", at, $"{protocol} {S(step, "source_port")} > {S(step, "destination_port")}{flags}{length}");
        }
        else if (step["icmp_type"] is not null)
        {
            var kind = step["icmp"] is not null ? $"{S(step, "icmp")} " : "";
            var echo = step["icmp_id"] is not null ? $", id {S(step, "icmp_id")}, seq {S(step, "icmp_sequence")}" : "";
            Line(text, "", at, $"{protocol} {kind}(type {S(step, "icmp_type")}, code {S(step, "icmp_code")}){echo}");
        }
        else if (protocol.Length > 0)
        {
            Line(text, "", at, protocol);
        }
    }

    private static void Policy(StringBuilder text, JsonObject step)
    {
        if (S(step, "kind") == "route-based")
        {
            Line(text, "policy", "", $"route-based (reqid {S(step, "reqid")}): {S(step, "detail")}");
            return;
        }
        if (B(step, "matched"))
        {
            var trap = B(step, "trap") ? $"; {S(step, "detail")}" : "";
            Line(text, "policy", "", $"{Child(step)} (reqid {S(step, "reqid")}): {S(step, "local_ts")} === {S(step, "remote_ts")}{trap}");
            return;
        }
        Line(text, "policy", "", $"none: {S(step, "detail")}");
        foreach (var candidate in (step["policies"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var misses = new List<string>(2);
            if (!B(candidate, "source_held"))
                misses.Add("source outside local_ts");
            if (!B(candidate, "destination_held"))
                misses.Add("destination outside remote_ts");
            Line(text, "", "", $"  {Child(candidate)}{(B(candidate, "trap") ? " (trap)" : "")}: {S(candidate, "local_ts")} === {S(candidate, "remote_ts")}: {string.Join(", ", misses)}");
        }
    }

    private static void Esp(StringBuilder text, JsonObject step)
    {
        var high = step["sequence_high"] is not null ? $" (ESN, high half {S(step, "sequence_high")})" : "";
        Line(text, "esp", "@0", $"SPI {S(step, "spi")}");
        Line(text, "", "@4", $"sequence {S(step, "sequence")}{high}");
        Line(text, "", "@" + S(step, "iv_offset"), $"IV {(S(step, "iv") is { Length: > 0 } iv ? iv : "(none)")}");
        Line(text, "", "@" + S(step, "payload_offset"), $"inner packet {S(step, "payload_length")} octets, padding {S(step, "pad_length")} octets (encrypted)");
        Line(text, "", "@" + S(step, "pad_length_offset"), $"Pad Length {S(step, "pad_length")}, Next Header {S(step, "next_header")} ({S(step, "next_header_name")}) (encrypted)");
        Line(text, "", "@" + S(step, "icv_offset"), $"ICV {S(step, "icv")}{(N(step, "icv_length") > PacketTrace.IcvShown ? "..." : "")} ({S(step, "icv_length")} octets); {S(step, "length")} octets of ESP");
    }

    private static void Replay(StringBuilder text, JsonObject step)
    {
        var high = step["sequence_high"] is not null ? $" (ESN, high half {S(step, "sequence_high")})" : "";
        var window = $"window {S(step, "window_size")} [{S(step, "left_edge")} .. {S(step, "right_edge")}]";
        var where = S(step, "position") switch
        {
            "ahead" => $"ahead of the right edge by {S(step, "ahead_by")}: new",
            "window" => $"in the window, {S(step, "offset")} below the right edge: {(B(step, "seen") ? "seen before" : "not seen before")}",
            _ => "left of the window: too old",
        };
        Line(text, "replay", "@4", $"sequence {S(step, "sequence")}{high}, {window}, {where}");
    }

    private static string Transform(JsonObject step)
    {
        var integrity = step["integrity"] is not null ? $" with {S(step, "integrity")}" : "";
        return $"{S(step, "encryption")}{integrity}, IV {S(step, "iv_length")}, ICV {S(step, "icv_length")}, block {S(step, "block_size")}, ESN {(B(step, "esn") ? "on" : "off")}";
    }

    private static string Child(JsonObject o) => o["connection"] is null ? "(no child)" : $"{S(o, "connection")}/{S(o, "child")}";

    private static void Line(StringBuilder text, string label, string offset, string body) =>
        text.Append("  ").Append(label.PadRight(LabelWidth)).Append(offset.PadRight(OffsetWidth)).Append(' ').Append(body).Append('\n');

    private static string S(JsonObject o, string key) => o[key]?.ToString() ?? "";

    private static long N(JsonObject o, string key) => long.TryParse(o[key]?.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0;

    private static bool B(JsonObject o, string key) => o[key] is JsonValue v && v.TryGetValue<bool>(out var b) && b;

    private static string YesNo(JsonObject o, string key) => B(o, key) ? "yes" : "no";
}
