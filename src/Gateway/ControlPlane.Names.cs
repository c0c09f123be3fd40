using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Gateway.Net;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway;

/// <summary>
/// Host names in remote_addrs, resolved as strongSwan resolves them: anew each time the gateway initiates the connection
/// (start_action start, `s2s initiate`, a trapped packet, the keeper's retries, a reload, the restart the engine asks for
/// when the peer died), and every <see cref="NameRefreshInterval"/> besides, so that as responder the connection accepts
/// the addresses its names have now. The engine never resolves (it does no I/O); the lookups run off the control lock
/// (<see cref="IHostResolver"/>, with its timeout), and their answer is applied as a step of its own: the engine's
/// addresses for the connection (<see cref="IkeEngine.SetRemoteAddresses"/>, remote_addrs in order with each name's
/// addresses in its place), the data path's accepted peers, then the children that waited. A name that does not
/// resolve keeps the addresses it had (none if it never resolved), with a warning when the gateway initiates; an
/// attempt left without any address fails as an unanswered one does, and is tried again as that one would be (the
/// keeper's back-off, the next trapped packet, `s2s initiate`).
/// </summary>
internal sealed partial class ControlPlane
{
    /// <summary>How old a connection's last lookup may be before its names are looked up again (for the peers it accepts).</summary>
    public static readonly TimeSpan NameRefreshInterval = TimeSpan.FromMinutes(1);

    private readonly IHostResolver _resolver;
    private bool _lookupsStopped;

    /// <summary>The lookup in flight per connection, and what waits for it.</summary>
    private readonly Dictionary<string, Lookup> _lookups = new(StringComparer.Ordinal);

    /// <summary>Per connection, each name's addresses as last resolved, and when its last lookup started.</summary>
    private readonly Dictionary<string, (Dictionary<string, IPAddress[]> Addresses, DateTimeOffset At)> _resolved = new(StringComparer.Ordinal);

    /// <summary>One connection's lookup of its names: the configuration it was made for, and the children to initiate once it answers.</summary>
    private sealed class Lookup(IkeSaConfig config)
    {
        public IkeSaConfig Config { get; } = config;
        public HashSet<string> Children { get; } = new(StringComparer.Ordinal);
        public bool AllChildren { get; set; }
        public bool Initiate => AllChildren || Children.Count > 0;
        public Task<(string Name, IPAddress[]? Addresses, string? Problem)[]> Answer { get; set; } = null!;

        /// <summary>The child (null: every child) to initiate once the names are resolved.</summary>
        public void Want(string? child)
        {
            if (child is null)
                AllChildren = true;
            else
                Children.Add(child);
        }
    }

    /// <summary>
    /// Brings up a connection's child (null: every child) as <see cref="IkeEngine.Initiate"/> does, after resolving its names
    /// when its remote_addrs has any. Inside a step.
    /// </summary>
    private void InitiateChild(IkeSaConfig connection, string? child)
    {
        if (!connection.HasRemoteNames)
        {
            Engine.Initiate(connection.Name, child);
            return;
        }
        LookUp(connection, child, initiate: true);
    }

    /// <summary>
    /// Starts looking up the connection's names, or joins the lookup in flight; with <paramref name="initiate"/> the
    /// child (null: every child) is initiated once they answer.
    /// </summary>
    private void LookUp(IkeSaConfig connection, string? child, bool initiate)
    {
        if (_lookupsStopped)
            return;
        if (_lookups.TryGetValue(connection.Name, out var running) && running.Config == connection)
        {
            if (initiate)
                running.Want(child);
            return;
        }
        var lookup = new Lookup(connection);
        if (initiate)
            lookup.Want(child);
        _lookups[connection.Name] = lookup;
        var names = _config.RemoteHosts.GetValueOrDefault(connection.Name)?.Select(h => h.Name).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase) ?? [];
        if (_resolved.TryGetValue(connection.Name, out var known))
            _resolved[connection.Name] = (known.Addresses, _time.GetUtcNow());
        else
            _resolved[connection.Name] = (new Dictionary<string, IPAddress[]>(StringComparer.OrdinalIgnoreCase), _time.GetUtcNow());
        lookup.Answer = Task.WhenAll(names.Select(ResolveAsync));
        // A resolver that answers at once (a test's) is applied in this step; a real lookup when it answers, as a step of its own.
        if (lookup.Answer.IsCompleted)
        {
            Run(() => Resolved(lookup));
            return;
        }
        lookup.Answer.ContinueWith(_ => ResolvedLater(lookup), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    private async Task<(string Name, IPAddress[]? Addresses, string? Problem)> ResolveAsync(string name)
    {
        try
        {
            return (name, await _resolver.ResolveAsync(name).ConfigureAwait(false), null);
        }
        catch (Exception e) when (e is SocketException or TimeoutException or ArgumentException)
        {
            return (name, null, e is TimeoutException ? "no answer in time" : e.Message);
        }
    }

    private void ResolvedLater(Lookup lookup)
    {
        try
        {
            Run(() => Resolved(lookup));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Log.LookupFailed(_log, lookup.Config.Name, e.Message);
        }
    }

    /// <summary>A lookup answered: the connection's addresses now, in the engine and the data path; then what waited for them.</summary>
    private void Resolved(Lookup lookup)
    {
        var name = lookup.Config.Name;
        // A newer lookup (after a reload) or none (the connection removed, s2s stopping) makes this one moot.
        if (!_lookups.TryGetValue(name, out var current) || current != lookup || _lookupsStopped)
            return;
        _lookups.Remove(name);
        if (!_config.Connections.Contains(lookup.Config) || !_resolved.TryGetValue(name, out var known))
            return;
        foreach (var (host, addresses, problem) in lookup.Answer.Result)
        {
            var usable = addresses is null ? [] : Usable(lookup.Config, addresses);
            if (usable.Length > 0)
            {
                known.Addresses[host] = usable;
                continue;
            }
            var why = problem ?? (addresses is { Length: > 0 } ? "no address of local_addrs' family" : "no address");
            var kept = known.Addresses.TryGetValue(host, out var last) ? $"its last addresses ({string.Join(", ", (IEnumerable<IPAddress>)last)}) stay" : "it has no address";
            if (lookup.Initiate)
                Log.NameUnresolved(_log, name, host, why, kept);
            else
                Log.NameUnresolvedOnRefresh(_log, name, host, why, kept);
        }
        var list = Addresses(name, known.Addresses);
        Engine.SetRemoteAddresses(name, list);
        Log.NamesResolved(_log, name, Describe(name));
        _acceptedPeers = AcceptedPeers(_config);
        _stale = true;
        if (!lookup.Initiate)
            return;
        if (list.Count == 0)
        {
            Log.NoAddress(_log, name);
            return;
        }
        try
        {
            if (lookup.AllChildren)
                Engine.Initiate(name);
            foreach (var child in lookup.AllChildren ? [] : lookup.Children)
                Engine.Initiate(name, child);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            Log.LookupFailed(_log, name, e.Message);
        }
    }

    /// <summary>The addresses the connection can use: of local_addrs' families when it has some.</summary>
    private static IPAddress[] Usable(IkeSaConfig connection, IPAddress[] addresses) =>
        connection.LocalAddresses.Count == 0 ? addresses : [.. addresses.Where(a => connection.LocalAddresses.Any(l => l.AddressFamily == a.AddressFamily))];

    /// <summary>remote_addrs in order, each name standing for the addresses it resolved to, each address once.</summary>
    private List<IPAddress> Addresses(string connection, Dictionary<string, IPAddress[]> resolved)
    {
        var list = new List<IPAddress>();
        foreach (var host in _config.RemoteHosts.GetValueOrDefault(connection) ?? [])
        {
            IEnumerable<IPAddress> addresses = host.Address is { } a ? [a] : resolved.GetValueOrDefault(host.Name!) ?? [];
            list.AddRange(addresses.Where(x => !list.Contains(x)));
        }
        return list;
    }

    /// <summary>Each name in the connection's remote_addrs with the addresses it resolved to last (a name that never did is left out); null for a connection without names.</summary>
    internal IReadOnlyDictionary<string, IPAddress[]>? ResolvedNamesOf(string connection) =>
        !_config.RemoteHosts.ContainsKey(connection) ? null
        : _resolved.TryGetValue(connection, out var known) ? known.Addresses : new Dictionary<string, IPAddress[]>();

    private List<string> Describe(string connection)
    {
        var resolved = _resolved.GetValueOrDefault(connection).Addresses;
        return [.. _config.RemoteHosts[connection].Select(h => h.Name is null ? h.ToString()
            : resolved?.GetValueOrDefault(h.Name) is { Length: > 0 } a ? $"{h.Name} ({string.Join(", ", (IEnumerable<IPAddress>)a)})" : $"{h.Name} (unresolved)")];
    }

    /// <summary>The timer's part: the names of every connection whose last lookup is older than <see cref="NameRefreshInterval"/> are looked up again.</summary>
    private void RefreshNames(DateTimeOffset now)
    {
        foreach (var c in _config.Connections.Where(c => c.HasRemoteNames))
        {
            if (!_lookups.ContainsKey(c.Name) && (!_resolved.TryGetValue(c.Name, out var known) || now - known.At >= NameRefreshInterval))
                LookUp(c, null, initiate: false);
        }
    }

    /// <summary>`s2s terminate`: what waited for a lookup is not initiated after all (every child, or one).</summary>
    private void CancelInitiate(string connection, string? child)
    {
        if (!_lookups.TryGetValue(connection, out var lookup))
            return;
        if (child is null)
        {
            lookup.AllChildren = false;
            lookup.Children.Clear();
        }
        else
        {
            lookup.Children.Remove(child);
        }
    }

    /// <summary>A reload removed or changed the connection: its lookup in flight and its names' addresses are forgotten.</summary>
    private void ForgetNames(string connection)
    {
        _lookups.Remove(connection);
        _resolved.Remove(connection);
    }

    /// <summary>At exit: no lookup answers any more, and none initiates.</summary>
    public void StopLookups()
    {
        lock (_sync)
        {
            _lookupsStopped = true;
            _lookups.Clear();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(3150, LogLevel.Warning, "{Connection}: remote_addrs name {Name} does not resolve ({Reason}); {Kept}")]
        public static partial void NameUnresolved(ILogger logger, string connection, string name, string reason, string kept);

        [LoggerMessage(3151, LogLevel.Debug, "{Connection}: remote_addrs name {Name} does not resolve ({Reason}); {Kept}")]
        public static partial void NameUnresolvedOnRefresh(ILogger logger, string connection, string name, string reason, string kept);

        [LoggerMessage(3152, LogLevel.Warning, "{Connection}: no address to initiate to, as no name in its remote_addrs resolved; tried again as a failed attempt is")]
        public static partial void NoAddress(ILogger logger, string connection);

        [LoggerMessage(3153, LogLevel.Debug, "{Connection}: remote_addrs resolved: {Hosts}")]
        public static partial void NamesResolved(ILogger logger, string connection, IReadOnlyList<string> hosts);

        [LoggerMessage(3154, LogLevel.Warning, "{Connection}: initiating after its names resolved failed: {Reason}")]
        public static partial void LookupFailed(ILogger logger, string connection, string reason);
    }
}
