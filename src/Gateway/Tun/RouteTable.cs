using System.Globalization;
using System.Net;
using System.Net.Sockets;
using S2SEndpoint.Gateway.Config;

namespace S2SEndpoint.Gateway.Tun;

// The kernel routes into the tunnel devices, all of them in one place: the shared device's (a policy-based child's
// remote selectors) and the tunnel interfaces' (a route-based child's routes). The kernel keeps one route per prefix
// and metric, so routes of one prefix and one metric into several tunnel interfaces are one multipath route with a
// nexthop per interface, of equal weight (ECMP). A nexthop whose interface has no carrier is skipped
// (ignore_routes_with_linkdown, which LinkConfigurator sets), so the traffic spreads over the tunnels that are up.
//
// The daemon says what it wants at start and on each reload, in two steps around the interfaces' addresses: Withdraw
// before addresses go (routes gone are deleted, a multipath route loses the nexthops of interfaces that left), Install
// after addresses come (new routes are added, a route gains the nexthops of interfaces that joined). A route whose
// nexthops change is replaced in one command, never deleted and added again. Every change is an iproute2 command
// (`ip [-n NETNS] route add|replace|del ...`); what was installed is remembered and deleted on Dispose, before the
// devices close, and what is already gone (the interface closed, the namespace deleted) is not an error then.
//
// A full tunnel (a policy-based child whose remote selectors hold 0.0.0.0/0 or ::/0) routes its family's default into
// TunnelRoute.FullTunnelTable, not main, and two rules per family lead there, as wg-quick's do for WireGuard: first
// main without its default routes (`ip rule add table main suppress_prefixlength 0`: the LANs, the link to the peer
// and anything more specific keep their routes), then the full tunnel's table for every packet that is not s2s's own
// (`ip rule add not fwmark MARK table TABLE`: the UDP sockets mark what they send, so IKE and ESP to the peer take
// main's default route). The rules come with the family's first route in that table and go with its last one.

/// <summary>The routes s2s installed into its tunnel devices, converged with iproute2 to what is wanted, removed on Dispose.</summary>
public sealed class RouteTable : IDisposable
{
    /// <summary>
    /// The gateway of each nexthop of an IPv6 multipath route. Linux takes no IPv6 nexthop that is a device alone ("Device
    /// only routes can not be added for IPv6 using the multipath API"). A TUN device has no link layer: its neighbours need
    /// no discovery (NUD_NOARP) and the gateway is in no packet; it only makes the nexthops ones the kernel spreads over.
    /// A link-local address that no tunnel interface should have: the kernel refuses a gateway that is its own address.
    /// </summary>
    public static readonly IPAddress Ipv6NexthopGateway = IPAddress.Parse("fe80::525");

    private readonly Func<IReadOnlyList<string>, IpCommand.Result> _run;
    private readonly Dictionary<(IPNetwork Prefix, uint Metric, uint Table), Route> _installed = [];
    private readonly Lock _lock = new();
    private readonly HashSet<AddressFamily> _ruled = [];

    /// <summary>The preferences of a full tunnel's two rules: main without default routes first, then the full tunnel's table.</summary>
    public const uint SuppressRulePreference = 5324, FullTunnelRulePreference = 5325;

    /// <summary>One route as the kernel has it from s2s: a device alone, or several as a multipath route.</summary>
    /// <param name="Metric">For a route into one device, the metric as written (null for the kernel's default).</param>
    /// <param name="Devices">In ordinal order.</param>
    /// <param name="Source">The <c>src</c> of the route (a road warrior's virtual IP), or null.</param>
    private sealed record Route(uint? Metric, string[] Devices, IPAddress? Source = null);

    /// <summary>Routes in the current network namespace, or in the named one.</summary>
    /// <param name="networkNamespace">A name from <c>ip netns list</c> (commands run as <c>ip -n NAME ...</c>), or null.</param>
    /// <exception cref="ArgumentException">The namespace name is not valid.</exception>
    public RouteTable(string? networkNamespace = null)
        : this(networkNamespace, IpCommand.Run)
    {
    }

    /// <summary>The same with another way to run ip commands, for tests.</summary>
    internal RouteTable(string? networkNamespace, Func<IReadOnlyList<string>, IpCommand.Result> run)
    {
        IpCommand.ValidateNamespace(networkNamespace, nameof(networkNamespace));
        NetworkNamespace = networkNamespace;
        _run = run;
    }

    /// <summary>The network namespace the commands run in, or null for the current one.</summary>
    public string? NetworkNamespace { get; }

    /// <summary>
    /// Takes away what <paramref name="wanted"/> no longer has, before the addresses the routes may lean on go: a route
    /// none of whose devices is wanted any more is deleted (<c>ip route del</c>), a multipath route that keeps some is
    /// replaced with those (<c>ip route replace</c>; into one device it becomes a plain route). A route already gone
    /// is not an error; any other failure is thrown as one exception once everything was tried.
    /// </summary>
    /// <param name="wanted">Each route with the device it goes into; see <see cref="Install"/>.</param>
    /// <exception cref="InvalidOperationException">ip failed.</exception>
    public void Withdraw(IEnumerable<(string Device, TunnelRoute Route)> wanted)
    {
        var want = Group(wanted);
        List<string>? failures = null;
        lock (_lock)
        {
            var ruled = FullTunnelFamilies(want.Keys);
            foreach (var family in _ruled.Where(f => !ruled.Contains(f)).ToList())
                DeleteRules(family, ref failures);
            foreach (var (key, have) in _installed.ToList())
            {
                var keep = want.TryGetValue(key, out var next) ? have.Devices.Where(next.Devices.Contains).ToArray() : [];
                if (keep.Length == have.Devices.Length)
                    continue;
                if (keep.Length == 0)
                {
                    // Forgotten once it is gone, not before: a route whose delete failed is still deleted on Dispose.
                    var result = Run(Delete(key, have));
                    if (result.Failure is { } failure && !result.Gone)
                        (failures ??= []).Add(failure);
                    else
                        _installed.Remove(key);
                    continue;
                }
                var kept = new Route(next!.Metric, keep, next.Source);
                if (Run(Arguments("replace", key, kept)).Failure is { } replaceFailure)
                    (failures ??= []).Add(replaceFailure);
                else
                    _installed[key] = kept;
            }
        }
        if (failures is not null)
            throw new InvalidOperationException(string.Join(" ", failures));
    }

    /// <summary>
    /// Installs what <paramref name="wanted"/> has and the kernel not yet, after the addresses the routes may lean on
    /// came: a new route is added (<c>ip route add PREFIX dev DEVICE [metric METRIC]</c>, or for several devices
    /// <c>ip route add PREFIX metric METRIC nexthop dev A weight 1 nexthop dev B weight 1</c>), a route whose devices
    /// changed is replaced (<c>ip route replace</c>). Adding, not replacing, a new route leaves a route that s2s did not
    /// install alone: ip answers "File exists".
    /// </summary>
    /// <param name="wanted">
    /// Each route with the device it goes into. Routes of one prefix and one effective metric (<see
    /// cref="TunnelRoute.EffectiveMetric"/>) into several devices make one multipath route, its nexthops in ordinal
    /// order of the devices' names.
    /// </param>
    /// <exception cref="InvalidOperationException">ip failed; the routes installed before are kept (and Dispose removes them).</exception>
    public void Install(IEnumerable<(string Device, TunnelRoute Route)> wanted)
    {
        var want = Group(wanted);
        lock (_lock)
        {
            foreach (var (key, next) in want)
            {
                var installed = _installed.TryGetValue(key, out var have);
                if (installed && have!.Devices.SequenceEqual(next.Devices, StringComparer.Ordinal) && Equals(have.Source, next.Source))
                    continue;
                if (Run(Arguments(installed ? "replace" : "add", key, next)).Failure is { } failure)
                    throw new InvalidOperationException(failure);
                _installed[key] = next;
            }
            foreach (var family in FullTunnelFamilies(want.Keys).Where(f => !_ruled.Contains(f)))
            {
                // Owned from the first add on, so that Dispose deletes a half-made pair. A rule of ours that a killed
                // s2s left behind goes first: an add of the same rule would fail ("File exists").
                _ruled.Add(family);
                foreach (var rule in Rules())
                {
                    var stale = Run(["-" + Family(family), "rule", "del", .. rule]);
                    if (stale.Failure is { } staleFailure && !stale.Gone)
                        throw new InvalidOperationException(staleFailure);
                    if (Run(["-" + Family(family), "rule", "add", .. rule]).Failure is { } failure)
                        throw new InvalidOperationException(failure);
                }
            }
        }
    }

    /// <summary>
    /// The IPv4 reverse-path filters set to strict (1) in this network namespace, as sysctl names them
    /// (<c>net.ipv4.conf.all.rp_filter</c>, <c>net.ipv4.conf.wan0.rp_filter</c>): a packet from the peer carries no mark,
    /// so with a full tunnel's rules its reverse path is the tunnel device, and a strict filter drops it (RFC 3704's
    /// strict mode; the kernel takes the larger of "all" and the device's value). Loopback is left out.
    /// </summary>
    public static IReadOnlyList<string> StrictReversePathFilters(string root = "/proc/sys/net/ipv4/conf")
    {
        var strict = new List<string>();
        try
        {
            foreach (var dir in Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal))
            {
                var name = System.IO.Path.GetFileName(dir);
                if (name is "lo" or "default" || !File.Exists(System.IO.Path.Combine(dir, "rp_filter")))
                    continue;
                if (File.ReadAllText(System.IO.Path.Combine(dir, "rp_filter")).Trim() == "1")
                    strict.Add($"net.ipv4.conf.{name}.rp_filter");
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not readable: nothing to say.
        }
        return strict;
    }

    /// <summary>The address families that have a route in the full tunnel's table.</summary>
    private static HashSet<AddressFamily> FullTunnelFamilies(IEnumerable<(IPNetwork Prefix, uint Metric, uint Table)> keys) =>
        [.. keys.Where(k => k.Table == TunnelRoute.FullTunnelTable).Select(k => k.Prefix.BaseAddress.AddressFamily)];

    /// <summary>A full tunnel's rules (the same for both families), as ip writes them after <c>rule add</c> (and <c>rule del</c>).</summary>
    private static string[][] Rules()
    {
        var culture = CultureInfo.InvariantCulture;
        return
        [
            ["table", "main", "suppress_prefixlength", "0", "pref", SuppressRulePreference.ToString(culture)],
            ["not", "fwmark", "0x" + TunnelRoute.FullTunnelMark.ToString("x", culture), "table", TunnelRoute.FullTunnelTable.ToString(culture), "pref", FullTunnelRulePreference.ToString(culture)],
        ];
    }

    private static string Family(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? "6" : "4";

    /// <summary>Deletes a family's full tunnel rules; one already gone is not an error. Under the lock.</summary>
    private void DeleteRules(AddressFamily family, ref List<string>? failures)
    {
        var failed = false;
        foreach (var rule in Rules())
        {
            var result = Run(["-" + Family(family), "rule", "del", .. rule]);
            if (result.Failure is { } failure && !result.Gone)
            {
                (failures ??= []).Add(failure);
                failed = true;
            }
        }
        if (!failed)
            _ruled.Remove(family);
    }

    /// <summary>
    /// Deletes every route this table installed. What is already gone is skipped (the kernel takes an IPv4 multipath
    /// route away with any of its devices); any other failure is thrown as one exception once everything was tried. A
    /// second call does nothing.
    /// </summary>
    public void Dispose()
    {
        List<string>? failures = null;
        lock (_lock)
        {
            foreach (var family in _ruled.ToList())
                DeleteRules(family, ref failures);
            _ruled.Clear();
            foreach (var (key, have) in _installed)
            {
                var result = Run(Delete(key, have));
                if (result.Failure is { } failure && !result.Gone)
                    (failures ??= []).Add(failure);
            }
            _installed.Clear();
        }
        if (failures is not null)
            throw new InvalidOperationException(string.Join(" ", failures));
    }

    /// <summary>The wanted routes by prefix and effective metric, each with its devices.</summary>
    private static Dictionary<(IPNetwork Prefix, uint Metric, uint Table), Route> Group(IEnumerable<(string Device, TunnelRoute Route)> wanted)
    {
        ArgumentNullException.ThrowIfNull(wanted);
        var groups = new Dictionary<(IPNetwork Prefix, uint Metric, uint Table), (uint? Metric, SortedSet<string> Devices, IPAddress? Source)>();
        foreach (var (device, route) in wanted)
        {
            InterfaceName.Validate(device, nameof(wanted), allowPattern: false);
            ArgumentNullException.ThrowIfNull(route, nameof(wanted));
            var key = (route.Prefix, route.EffectiveMetric, route.Table ?? 0);
            if (!groups.TryGetValue(key, out var group))
                groups[key] = group = (route.Metric, new SortedSet<string>(StringComparer.Ordinal), route.Source);
            else if (group.Source is null && route.Source is not null)
                groups[key] = group = group with { Source = route.Source };
            group.Devices.Add(device);
        }
        return groups.ToDictionary(g => g.Key, g => new Route(g.Value.Metric, [.. g.Value.Devices], g.Value.Source));
    }

    /// <summary>
    /// <c>route VERB PREFIX dev DEVICE [metric METRIC]</c> for one device; for several, <c>route VERB PREFIX metric
    /// METRIC nexthop [via GATEWAY] dev A weight 1 ...</c> with the effective metric, since the route is one for it.
    /// </summary>
    private static string[] Arguments(string verb, (IPNetwork Prefix, uint Metric, uint Table) key, Route route)
    {
        var culture = CultureInfo.InvariantCulture;
        string[] table = key.Table == 0 ? [] : ["table", key.Table.ToString(culture)];
        if (route.Source is { } source)
            table = [.. table, "src", source.ToString()];
        if (route.Devices.Length == 1)
        {
            string[] single = ["route", verb, key.Prefix.ToString(), "dev", route.Devices[0], .. table];
            return route.Metric is { } m ? [.. single, "metric", m.ToString(culture)] : single;
        }
        var arguments = new List<string> { "route", verb, key.Prefix.ToString(), "metric", key.Metric.ToString(culture) };
        var ipv6 = key.Prefix.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6;
        foreach (var device in route.Devices)
        {
            arguments.Add("nexthop");
            if (ipv6)
                arguments.AddRange(["via", Ipv6NexthopGateway.ToString()]);
            arguments.AddRange(["dev", device, "weight", "1"]);
        }
        return [.. arguments, .. table];
    }

    /// <summary>
    /// The delete of an installed route, as it was added: a multipath route with its nexthops. By prefix and metric
    /// alone, an IPv4 delete takes the first route of the prefix whatever its nexthops (and with metric 0 whatever its
    /// metric): once the kernel has taken s2s's route away with one of its devices, that would be another one, FRR's
    /// for instance. With the nexthops it takes only a route through the first of these devices (IPv4 with metric 0
    /// still matches any metric there; IPv6 matches exactly).
    /// </summary>
    private static string[] Delete((IPNetwork Prefix, uint Metric, uint Table) key, Route route) => Arguments("del", key, route);

    /// <summary>Runs ip in the namespace: the failure sentence (null on success) and whether it failed because the route is gone.</summary>
    private (string? Failure, bool Gone) Run(string[] arguments)
    {
        var run = IpCommand.InNamespace(NetworkNamespace, arguments);
        var result = _run(run);
        return result.ExitCode == 0 ? (null, false) : (IpCommand.Failure(run, result), result.IsGone);
    }
}
