using System.Security.Cryptography;
using System.Text;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway.Config;

/// <summary>
/// What a reload changes: connections added, removed and changed (any key of the connection, its
/// children, their routing or its secret), and gateway-wide settings that only a restart applies.
/// Unchanged connections keep their SAs.
/// </summary>
public sealed record ConfigDiff(IReadOnlyList<string> Added, IReadOnlyList<string> Removed, IReadOnlyList<string> Changed, IReadOnlyList<string> NeedRestart)
{
    public bool IsEmpty => Added.Count == 0 && Removed.Count == 0 && Changed.Count == 0 && NeedRestart.Count == 0;

    public static ConfigDiff Between(GatewayConfig old, GatewayConfig next)
    {
        ArgumentNullException.ThrowIfNull(old);
        ArgumentNullException.ThrowIfNull(next);
        var before = old.Connections.ToDictionary(c => c.Name, c => Fingerprint(c, old), StringComparer.Ordinal);
        var after = next.Connections.ToDictionary(c => c.Name, c => Fingerprint(c, next), StringComparer.Ordinal);
        var restart = new List<string>();
        var (a, b) = (old.Settings, next.Settings);
        void Setting(string key, object? x, object? y)
        {
            if (!Equals(x, y))
                restart.Add($"gateway.{key}");
        }
        Setting("tun_name", a.TunName, b.TunName);
        Setting("mtu", a.Mtu, b.Mtu);
        Setting("control_socket", a.ControlSocket, b.ControlSocket);
        Setting("control_group", a.ControlGroup, b.ControlGroup);
        Setting("replay_window", a.ReplayWindow, b.ReplayWindow);
        Setting("workers", a.Workers, b.Workers);
        Setting("offload", a.Offload, b.Offload);
        Setting("log_level", a.LogLevel, b.LogLevel);
        Setting("log_format", a.LogFormat, b.LogFormat);
        Setting("metrics", a.Metrics, b.Metrics);
        Setting("wireshark_keys", a.WiresharkKeys, b.WiresharkKeys);
        Setting("log_levels", string.Join(",", a.LogLevels.OrderBy(l => l.Key, StringComparer.Ordinal)), string.Join(",", b.LogLevels.OrderBy(l => l.Key, StringComparer.Ordinal)));
        return new ConfigDiff(
            [.. after.Keys.Where(k => !before.ContainsKey(k))],
            [.. before.Keys.Where(k => !after.ContainsKey(k))],
            [.. after.Keys.Where(k => before.TryGetValue(k, out var f) && f != after[k])],
            restart);
    }

    /// <summary>Every setting of a connection as one string; the secret enters only as a hash.</summary>
    private static string Fingerprint(IkeSaConfig c, GatewayConfig config)
    {
        var text = new StringBuilder();
        void Add(string key, object? value) => text.Append(key).Append('=').Append(value).Append(';');
        Add("local", string.Join(",", c.LocalAddresses));
        Add("remote", string.Join(",", config.RemoteHosts.GetValueOrDefault(c.Name) ?? [.. c.RemoteAddresses.Select(a => new RemoteHost(a, null))]));
        Add("ports", $"{c.LocalPort}/{c.RemotePort}");
        Add("proposals", string.Join(",", c.Proposals));
        Add("ids", $"{c.LocalId}/{c.RemoteId}");
        Add("psk", Convert.ToHexString(SHA256.HashData(c.PreSharedKey)));
        Add("auth", $"{c.LocalAuth}/{c.RemoteAuth}/{c.LocalCredential?.RsaPss}");
        Add("certs", string.Join(",", (c.LocalCredential is { } l ? [l.Certificate, .. l.Intermediates] : new List<System.Security.Cryptography.X509Certificates.X509Certificate2>()).Concat(c.TrustAnchors).Select(x => x.Thumbprint)));
        Add("key", c.LocalCredential is { } k ? Convert.ToHexString(SHA256.HashData(k.Key.SubjectPublicKeyInfo())) : "");
        Add("times", $"{c.RekeyTime}/{c.LifeTime}/{c.RandTime}/{c.DpdDelay}/{c.DpdTimeout}/{c.DpdAction}");
        Add("flags", $"{c.Fragmentation}/{c.FragmentSize}/{c.ForceEncapsulation}");
        Add("pools", string.Join(",", c.Pools.Select(pool => $"{pool.Name}:{pool}:{string.Join("/", pool.Dns)}")));
        Add("vips", string.Join(",", c.VirtualIps));
        foreach (var child in c.Children)
        {
            Add("child", child.Name);
            Add("ts", $"{string.Join(",", child.LocalTs)}|{string.Join(",", child.RemoteTs)}|{child.LocalDynamic}|{child.RemoteDynamic}");
            Add("esp", string.Join(",", child.EspProposals));
            Add("limits", $"{child.RekeyTime}/{child.LifeTime}/{child.RandTime}/{child.RekeyBytes}/{child.LifeBytes}/{child.RekeyPackets}/{child.LifePackets}");
            Add("start", child.StartAction);
            if (config.Routing.FirstOrDefault(r => r.Connection == c.Name && r.Child == child.Name) is { } routing)
                Add("routing", $"{routing.Interface}|{string.Join(",", routing.Routes)}|{string.Join(",", routing.InterfaceAddresses)}|{routing.DpdAction}|{routing.Updown}|{routing.MssClamp}");
        }
        return text.ToString();
    }
}
