using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using S2SEndpoint.Gateway.Tun;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway.Config;

/// <summary>
/// Reads the gateway's JSON configuration, which mirrors swanctl.conf's structure and key names
/// (connections.NAME with local_addrs, remote_addrs, proposals, local/remote auth and id, children.NAME
/// with local_ts, remote_ts, esp_proposals...; a secrets section of ike-NAME entries), and checks all of
/// it, reporting every problem as one line naming the key path, the value and what would be valid.
/// Lists may be JSON arrays or swanctl's comma-separated strings; durations are swanctl's (30s, 1h, 8h).
/// </summary>
public static partial class ConfigLoader
{
    private static readonly JsonDocumentOptions JsonOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, AllowDuplicateProperties = false };

    /// <summary>Only to say where a key stands twice: the strict parser's exception names neither line nor path.</summary>
    private static readonly JsonDocumentOptions DuplicatesAllowed = JsonOptions with { AllowDuplicateProperties = true };

    private static readonly string[] TopKeys = ["gateway", "connections", "secrets", "pools"];
    private static readonly string[] GatewayKeys = ["tun_name", "mtu", "control_socket", "control_group", "replay_window", "workers", "offload", "log_level", "log_levels", "log_format", "wireshark_keys", "metrics"];
    private static readonly string[] ConnectionKeys =
    [
        "version", "local_addrs", "remote_addrs", "local_port", "remote_port", "proposals", "rekey_time", "reauth_time", "life_time", "rand_time",
        "dpd_delay", "dpd_timeout", "encap", "fragmentation", "local", "remote", "children", "pools", "vips",
    ];
    private static readonly string[] AuthKeys = ["auth", "id", "certs", "cacerts"];
    private static readonly string[] ChildKeys =
    [
        "local_ts", "remote_ts", "esp_proposals", "rekey_time", "life_time", "rand_time", "rekey_bytes", "life_bytes", "rekey_packets",
        "life_packets", "start_action", "dpd_action", "mode", "interface", "interface_addrs", "routes", "updown", "mss_clamp",
    ];
    private static readonly string[] SecretKeys = ["id", "secret", "file"];

    /// <summary>strongSwan-like defaults for a proposals key that is absent or says "default".</summary>
    public const string DefaultIkeProposals = "aes256gcm16-prfsha384-ecp384,aes256-sha256-modp2048";
    public const string DefaultEspProposals = "aes256gcm16,aes256-sha256";

    /// <summary>Loads a file; every problem is in the <see cref="ConfigException"/>, the warnings in the result.</summary>
    public static GatewayConfig Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException([$"{path}: cannot be read ({e.Message})"]);
        }
        var p = new ConfigProblems();
        return Parse(text, Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", path, p, out var config)
            ? config : throw new ConfigException(p.Lines, p.Warnings);
    }

    /// <summary>Parses and checks configuration text; <paramref name="baseDirectory"/> resolves secret files.</summary>
    public static bool TryParse(string json, string baseDirectory, out GatewayConfig config, out IReadOnlyList<string> problems)
    {
        var p = new ConfigProblems();
        problems = p.Lines;
        return Parse(json, baseDirectory, null, p, out config);
    }

    /// <param name="path">The file the text came from, whose mode is checked when it holds a secret; null for text.</param>
    private static bool Parse(string json, string baseDirectory, string? path, ConfigProblems p, out GatewayConfig config)
    {
        config = null!;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, JsonOptions);
        }
        catch (JsonException e)
        {
            // A key twice in one object (two connections of one name) would leave one of them silently
            // unused, or stop `s2s run` with "An item with the same key has already been added".
            if (!ReportDuplicateKeys(json, p))
                p.Add($"line {(e.LineNumber ?? 0) + 1}", $"not valid JSON ({e.Message.Split(" Path:", 2)[0]})");
            return false;
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                p.Add("(top)", "the configuration must be a JSON object with gateway, connections and secrets");
                return false;
            }
            CheckKeys(root, "", TopKeys, p);
            var settings = root.TryGetProperty("gateway", out var g) ? ReadGateway(g, p) : new GatewaySettings();
            var secrets = root.TryGetProperty("secrets", out var s) ? ReadSecrets(s, baseDirectory, p) : [];
            var pools = root.TryGetProperty("pools", out var pl) ? ReadPools(pl, p) : [];
            var credentials = CredentialLoader.Read(root, baseDirectory, p);
            if (path is not null && secrets.Any(x => x.File is null))
                CheckSecretFileMode(path, path, "this file holds pre-shared keys", p);
            var connections = new List<IkeSaConfig>();
            var routing = new List<ChildRouting>();
            var remoteHosts = new Dictionary<string, IReadOnlyList<RemoteHost>>(StringComparer.Ordinal);
            if (!root.TryGetProperty("connections", out var conns) || conns.ValueKind != JsonValueKind.Object || !conns.EnumerateObject().Any())
                p.Add("connections", "at least one connection is needed (connections.NAME { ... })");
            else
            {
                foreach (var c in conns.EnumerateObject())
                {
                    if (ReadConnection(c.Name, c.Value, secrets, credentials, pools, routing, remoteHosts, p) is { } connection)
                        connections.Add(connection);
                }
            }
            CheckInterfaces(routing, p);
            if (!p.Any)
                CheckRouteClashes(routing, connections, settings.TunName, p);
            if (p.Any)
                return false;
            config = new GatewayConfig(settings, connections, routing) { Warnings = p.Warnings, RemoteHosts = remoteHosts };
            return true;
        }
    }

    /// <summary>Whether <paramref name="json"/> parses once duplicate keys are allowed; if so, each duplicate is reported.</summary>
    private static bool ReportDuplicateKeys(string json, ConfigProblems p)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, DuplicatesAllowed);
        }
        catch (JsonException)
        {
            return false;
        }
        using (document)
            Duplicates(document.RootElement, "", p);
        return true;
    }

    private static void Duplicates(JsonElement e, string path, ConfigProblems p)
    {
        if (e.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var item in e.EnumerateArray())
                Duplicates(item, $"{path}[{i++}]", p);
            return;
        }
        if (e.ValueKind != JsonValueKind.Object)
            return;
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var property in e.EnumerateObject())
        {
            var key = path.Length == 0 ? property.Name : $"{path}.{property.Name}";
            seen[property.Name] = seen.GetValueOrDefault(property.Name) + 1;
            if (seen[property.Name] == 2)
                p.Add(key, path is "connections" or "secrets" || path.EndsWith(".children", StringComparison.Ordinal)
                    ? "is written more than once in its object; each name may appear once: give the second its own name"
                    : "is written more than once in its object; each key may appear once: keep one");
            else if (seen[property.Name] == 1)
                Duplicates(property.Value, key, p);
        }
    }

    // ---- sections ----

    private static GatewaySettings ReadGateway(JsonElement e, ConfigProblems p)
    {
        const string Path = "gateway";
        if (!IsObject(e, Path, p))
            return new GatewaySettings();
        CheckKeys(e, Path, GatewayKeys, p);
        var settings = new GatewaySettings();
        if (Text(e, "tun_name", Path, p) is { } tun)
        {
            if (InterfaceName.Problem(tun, allowPattern: true) is { } why)
                p.Add($"{Path}.tun_name", $"'{tun}' {why}");
            else
                settings = settings with { TunName = tun };
        }
        settings = settings with
        {
            Mtu = Number(e, "mtu", Path, 576, 65535, p) ?? settings.Mtu,
            ReplayWindow = Number(e, "replay_window", Path, 64, 65536, p) ?? settings.ReplayWindow,
            Workers = Number(e, "workers", Path, 0, 256, p) ?? settings.Workers,
            Offload = Flag(e, "offload", Path, p) ?? settings.Offload,
        };
        if (Text(e, "control_socket", Path, p) is { } socket)
        {
            if (!System.IO.Path.IsPathFullyQualified(socket))
                p.Add($"{Path}.control_socket", $"'{socket}' is not an absolute path");
            else
                settings = settings with { ControlSocket = socket };
        }
        if (Text(e, "control_group", Path, p) is { } group)
        {
            if (ControlGroup.Resolve(group, out var why) is { } resolved)
                settings = settings with { ControlGroup = resolved };
            else
                p.Add($"{Path}.control_group", $"'{group}' {why}");
        }
        // Empty is off, as strongSwan's save-keys option.
        if (Text(e, "wireshark_keys", Path, p) is { Length: > 0 } keys)
        {
            if (WiresharkKeysProblem(keys) is { } why)
                p.Add($"{Path}.wireshark_keys", $"'{keys}' {why}");
            else
                settings = settings with { WiresharkKeys = keys };
        }
        if (Text(e, "metrics", Path, p) is { } metrics)
        {
            if (MetricsEndpoint(metrics) is { } endpoint)
                settings = settings with { Metrics = endpoint };
            else
                p.Add($"{Path}.metrics", $"'{metrics}' is not a port or ADDRESS:PORT such as 9469, 127.0.0.1:9469 or [::1]:9469");
        }
        if (Text(e, "log_format", Path, p) is { } format)
        {
            LogFormat? parsed = format.ToLowerInvariant() switch
            {
                "auto" => LogFormat.Auto,
                "text" => LogFormat.Text,
                "json" => LogFormat.Json,
                "systemd" or "journald" => LogFormat.Systemd,
                _ => null,
            };
            if (parsed is { } f)
                settings = settings with { LogFormat = f };
            else
                p.Add($"{Path}.log_format", $"'{format}' is not a log format; valid: auto, text, json, systemd");
        }
        if (Text(e, "log_level", Path, p) is { } level)
            settings = settings with { LogLevel = ParseLevel(level, $"{Path}.log_level", p) ?? settings.LogLevel };
        if (e.TryGetProperty("log_levels", out var levels) && IsObject(levels, $"{Path}.log_levels", p))
        {
            var map = new Dictionary<string, LogLevel>(StringComparer.Ordinal);
            string[] subsystems = ["gateway", "ike", "esp", "tun", "config", "control"];
            foreach (var l in levels.EnumerateObject())
            {
                var path = $"{Path}.log_levels.{l.Name}";
                if (!subsystems.Contains(l.Name))
                    p.Add(path, $"unknown subsystem; valid: {string.Join(", ", subsystems)}");
                else if (l.Value.ValueKind != JsonValueKind.String)
                    p.Add(path, "must be a string such as \"debug\"");
                else if (ParseLevel(l.Value.GetString()!, path, p) is { } parsed)
                    map[l.Name] = parsed;
            }
            settings = settings with { LogLevels = map };
        }
        return settings;
    }

    /// <summary>
    /// Why <paramref name="directory"/> cannot hold the Wireshark key files; null when it is a directory, or can be made
    /// as one (its parent is a directory): `s2s run` makes it, `s2s check` makes nothing.
    /// </summary>
    /// <summary>gateway.metrics: a port alone listens on loopback only; an address says where else.</summary>
    internal static System.Net.IPEndPoint? MetricsEndpoint(string text)
    {
        if (ushort.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port))
            return port == 0 ? null : new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port);
        return System.Net.IPEndPoint.TryParse(text, out var endpoint) && endpoint.Port != 0 ? endpoint : null;
    }

    private static string? WiresharkKeysProblem(string directory)
    {
        if (!System.IO.Path.IsPathFullyQualified(directory))
            return "is not an absolute path; give the directory for the key files, such as /var/lib/s2s/wireshark";
        if (Directory.Exists(directory))
            return null;
        if (File.Exists(directory))
            return "is a file, not a directory";
        var parent = System.IO.Path.GetDirectoryName(System.IO.Path.TrimEndingDirectorySeparator(directory));
        return parent is not null && Directory.Exists(parent) ? null
            : $"does not exist and cannot be made: its parent {parent} is not a directory";
    }

    private static LogLevel? ParseLevel(string text, string path, ConfigProblems p)
    {
        LogLevel? level = text.ToLowerInvariant() switch
        {
            "trace" => LogLevel.Trace,
            "debug" => LogLevel.Debug,
            "info" or "information" => LogLevel.Information,
            "warning" or "warn" => LogLevel.Warning,
            "error" => LogLevel.Error,
            "none" => LogLevel.None,
            _ => null,
        };
        if (level is null)
            p.Add(path, $"'{text}' is not a log level; valid: trace, debug, info, warning, error, none");
        return level;
    }

    /// <param name="File">The file it was read from, or null when the configuration holds it.</param>
    private sealed record Secret(string Name, IReadOnlyList<Identity> Ids, byte[] Value, string? File);

    /// <summary>
    /// RFC 7296 2.15: "The pre-shared key needs to contain as much unpredictability as the strongest key being
    /// negotiated", and PSK authentication does not prevent off-line dictionary attacks: a short key is a guess away.
    /// </summary>
    public const int ShortPreSharedKey = 20;

    private static List<Secret> ReadSecrets(JsonElement e, string baseDirectory, ConfigProblems p)
    {
        var list = new List<Secret>();
        if (!IsObject(e, "secrets", p))
            return list;
        foreach (var s in e.EnumerateObject())
        {
            var path = $"secrets.{s.Name}";
            if (CredentialLoader.IsPrivateKeySecret(s.Name))
                continue;
            if (!s.Name.StartsWith("ike", StringComparison.Ordinal))
            {
                p.Add(path, "only ike secrets (pre-shared keys) and private secrets (private keys) are supported; name them ike-NAME or private-NAME");
                continue;
            }
            if (!IsObject(s.Value, path, p))
                continue;
            CheckKeys(s.Value, path, SecretKeys, p);
            var ids = new List<Identity>();
            foreach (var (text, i) in List(s.Value, "id", path, p).Select((t, i) => (t, i)))
            {
                if (Identity.TryParse(text, out var id, out var why))
                    ids.Add(id);
                else
                    p.Add($"{path}.id[{i}]", $"'{text}' {why}");
            }
            var secretText = Text(s.Value, "secret", path, p);
            var file = Text(s.Value, "file", path, p);
            if ((secretText is null) == (file is null))
            {
                p.Add(path, "needs exactly one of secret or file");
                continue;
            }
            string? full = null;
            if (file is not null)
            {
                // A NUL would make File.ReadAllText throw ArgumentException, which the catch below does not expect.
                if (file.Contains('\0', StringComparison.Ordinal))
                {
                    p.Add($"{path}.file", $"'{file.Replace("\0", "\\0", StringComparison.Ordinal)}' holds a NUL character, which no file name can");
                    continue;
                }
                full = Path.IsPathFullyQualified(file) ? file : Path.Combine(baseDirectory, file);
                try
                {
                    secretText = File.ReadAllText(full).TrimEnd('\r', '\n');
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    p.Add($"{path}.file", $"'{file}' cannot be read ({ex.Message})");
                    continue;
                }
                CheckSecretFileMode($"{path}.file", full, $"'{full}' holds a pre-shared key", p);
            }
            var key = $"{path}.{(file is null ? "secret" : "file")}";
            if (!ParseSecret(secretText!, out var value, out var error))
            {
                p.Add(key, error);
                continue;
            }
            list.Add(new Secret(s.Name, ids, value, full));
            // Written as text, the characters count; as 0x hex or 0s base64, the bytes they stand for.
            var encoded = secretText!.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || secretText.StartsWith("0s", StringComparison.Ordinal);
            var length = encoded ? value.Length : secretText.Length;
            if (length < ShortPreSharedKey)
                p.Warn(key, $"the pre-shared key has {length} {(encoded ? "bytes" : "characters")}; one shorter than {ShortPreSharedKey} can be found by an offline dictionary attack (RFC 7296 2.15): use {ShortPreSharedKey} or more random characters, e.g. from 'openssl rand -base64 24'");
        }
        return list;
    }

    /// <summary>
    /// As wg-quick warns of a world-accessible configuration: a file holding a secret that its group or others
    /// may read or write gets one line naming it, its mode and the fix.
    /// </summary>
    /// <param name="what">The start of the sentence: "'FILE' holds a pre-shared key".</param>
    private static void CheckSecretFileMode(string key, string file, string what, ConfigProblems p)
    {
        if (OperatingSystem.IsWindows())
            return;
        UnixFileMode mode;
        try
        {
            mode = File.GetUnixFileMode(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;
        }
        const UnixFileMode GroupAccess = UnixFileMode.GroupRead | UnixFileMode.GroupWrite;
        const UnixFileMode OtherAccess = UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
        if ((mode & (GroupAccess | OtherAccess)) == 0)
            return;
        var who = (mode & GroupAccess) == 0 ? "others" : (mode & OtherAccess) == 0 ? "its group" : "its group and others";
        var reads = (mode & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) != 0;
        var writes = (mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0;
        var access = reads && writes ? "read and write" : reads ? "read" : "write";
        var octal = Convert.ToString((int)mode & 0xFFF, 8).PadLeft(4, '0');
        p.Warn(key, $"{what} and has mode {octal}: {who} can {access} it; chmod 600 {file}");
    }

    /// <summary>swanctl's secret forms: plain text, 0x followed by hex, 0s followed by base64.</summary>
    private static bool ParseSecret(string text, out byte[] value, out string error)
    {
        value = [];
        error = string.Empty;
        try
        {
            if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
                value = Convert.FromHexString(text[2..]);
            else if (text.StartsWith("0s", StringComparison.Ordinal))
                value = Convert.FromBase64String(text[2..]);
            else
                value = Encoding.UTF8.GetBytes(text);
        }
        catch (FormatException)
        {
            error = "a secret starting 0x must be hex and one starting 0s must be base64";
            return false;
        }
        if (value.Length == 0)
        {
            error = "the secret is empty";
            return false;
        }
        return true;
    }

    private static IkeSaConfig? ReadConnection(string name, JsonElement e, List<Secret> secrets, CredentialLoader credentials, Dictionary<string, AddressPoolConfig?> pools, List<ChildRouting> routing,
        Dictionary<string, IReadOnlyList<RemoteHost>> remoteHosts, ConfigProblems p)
    {
        var path = $"connections.{name}";
        if (!IsObject(e, path, p))
            return null;
        var before = p.Lines.Count;
        CheckKeys(e, path, ConnectionKeys, p);
        // IKEv2 only (RFC 7296); swanctl's 0 means either, which is IKEv2 here.
        if (Text(e, "version", path, p) is { } version && version is not ("2" or "0"))
        {
            p.Add($"{path}.version", version == "1"
                ? "'1' (IKEv1) is not supported: s2s speaks IKEv2 (RFC 7296) only; valid: 2"
                : $"'{version}' is not an IKE version; valid: 2");
            return null;
        }
        var local = Addresses(e, "local_addrs", path, p);
        var hosts = RemoteHosts(e, path, p);
        List<IPAddress> remote = [.. hosts.Select(h => h.Address).OfType<IPAddress>()];
        var hasNames = hosts.Exists(h => h.Name is not null);
        // A peer is reached from a local address of its family (or that family's wildcard): with local_addrs that hold
        // none, nothing could be sent to it, nor would its IKE reach a socket of ours.
        foreach (var peer in remote.Where(a => IsSpecific(a) && local.Count > 0 && !local.Exists(l => l.AddressFamily == a.AddressFamily)).Distinct())
        {
            var family = peer.AddressFamily == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";
            p.Add($"{path}.remote_addrs", $"'{peer}' is {family}, and local_addrs ({string.Join(", ", local)}) hold no {family} address to reach it from; add one (or {(family == "IPv6" ? "::" : "0.0.0.0")}), or leave local_addrs out to listen on both families");
        }
        var proposals = Proposals(e, "proposals", path, ProtocolId.Ike, DefaultIkeProposals, p);
        // swanctl: with reauth_time set, rekey_time defaults to zero (set both to have both).
        var reauth = Time(e, "reauth_time", path, p) ?? TimeSpan.Zero;
        var rekey = Time(e, "rekey_time", path, p) ?? (reauth > TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromHours(4));
        var dpdDelay = Time(e, "dpd_delay", path, p) ?? TimeSpan.Zero;
        var localAuth = Auth(e, "local", path, required: true, p);
        var remoteAuth = Auth(e, "remote", path, required: false, p);
        var fragmentation = Text(e, "fragmentation", path, p) ?? "yes";
        if (fragmentation is not ("yes" or "no" or "accept" or "force"))
            p.Add($"{path}.fragmentation", $"'{fragmentation}' is not valid; valid: yes, accept, force, no");

        var connectionPools = ConnectionPools(e, path, pools, p);
        var vips = VirtualIps(e, path, p);
        var children = new List<ChildSaConfig>();
        var dpdAction = DpdAction.Clear;
        if (!e.TryGetProperty("children", out var ch) || ch.ValueKind != JsonValueKind.Object || !ch.EnumerateObject().Any())
            p.Add($"{path}.children", "at least one child is needed (children.NAME { local_ts, remote_ts, ... })");
        else
        {
            foreach (var c in ch.EnumerateObject())
            {
                if (ReadChild(name, c.Name, c.Value, $"{path}.children.{c.Name}", routing, e.TryGetProperty("pools", out _), e.TryGetProperty("vips", out _), p) is { } child)
                {
                    children.Add(child.Config);
                    // Starting, or a trapped packet, initiates an IKE SA, which needs somewhere to go.
                    if (child.Config.StartAction is StartAction.Start or StartAction.Trap && !remote.Any(IsSpecific) && !hasNames)
                        p.Add($"{path}.children.{c.Name}.start_action", $"'{(child.Config.StartAction == StartAction.Start ? "start" : "trap")}' needs an address or host name in remote_addrs to initiate to; valid without one: none");
                    if (child.DpdAction == DpdAction.Restart)
                        dpdAction = DpdAction.Restart;
                }
            }
        }

        byte[] psk = [];
        var localCredential = localAuth?.Class == AuthClass.PublicKey ? credentials.Local($"{path}.local", localAuth.Certs, localAuth.Id, localAuth.Pss, p) : null;
        var remotePubkey = remoteAuth?.Class == AuthClass.PublicKey;
        var anchors = remotePubkey ? credentials.Anchors($"{path}.remote", remoteAuth!.CaCerts, p) : [];
        // A pre-shared key is needed when either side uses one (remote.auth defaults to psk).
        if ((localCredential?.Id ?? localAuth?.Id) is { } localId && (localAuth!.Class == AuthClass.Psk || !remotePubkey))
        {
            var remoteId = remoteAuth?.Id;
            // As strongSwan: the secret naming both identities beats one naming the peer, which beats one naming
            // us; then a secret called ike-NAME; then one without identities.
            var secret = secrets.FirstOrDefault(s => remoteId is not null && s.Ids.Contains(remoteId) && s.Ids.Contains(localId))
                ?? secrets.FirstOrDefault(s => remoteId is not null && s.Ids.Contains(remoteId))
                ?? secrets.FirstOrDefault(s => s.Ids.Contains(localId))
                ?? secrets.FirstOrDefault(s => s.Name == $"ike-{name}")
                ?? secrets.FirstOrDefault(s => s.Ids.Count == 0);
            if (secret is null)
                p.Add(localAuth.Class == AuthClass.Psk ? $"{path}.local.auth" : $"{path}.remote.auth", $"'psk' needs a pre-shared key: add secrets.ike-{name} {{ \"id\": \"{remoteId?.ToString() ?? localId.ToString()}\", \"secret\": \"...\" }}");
            else
            {
                psk = secret.Value;
                if ((remote.Count == 0 && !hasNames) || !remote.All(IsSpecific))
                    CheckHub(path, localId, remoteId, secret, p);
            }
        }
        var localPort = Number(e, "local_port", path, 1, 65535, p) ?? 500;
        // The gateway binds UDP 500 and 4500; other local ports are not supported yet.
        if (localPort != 500)
            p.Add($"{path}.local_port", $"'{localPort}' is not supported yet; valid: 500 (the gateway binds 500 and 4500)");
        var remotePort = Number(e, "remote_port", path, 1, 65535, p) ?? 500;
        var lifeTime = Time(e, "life_time", path, p) ?? TimeSpan.Zero;
        // swanctl: rand_time defaults to over_time, 10% of the longer of rekey_time and reauth_time.
        var randTime = Time(e, "rand_time", path, p) ?? (rekey > reauth ? rekey : reauth) / 10;
        CheckRandTime(randTime, rekey, path, p);
        CheckReauthTime(reauth, randTime, lifeTime, path, p);
        var dpdTimeout = Time(e, "dpd_timeout", path, p) ?? TimeSpan.Zero;
        CheckVirtualIpFamilies(path, connectionPools, vips, children, p);
        // ESP leaves a user-mode gateway in UDP (RFC 3948): without a NAT a faked one asks the peer for
        // encapsulation, as strongSwan's kernel-libipsec does. "encap": "no" is for peers that detect a NAT anyway.
        var encap = Flag(e, "encap", path, p) ?? true;
        if (!encap)
            p.Add($"{path}.encap", "'no' is not supported: a user-mode gateway sends ESP in UDP (RFC 3948); valid: yes");
        if (p.Lines.Count > before || localAuth is null || (localAuth.Class == AuthClass.PublicKey && localCredential is null))
            return null;
        if (hasNames)
            remoteHosts[name] = hosts;
        return new IkeSaConfig
        {
            Name = name,
            LocalAddresses = local,
            RemoteAddresses = remote,
            HasRemoteNames = hasNames,
            LocalPort = localPort,
            RemotePort = remotePort,
            Proposals = proposals,
            LocalId = localCredential?.Id ?? localAuth.Id!,
            RemoteId = remoteAuth?.Id,
            PreSharedKey = psk,
            LocalAuth = localAuth.Class,
            RemoteAuth = remotePubkey ? AuthClass.PublicKey : AuthClass.Psk,
            LocalCredential = localCredential?.Credential,
            TrustAnchors = anchors,
            RekeyTime = rekey,
            ReauthTime = reauth,
            LifeTime = lifeTime,
            RandTime = randTime,
            DpdDelay = dpdDelay,
            DpdTimeout = dpdTimeout,
            DpdAction = dpdAction,
            ForceEncapsulation = encap,
            Fragmentation = fragmentation != "no",
            Pools = connectionPools,
            VirtualIps = vips,
            Children = children,
        };
    }

    /// <summary>
    /// A connection that answers any address (remote_addrs empty or a wildcard: a hub for spokes) gets its one
    /// pre-shared key for every peer that reaches it. Unless both the peer's identity and a secret bound to that
    /// identity alone are set, every spoke that holds the key can authenticate as any other: warn.
    /// </summary>
    private static void CheckHub(string path, Identity localId, Identity? remoteId, Secret secret, ConfigProblems p)
    {
        const string Advice = "give each spoke its own identity and a secret that names it alone (secrets.ike-SPOKE { \"id\": \"SPOKE-ID\", \"secret\": \"...\" }); see the README on hubs";
        if (remoteId is null)
        {
            p.Warn($"{path}.remote.id", $"not set, and remote_addrs accepts any address: every peer holding secrets.{secret.Name} is accepted under whatever identity it claims, so one spoke can pose as another; {Advice}");
            return;
        }
        var others = secret.Ids.Where(id => !id.Equals(remoteId) && !id.Equals(localId)).ToList();
        var why = secret.Ids.Count == 0 ? "names no identity"
            : !secret.Ids.Contains(remoteId) && secret.Ids.Contains(localId) ? $"is found by our identity {localId}, not the peer's"
            : !secret.Ids.Contains(remoteId) ? $"names {string.Join(", ", secret.Ids)}, not the peer"
            : others.Count > 0 ? $"also names {string.Join(", ", others)}"
            : null;
        if (why is not null)
            p.Warn(path, $"remote_addrs accepts any address, and secrets.{secret.Name} {why}: every peer holding it can authenticate as {remoteId}; {Advice}");
    }

    /// <param name="Id">Null for local.auth pubkey without an id (the certificate's subject), or a remote without one.</param>
    private sealed record AuthSection(Identity? Id, AuthClass Class, IReadOnlyList<string> Certs, IReadOnlyList<string> CaCerts, bool Pss);

    private static AuthSection? Auth(JsonElement e, string key, string path, bool required, ConfigProblems p)
    {
        var where = $"{path}.{key}";
        if (!e.TryGetProperty(key, out var section))
        {
            if (required)
                p.Add(where, "missing; write { \"auth\": \"psk\", \"id\": \"gw.example.com\" }");
            return null;
        }
        if (!IsObject(section, where, p))
            return null;
        CheckKeys(section, where, AuthKeys, p);
        var auth = Text(section, "auth", where, p) ?? "psk";
        AuthClass? authClass = auth switch
        {
            "psk" => AuthClass.Psk,
            "pubkey" or "rsa/pss" => AuthClass.PublicKey,
            _ => null,
        };
        if (authClass is null)
        {
            p.Add($"{where}.auth", $"'{auth}' is not supported; valid: psk, pubkey (a certificate; rsa/pss for RSA keys signing with RSASSA-PSS)");
            return null;
        }
        var local = key == "local";
        var certs = List(section, "certs", where, p);
        var caCerts = List(section, "cacerts", where, p);
        if (certs.Count > 0 && (!local || authClass != AuthClass.PublicKey))
            p.Add($"{where}.certs", local ? "needs local.auth pubkey (a pre-shared key uses no certificate)" : "is not supported on remote; give the peer's CA as remote.cacerts");
        if (caCerts.Count > 0 && (local || authClass != AuthClass.PublicKey))
            p.Add($"{where}.cacerts", local ? "belongs to remote: the CAs the peer's certificate is issued under" : "needs remote.auth pubkey (a pre-shared key uses no certificate)");
        if (auth == "rsa/pss" && !local)
            p.Add($"{where}.auth", "'rsa/pss' is how we sign; the peer's signatures are checked whatever their scheme: use pubkey");
        var idText = Text(section, "id", where, p);
        if (idText is null || idText == "%any")
        {
            // With a certificate, our identity defaults to its subject DN (as swanctl does).
            if (required && authClass == AuthClass.Psk)
            {
                p.Add($"{where}.id", "missing; the local identity is needed, e.g. an address or gw.example.com");
                return null;
            }
            return required || authClass == AuthClass.PublicKey ? new AuthSection(null, authClass.Value, certs, caCerts, auth == "rsa/pss") : null;
        }
        if (!Identity.TryParse(idText, out var id, out var why))
        {
            p.Add($"{where}.id", $"'{idText}' {why}");
            return null;
        }
        return new AuthSection(id, authClass.Value, certs, caCerts, auth == "rsa/pss");
    }

    /// <summary>children.NAME.mss_clamp's range: IPv4's smallest default MSS (RFC 879) to the largest an IPv4 packet can hold.</summary>
    public const int MinMssClamp = 536, MaxMssClamp = 65495;

    private sealed record ChildRead(ChildSaConfig Config, DpdAction DpdAction);

    /// <summary>
    /// children.NAME.mss_clamp: the largest TCP MSS a SYN through the child may carry, both ways, so that segments fit
    /// the tunnel (Azure asks for 1350); 0 or absent: off.
    /// </summary>
    private static int MssClamp(JsonElement e, string path, ConfigProblems p)
    {
        var text = Text(e, "mss_clamp", path, p);
        if (text is null or "0")
            return 0;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= MinMssClamp and <= MaxMssClamp)
            return n;
        p.Add($"{path}.mss_clamp", $"'{text}' is not a whole number from {MinMssClamp} to {MaxMssClamp}, nor 0 (off); Azure asks for 1350");
        return 0;
    }

    private static ChildRead? ReadChild(string connection, string name, JsonElement e, string path, List<ChildRouting> routing, bool pools, bool vips, ConfigProblems p)
    {
        if (!IsObject(e, path, p))
            return null;
        var before = p.Lines.Count;
        CheckKeys(e, path, ChildKeys, p);
        var iface = Text(e, "interface", path, p);
        if (iface is not null && InterfaceName.Problem(iface, allowPattern: false) is { } why)
            p.Add($"{path}.interface", $"'{iface}' {why}");
        // A route-based child's selectors default to everything: the routing table picks the tunnel.
        IReadOnlyList<TrafficSelector> any = iface is null ? [] : [Prefix("0.0.0.0/0"), Prefix("::/0")];
        var localTs = SelectorsOrDynamic(e, "local_ts", path, any, vips, out var localDynamic, p);
        var remoteTs = SelectorsOrDynamic(e, "remote_ts", path, any, pools, out var remoteDynamic, p);
        var mode = Text(e, "mode", path, p) ?? "tunnel";
        if (mode != "tunnel")
            p.Add($"{path}.mode", $"'{mode}' is not supported; valid: tunnel");
        var start = Text(e, "start_action", path, p) ?? "none";
        StartAction? startAction = start switch
        {
            "none" => StartAction.None,
            "start" => StartAction.Start,
            "trap" => StartAction.Trap,
            _ => null,
        };
        if (startAction is null)
            p.Add($"{path}.start_action", $"'{start}' is not valid; valid: none, start, trap");
        var dpd = Text(e, "dpd_action", path, p) ?? "clear";
        DpdAction? dpdAction = dpd switch
        {
            "clear" or "none" => DpdAction.Clear,
            "restart" => DpdAction.Restart,
            _ => null,
        };
        if (dpdAction is null)
            p.Add($"{path}.dpd_action", $"'{dpd}' is not valid; valid: clear, restart, none");
        var routes = Routes(e, path, p);
        var addresses = InterfaceAddresses(e, path, p);
        if (iface is null && addresses.Count > 0)
            p.Add($"{path}.interface_addrs", $"'{string.Join(", ", addresses)}' is for a route-based child's tunnel interface, and this child has no interface; give it one (\"interface\": \"vti0\") or remove interface_addrs");
        // Empty is none, as swanctl's updown.
        var updown = Text(e, "updown", path, p) is { Length: > 0 } script ? script : null;
        if (updown is not null && UpdownProblem(updown) is { } bad)
            p.Add($"{path}.updown", $"'{updown.Replace("\0", "\\0", StringComparison.Ordinal)}' {bad}; valid: the absolute path of an executable file that others cannot write, such as /etc/s2s/updown.sh");
        var mss = MssClamp(e, path, p);
        var rekey = Time(e, "rekey_time", path, p) ?? TimeSpan.FromHours(1);
        var config = new ChildSaConfig
        {
            Name = name,
            LocalTs = localTs,
            RemoteTs = remoteTs,
            LocalDynamic = localDynamic,
            RemoteDynamic = remoteDynamic,
            EspProposals = Proposals(e, "esp_proposals", path, ProtocolId.Esp, DefaultEspProposals, p),
            RekeyTime = rekey,
            LifeTime = Time(e, "life_time", path, p) ?? TimeSpan.Zero,
            RandTime = Time(e, "rand_time", path, p) ?? rekey / 10,
            RekeyBytes = Volume(e, "rekey_bytes", path, p),
            LifeBytes = Volume(e, "life_bytes", path, p),
            RekeyPackets = Volume(e, "rekey_packets", path, p),
            LifePackets = Volume(e, "life_packets", path, p),
            StartAction = startAction ?? StartAction.None,
        };
        if (config.LifeTime > TimeSpan.Zero && config.LifeTime <= config.RekeyTime)
            p.Add($"{path}.life_time", $"'{config.LifeTime.TotalSeconds}s' must be longer than rekey_time ({config.RekeyTime.TotalSeconds}s)");
        CheckRandTime(config.RandTime, config.RekeyTime, path, p);
        if (p.Lines.Count > before)
            return null;
        routing.Add(new ChildRouting(connection, name, iface, routes, addresses, dpdAction ?? DpdAction.Clear, updown, mss));
        return new ChildRead(config, dpdAction ?? DpdAction.Clear);
    }

    /// <summary>
    /// Why children.NAME.updown cannot be run; null when it can. The script runs as root with each Child SA that comes and
    /// goes, so it must be a file that is there now (`s2s check` sees what `s2s run` would), executable, and that no
    /// other user can change.
    /// </summary>
    private static string? UpdownProblem(string script)
    {
        if (script.Contains('\0', StringComparison.Ordinal))
            return "holds a NUL character, which no file name can";
        if (!System.IO.Path.IsPathFullyQualified(script))
            return "is not an absolute path";
        if (Directory.Exists(script))
            return "is a directory";
        if (!File.Exists(script))
            return "does not exist";
        if (OperatingSystem.IsWindows())
            return null;
        UnixFileMode mode;
        try
        {
            mode = File.GetUnixFileMode(script);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot be read ({e.Message})";
        }
        var octal = Convert.ToString((int)mode & 0xFFF, 8).PadLeft(4, '0');
        if ((mode & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) == 0)
            return $"is not executable (mode {octal}; chmod 755 {script})";
        if ((mode & UnixFileMode.OtherWrite) != 0)
            return $"can be written by any user (mode {octal}), and it runs as root (chmod o-w {script})";
        // Nor may another user put a file of their own in its place: no directory on the way that any user can write,
        // unless it is sticky (as /tmp), where only the owner of a file can rename or remove it.
        for (var dir = System.IO.Path.GetDirectoryName(script); !string.IsNullOrEmpty(dir); dir = System.IO.Path.GetDirectoryName(dir))
        {
            UnixFileMode dirMode;
            try
            {
                dirMode = File.GetUnixFileMode(dir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return $"cannot be checked: its directory {dir} cannot be read ({e.Message})";
            }
            if ((dirMode & UnixFileMode.OtherWrite) != 0 && (dirMode & UnixFileMode.StickyBit) == 0)
                return $"lies in {dir}, which any user can write (mode {Convert.ToString((int)dirMode & 0xFFF, 8).PadLeft(4, '0')}): another user could put a script of their own in its place, and it runs as root (chmod o-w {dir}, or move the script)";
        }
        return null;
    }

    /// <summary>
    /// A random part of rand_time is taken off rekey_time (as swanctl does, so that the peers do not rekey at
    /// once): rand_time must be shorter, or the rekey would fall due at once, again and again. rekey_time 0 turns
    /// rekeying off, and rand_time with it.
    /// </summary>
    private static void CheckRandTime(TimeSpan rand, TimeSpan rekey, string path, ConfigProblems p)
    {
        if (rekey > TimeSpan.Zero && rand >= rekey)
            p.Add($"{path}.rand_time", $"'{rand.TotalSeconds}s' must be shorter than rekey_time ({rekey.TotalSeconds}s), from which a random part of it is taken; valid: 0s to {rekey.TotalSeconds - 1}s");
    }

    /// <summary>
    /// reauth_time, like rekey_time, has a random part of rand_time taken off, so rand_time must be shorter; and a
    /// life_time no longer than reauth_time would close the IKE SA before it is ever reauthenticated.
    /// </summary>
    private static void CheckReauthTime(TimeSpan reauth, TimeSpan rand, TimeSpan life, string path, ConfigProblems p)
    {
        if (reauth <= TimeSpan.Zero)
            return;
        if (rand >= reauth)
            p.Add($"{path}.rand_time", $"'{rand.TotalSeconds}s' must be shorter than reauth_time ({reauth.TotalSeconds}s), from which a random part of it is taken; valid: 0s to {reauth.TotalSeconds - 1}s");
        if (life > TimeSpan.Zero && life <= reauth)
            p.Add($"{path}.life_time", $"'{life.TotalSeconds}s' must be longer than reauth_time ({reauth.TotalSeconds}s), or the IKE SA closes before it is reauthenticated");
    }

    /// <summary>An address to initiate to, not a wildcard (0.0.0.0 or ::).</summary>
    private static bool IsSpecific(IPAddress address) => !address.Equals(IPAddress.Any) && !address.Equals(IPAddress.IPv6Any);

    private static void CheckInterfaces(List<ChildRouting> routing, ConfigProblems p)
    {
        foreach (var group in routing.Where(r => r.Interface is not null).GroupBy(r => r.Interface, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            var first = group.First();
            foreach (var r in group.Skip(1))
                p.Add($"connections.{r.Connection}.children.{r.Child}.interface", $"'{r.Interface}' is already used by connections.{first.Connection}.children.{first.Child}; each route-based child needs its own");
        }
    }

    /// <summary>
    /// Routes of one prefix and one effective metric, which the kernel keeps as one route (RouteTable installs them): into
    /// several route-based children's interfaces they are one multipath route (ECMP), and policy-based children share
    /// the shared device's. Refused: one into the shared device and one into a tunnel interface (as one multipath route
    /// the shared device, which never loses carrier, would take its share of the flows whether or not their tunnel is
    /// up, and into SAs whose selectors need not cover them); an IPv6 multipath route through an interface whose own address is
    /// its nexthops' gateway (RouteTable.Ipv6NexthopGateway), which the kernel refuses too; one prefix twice with one
    /// metric in a child's list, which would be one route.
    /// </summary>
    private static void CheckRouteClashes(List<ChildRouting> routing, List<IkeSaConfig> connections, string sharedDevice, ConfigProblems p)
    {
        var taken = new Dictionary<(IPNetwork Prefix, uint Metric), (ChildRouting Owner, string Device)>();
        var multipathV6 = new HashSet<ChildRouting>();
        foreach (var r in routing)
        {
            var path = $"connections.{r.Connection}.children.{r.Child}";
            List<(TunnelRoute Route, string Key)> routes = r.Interface is not null
                ? [.. r.Routes.Select((route, i) => (route, $"{path}.routes[{i}]"))]
                // A full tunnel's default route goes into a table of its own, where it clashes with nothing.
                : [.. TunnelRoute.OfRemoteSelectors(connections.First(c => c.Name == r.Connection).Children.First(c => c.Name == r.Child).RemoteTs)
                    .Where(route => !route.IsFullTunnel).Select(route => (route, $"{path}.remote_ts"))];
            var device = r.Interface ?? sharedDevice;
            var own = new HashSet<(IPNetwork, uint)>();
            foreach (var (route, key) in routes)
            {
                var at = (route.Prefix, route.EffectiveMetric);
                // A policy-based child whose remote selectors give one prefix twice routes it once.
                if (!own.Add(at))
                {
                    if (r.Interface is not null)
                        p.Add(key, $"'{route}' is already routed into {device} with metric {route.EffectiveMetric} earlier in this list; an interface takes a prefix once per metric: remove one of them");
                    continue;
                }
                if (!taken.TryGetValue(at, out var first))
                {
                    taken[at] = (r, device);
                    continue;
                }
                if ((first.Owner.Interface is null) == (r.Interface is null))
                {
                    if (r.Interface is not null && route.Prefix.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6)
                        multipathV6.UnionWith([first.Owner, r]);
                    continue;
                }
                p.Add(key, $"'{route}' is already routed into {first.Device} with metric {route.EffectiveMetric} by connections.{first.Owner.Connection}.children.{first.Owner.Child}; "
                    + "the kernel keeps one route per prefix and metric, which only tunnel interfaces share (as ECMP): "
                    + $"give the route-based child's route a metric (\"{route.Prefix} metric 100\"); a policy-based child's route has the kernel's default");
            }
        }
        foreach (var r in routing.Where(r => multipathV6.Contains(r) && r.InterfaceAddresses.Any(a => a.Address.Equals(RouteTable.Ipv6NexthopGateway))))
        {
            p.Add($"connections.{r.Connection}.children.{r.Child}.interface_addrs",
                $"'{RouteTable.Ipv6NexthopGateway}' is the gateway of the nexthops of an IPv6 route this interface shares with other tunnels (ECMP), "
                + "and the kernel takes no gateway that is the interface's own address: give the interface another link-local address");
        }
    }

    /// <summary>children.NAME.routes: "PREFIX" or "PREFIX metric METRIC".</summary>
    private static List<TunnelRoute> Routes(JsonElement e, string path, ConfigProblems p)
    {
        var routes = new List<TunnelRoute>();
        foreach (var (text, i) in List(e, "routes", path, p).Select((t, i) => (t, i)))
        {
            var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (!SelectorText.TryPrefix(words.Length > 0 ? words[0] : "", out var ts) || SelectorPrefix.Exact(ts) is not { } prefix)
                p.Add($"{path}.routes[{i}]", $"'{text}' is not a CIDR prefix; valid: a prefix, optionally with a metric, such as 10.2.0.0/16 or 10.2.0.0/16 metric 100");
            else if (words.Length == 1)
                routes.Add(new TunnelRoute(prefix, null));
            else if (words.Length == 3 && words[1] == "metric" && uint.TryParse(words[2], NumberStyles.None, CultureInfo.InvariantCulture, out var metric))
                routes.Add(new TunnelRoute(prefix, metric));
            else
                p.Add($"{path}.routes[{i}]", $"'{text}' is not a route; valid: a prefix, optionally with a metric from 0 to {uint.MaxValue}, such as 10.2.0.0/16 or 10.2.0.0/16 metric 100");
        }
        return routes;
    }

    /// <summary>children.NAME.interface_addrs: "ADDRESS/PREFIX", or "ADDRESS[/HOST] peer PEER[/PREFIX]" for a point-to-point link.</summary>
    private static List<InterfaceAddress> InterfaceAddresses(JsonElement e, string path, ConfigProblems p)
    {
        const string Valid = "valid: ADDRESS/PREFIX such as 169.254.21.2/30, or ADDRESS peer PEER such as 169.254.21.2 peer 169.254.21.1";
        var list = new List<InterfaceAddress>();
        foreach (var (text, i) in List(e, "interface_addrs", path, p).Select((t, i) => (t, i)))
        {
            var key = $"{path}.interface_addrs[{i}]";
            var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var hasPeer = words.Length == 3 && words[1] == "peer";
            if ((words.Length != 1 && !hasPeer) || !TryHostAndLength(words[0], out var address, out var length))
            {
                p.Add(key, $"'{text}' is not an interface address; {Valid}");
                continue;
            }
            var bits = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
            if (!hasPeer)
            {
                if (length is null)
                    p.Add(key, $"'{text}' has no prefix length; {Valid}");
                else
                    list.Add(new InterfaceAddress(address, length.Value, null));
                continue;
            }
            if (!TryHostAndLength(words[2], out var peer, out var peerLength))
                p.Add(key, $"'{text}': '{words[2]}' is not an address; {Valid}");
            else if (peer.AddressFamily != address.AddressFamily)
                p.Add(key, $"'{text}': the address and its peer must both be IPv4 or both IPv6");
            else if (length is { } l && l != bits)
                p.Add(key, $"'{text}': with a peer the prefix length belongs to the peer; write {address} peer {peer}/{l}");
            else
                list.Add(new InterfaceAddress(address, peerLength ?? bits, peer));
        }
        foreach (var twice in list.GroupBy(a => a.Address).Where(g => g.Count() > 1))
            p.Add($"{path}.interface_addrs", $"'{twice.Key}' is listed {twice.Count()} times; an interface takes an address once");
        return list;
    }

    /// <summary>An address with its host bits kept (not a network), and the prefix length when one is written.</summary>
    private static bool TryHostAndLength(string text, out IPAddress address, out int? length)
    {
        length = null;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? text : text[..slash];
        if (!AddressText.TryParse(addressText, out address!) || (address.AddressFamily == AddressFamily.InterNetworkV6 && address.ScopeId != 0))
            return false;
        if (slash < 0)
            return true;
        var bits = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        if (!int.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > bits)
            return false;
        length = n;
        return true;
    }

    // ---- values ----

    private static bool IsObject(JsonElement e, string path, ConfigProblems p)
    {
        if (e.ValueKind == JsonValueKind.Object)
            return true;
        p.Add(path, "must be an object { ... }");
        return false;
    }

    private static void CheckKeys(JsonElement e, string path, string[] valid, ConfigProblems p)
    {
        foreach (var property in e.EnumerateObject())
        {
            if (!valid.Contains(property.Name))
                p.Add(path.Length == 0 ? property.Name : $"{path}.{property.Name}", $"unknown key; valid: {string.Join(", ", valid)}");
        }
    }

    private static string? Text(JsonElement e, string key, string path, ConfigProblems p)
    {
        if (!e.TryGetProperty(key, out var v))
            return null;
        if (v.ValueKind == JsonValueKind.String)
            return v.GetString();
        if (v.ValueKind is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False)
            return v.GetRawText();
        p.Add($"{path}.{key}", "must be a string");
        return null;
    }

    private static List<string> List(JsonElement e, string key, string path, ConfigProblems p)
    {
        if (!e.TryGetProperty(key, out var v))
            return [];
        if (v.ValueKind == JsonValueKind.String)
            return [.. v.GetString()!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)];
        if (v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String))
            return [.. v.EnumerateArray().Select(x => x.GetString()!.Trim())];
        p.Add($"{path}.{key}", "must be a list of strings, as an array or a comma-separated string");
        return [];
    }

    private static int? Number(JsonElement e, string key, string path, int min, int max, ConfigProblems p)
    {
        var text = Text(e, key, path, p);
        if (text is null)
            return null;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max)
            return n;
        p.Add($"{path}.{key}", $"'{text}' is not a whole number from {min} to {max}");
        return null;
    }

    private static bool? Flag(JsonElement e, string key, string path, ConfigProblems p)
    {
        var text = Text(e, key, path, p);
        switch (text)
        {
            case null:
                return null;
            case "yes" or "true":
                return true;
            case "no" or "false":
                return false;
            default:
                p.Add($"{path}.{key}", $"'{text}' is not valid; valid: yes, no");
                return null;
        }
    }

    private static TimeSpan? Time(JsonElement e, string key, string path, ConfigProblems p)
    {
        var text = Text(e, key, path, p);
        if (text is null)
            return null;
        if (Duration.TryParse(text, out var value))
            return value;
        p.Add($"{path}.{key}", $"'{text}' is not a duration; write it as swanctl does: 30s, 10m, 8h, 1d");
        return null;
    }

    /// <summary>Byte and packet counts, with swanctl's k, m and g suffixes (powers of 1024).</summary>
    private static ulong Volume(JsonElement e, string key, string path, ConfigProblems p)
    {
        var text = Text(e, key, path, p);
        if (text is null)
            return 0;
        var t = text.Trim();
        ulong multiplier = char.ToLowerInvariant(t.Length > 0 ? t[^1] : ' ') switch { 'k' => 1UL << 10, 'm' => 1UL << 20, 'g' => 1UL << 30, _ => 1 };
        var digits = multiplier == 1 ? t : t[..^1];
        if (ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n <= ulong.MaxValue / multiplier)
            return n * multiplier;
        p.Add($"{path}.{key}", $"'{text}' is not a count; write a whole number, optionally with k, m or g");
        return 0;
    }

    private static List<IPAddress> Addresses(JsonElement e, string key, string path, ConfigProblems p)
    {
        var list = new List<IPAddress>();
        foreach (var (text, i) in List(e, key, path, p).Select((t, i) => (t, i)))
        {
            if (text == "%any")
                continue;
            if (AddressText.TryParse(text, out var address))
                list.Add(address);
            else
                p.Add($"{path}.{key}[{i}]", $"'{text}' is not an IP address (host names are not resolved; %any means any)");
        }
        return list;
    }

    /// <summary>
    /// remote_addrs: IP addresses and host names (resolved at run time, each time the gateway initiates), in order; %any
    /// (any peer) is left out. swanctl's CIDR subnets and address ranges are not taken.
    /// </summary>
    private static List<RemoteHost> RemoteHosts(JsonElement e, string path, ConfigProblems p)
    {
        var list = new List<RemoteHost>();
        foreach (var (text, i) in List(e, "remote_addrs", path, p).Select((t, i) => (t, i)))
        {
            if (text == "%any")
                continue;
            if (AddressText.TryParse(text, out var address))
                list.Add(new RemoteHost(address, null));
            else if (RemoteHost.IsHostName(text))
                list.Add(new RemoteHost(null, text));
            else
                p.Add($"{path}.remote_addrs[{i}]", $"'{text}' is neither an IP address nor a host name; valid: an IPv4 or IPv6 address, a DNS name such as vpn.example.net (resolved when s2s initiates), or %any");
        }
        return list;
    }

    private static List<Proposal> Proposals(JsonElement e, string key, string path, ProtocolId protocol, string defaults, ConfigProblems p)
    {
        var texts = List(e, key, path, p);
        if (texts.Count == 0)
            texts = [.. defaults.Split(',')];
        var list = new List<Proposal>();
        foreach (var (text, i) in texts.Select((t, i) => (t, i)))
        {
            var parts = text == "default" ? defaults.Split(',') : [text];
            foreach (var part in parts)
            {
                if (ProposalKeywords.TryParse(part, protocol, out var proposal, out var error))
                    list.Add(proposal.With(checked((byte)(list.Count + 1)), []));
                else
                    p.Add($"{path}.{key}[{i}]", error);
            }
        }
        return list;
    }

    private static IReadOnlyList<TrafficSelector> Selectors(JsonElement e, string key, string path, IReadOnlyList<TrafficSelector> fallback, ConfigProblems p)
    {
        var texts = List(e, key, path, p);
        if (texts.Count == 0)
        {
            if (fallback.Count == 0)
                p.Add($"{path}.{key}", "missing; write the subnets, e.g. [\"10.1.0.0/24\"] (or give the child an interface for 0.0.0.0/0 and ::/0)");
            return fallback;
        }
        var list = new List<TrafficSelector>();
        foreach (var (text, i) in texts.Select((t, i) => (t, i)))
        {
            if (!SelectorText.TryParse(text, list, out var problem))
                p.Add($"{path}.{key}[{i}]", problem);
        }
        return list;
    }

    private static TrafficSelector Prefix(string text) => SelectorText.TryPrefix(text, out var ts) ? ts : throw new ArgumentException(text);
}
