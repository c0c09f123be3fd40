using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway.Config;

/// <summary>
/// Point-to-site in the configuration, with swanctl's names: pools.NAME { addrs, dns } (the virtual IPs a responder leases,
/// RFC 7296 2.19), a connection's pools (by name) and vips (the virtual IPs it asks for as a client), and the dynamic
/// local_ts and remote_ts that take those addresses.
/// </summary>
public static partial class ConfigLoader
{
    private static readonly string[] PoolKeys = ["addrs", "dns"];

    private const string AddrsExamples = "a prefix (10.9.0.0/24, fd00:9::/112) or a range of one family (10.9.0.10-10.9.0.200)";

    /// <summary>pools.NAME { addrs, dns }, by name; null for one whose mistake was reported (a connection naming it says no more).</summary>
    private static Dictionary<string, AddressPoolConfig?> ReadPools(JsonElement e, ConfigProblems p)
    {
        var pools = new Dictionary<string, AddressPoolConfig?>(StringComparer.Ordinal);
        if (!IsObject(e, "pools", p))
            return pools;
        foreach (var pool in e.EnumerateObject())
        {
            var path = $"pools.{pool.Name}";
            pools[pool.Name] = null;
            if (!IsObject(pool.Value, path, p))
                continue;
            CheckKeys(pool.Value, path, PoolKeys, p);
            var dns = new List<IPAddress>();
            foreach (var (text, i) in List(pool.Value, "dns", path, p).Select((t, i) => (t, i)))
            {
                if (AddressText.TryParse(text, out var server))
                    dns.Add(server);
                else
                    p.Add($"{path}.dns[{i}]", $"'{text}' is not an IP address; valid: the addresses of DNS servers, IPv4 or IPv6");
            }
            var addrs = Text(pool.Value, "addrs", path, p);
            if (addrs is null)
            {
                p.Add($"{path}.addrs", $"missing; write {AddrsExamples}");
                continue;
            }
            if (TryPool(pool.Name, addrs.Trim(), dns, out var config, out var why))
                pools[pool.Name] = config;
            else
                p.Add($"{path}.addrs", $"'{addrs}' {why}; valid: {AddrsExamples}");
        }
        return pools;
    }

    private static bool TryPool(string name, string text, List<IPAddress> dns, out AddressPoolConfig pool, out string why)
    {
        pool = null!;
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            if (!IPNetwork.TryParse(text, out var prefix) || !text.Contains('/', StringComparison.Ordinal))
            {
                why = "is not a prefix nor a range";
                return false;
            }
            var bits = prefix.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
            if (bits - prefix.PrefixLength < 2)
            {
                why = "holds no address to lease once its network (and broadcast) address is left out";
                return false;
            }
            pool = AddressPoolConfig.FromPrefix(name, prefix, dns);
            why = "";
            return true;
        }
        if (!IPAddress.TryParse(text[..dash].Trim(), out var first) || !IPAddress.TryParse(text[(dash + 1)..].Trim(), out var last))
        {
            why = "is not a range of two addresses";
            return false;
        }
        if (first.AddressFamily != last.AddressFamily)
        {
            why = "mixes IPv4 and IPv6";
            return false;
        }
        if (first.GetAddressBytes().AsSpan().SequenceCompareTo(last.GetAddressBytes()) > 0)
        {
            why = $"starts above where it ends (write {last}-{first})";
            return false;
        }
        pool = AddressPoolConfig.FromRange(name, first, last, dns);
        why = "";
        return true;
    }

    /// <summary>connections.NAME.pools: names of pools, each defined under pools.</summary>
    private static List<AddressPoolConfig> ConnectionPools(JsonElement e, string path, Dictionary<string, AddressPoolConfig?> pools, ConfigProblems p)
    {
        var list = new List<AddressPoolConfig>();
        foreach (var (name, i) in List(e, "pools", path, p).Select((t, i) => (t, i)))
        {
            if (pools.TryGetValue(name, out var pool))
            {
                if (pool is not null)
                    list.Add(pool);
            }
            else
                p.Add($"{path}.pools[{i}]", $"'{name}' names no pool; {(pools.Count == 0 ? "none is defined" : $"defined: {string.Join(", ", pools.Keys)}")} (pools.NAME {{ \"addrs\": \"10.9.0.0/24\" }})");
        }
        return list;
    }

    /// <summary>connections.NAME.vips: the virtual IPs to ask for, 0.0.0.0 or :: for any of the family, or an address wished for.</summary>
    private static List<IPAddress> VirtualIps(JsonElement e, string path, ConfigProblems p)
    {
        var list = new List<IPAddress>();
        foreach (var (text, i) in List(e, "vips", path, p).Select((t, i) => (t, i)))
        {
            if (AddressText.TryParse(text, out var vip))
            {
                if (list.Exists(v => v.AddressFamily == vip.AddressFamily))
                    p.Add($"{path}.vips[{i}]", $"'{text}' asks a second address of its family; valid: one IPv4 (0.0.0.0) and one IPv6 (::)");
                else
                    list.Add(vip);
            }
            else
            {
                p.Add($"{path}.vips[{i}]", $"'{text}' is not an IP address; valid: 0.0.0.0 (any IPv4 address), :: (any IPv6 address), or the address wished for");
            }
        }
        return list;
    }

    /// <summary>
    /// local_ts or remote_ts: "dynamic" (or, with pools or vips to take the address from, nothing) is the virtual IP; without
    /// them it is refused, since s2s takes no selectors from the IKE addresses.
    /// </summary>
    private static IReadOnlyList<TrafficSelector> SelectorsOrDynamic(JsonElement e, string key, string path, IReadOnlyList<TrafficSelector> fallback, bool virtualIps,
        out bool dynamic, ConfigProblems p)
    {
        dynamic = false;
        var texts = e.TryGetProperty(key, out _) ? List(e, key, path, p) : [];
        var isDynamic = texts.Contains("dynamic");
        if (!isDynamic && !(texts.Count == 0 && virtualIps && !e.TryGetProperty(key, out _)))
            return Selectors(e, key, path, fallback, p);
        if (texts.Count > 1)
        {
            p.Add($"{path}.{key}", $"'{string.Join(", ", texts)}' mixes dynamic with subnets; valid: dynamic alone, or subnets");
            return [];
        }
        if (!virtualIps)
        {
            p.Add($"{path}.{key}", key == "remote_ts"
                ? "'dynamic' is the client's virtual IP, and the connection has no pools to lease one from; add \"pools\": [\"NAME\"] to the connection, or write the subnets"
                : "'dynamic' is the virtual IP the peer gives us, and the connection has no vips to ask for one; add \"vips\": [\"0.0.0.0\"] to the connection, or write the subnets");
            return [];
        }
        dynamic = true;
        return [];
    }

    /// <summary>
    /// A dynamic child's traffic pairs its virtual IP with the other side's selectors: an address family the pools lease (or
    /// vips ask for) that the other side's selectors do not hold would make a Child SA no packet can use.
    /// </summary>
    private static void CheckVirtualIpFamilies(string path, List<AddressPoolConfig> pools, List<IPAddress> vips, List<ChildSaConfig> children, ConfigProblems p)
    {
        foreach (var child in children)
        {
            if (child.RemoteDynamic)
            {
                foreach (var (pool, i) in pools.Select((x, i) => (x, i)).Where(x => !child.LocalTs.Any(ts => Family(ts) == x.x.Family)))
                    p.Add($"{path}.pools[{i}]", $"'{pool.Name}' leases {Name(pool.Family)} addresses ({pool}), and child {child.Name} (remote_ts dynamic) has no {Name(pool.Family)} local_ts to pair them with; add one, or use a pool of {string.Join(" or ", child.LocalTs.Select(Family).Distinct().Select(Name))}");
            }
            if (child.LocalDynamic)
            {
                foreach (var (vip, i) in vips.Select((x, i) => (x, i)).Where(x => !child.RemoteTs.Any(ts => Family(ts) == x.x.AddressFamily)))
                    p.Add($"{path}.vips[{i}]", $"'{vip}' asks for an {Name(vip.AddressFamily)} address, and child {child.Name} (local_ts dynamic) has no {Name(vip.AddressFamily)} remote_ts to reach with it; ask for {string.Join(" or ", child.RemoteTs.Select(Family).Distinct().Select(f => f == AddressFamily.InterNetwork ? "0.0.0.0" : "::"))}, or add such a remote_ts");
            }
        }
    }

    private static AddressFamily Family(TrafficSelector ts) => ts.StartAddress.AddressFamily;

    private static string Name(AddressFamily family) => family == AddressFamily.InterNetwork ? "IPv4" : "IPv6";
}
