using System.Net;
using Microsoft.Extensions.Logging;
using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Gateway.Net;
using S2SEndpoint.Gateway.Policy;
using S2SEndpoint.Gateway.Updown;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway;

/// <summary>
/// The gateway's control plane: the IKE engine, commands, timers and reload, one at a time under a private lock. It
/// owns the children's routes, the policies and the device map, builds the data path's snapshots from them and from
/// what the kernel chose, and publishes them.
///
/// Every call that drives the engine is a step (<see cref="Run"/>): while it runs nothing leaves the gateway; what
/// the engine told the kernel is only noted. After the step returns, <see cref="Flush"/> applies it, in this order:
///   1. the kernel's changes: routes of new children, policies added and removed, endpoints moved (logged);
///   2. make before break: new inbound SAs into the table, the next snapshot published (each child's outbound SA
///      with its endpoints, our IKE SPIs), removed inbound SAs out of the table; then the carrier of each route-based
///      child's device, on while the child has a Child SA installed and off while it has none; and the child's updown
///      runs queued when its first Child SA came or its last one went (ControlPlane.Updown.cs);
///   3. the engine's datagrams sent (IKE on 4500 with the non-ESP marker);
///   4. what trapped children held, sealed and sent through their new SAs;
///   5. the engine's events kept for status.
/// So no packet leaves from inside <see cref="IkeEngine.Receive"/>, <see cref="IkeEngine.OnTimer"/> or a command.
/// </summary>
internal sealed partial class ControlPlane
{
    private const int MaxEvents = 200;

    private readonly Lock _sync = new();
    private readonly IGatewayIo _io;
    private readonly TimeProvider _time;
    private readonly GatewayCounters _counters;
    private readonly ILogger _log;
    private readonly Queue<IkeEvent> _events = new();
    private readonly Dictionary<uint, RouteEntry> _routes = [];
    private readonly Dictionary<string, uint> _devices = new(StringComparer.Ordinal);
    private HashSet<string> _carrierUp = new(StringComparer.Ordinal);
    private GatewayConfig _config;
    private SecurityPolicyDatabase _policies = SecurityPolicyDatabase.Empty;
    private HashSet<IPAddress>? _acceptedPeers;
    private HashSet<ulong> _knownSpis = [];
    private bool _stale = true;
    private int _depth;

    /// <summary>
    /// A child the gateway routes: made when its first SA is installed or its trap is set up, kept across its SAs,
    /// forgotten when a reload removes or changes its connection.
    /// </summary>
    private sealed record RouteEntry(uint ReqId, string Connection, string Child, string Device, TrapQueue? Trap);

    /// <param name="updown">Where the children's updown runs go; null: no script runs.</param>
    /// <param name="resolver">Who looks up host names in remote_addrs; null: the system's (<see cref="DnsResolver"/>).</param>
    public ControlPlane(GatewayConfig config, IGatewayIo io, TimeProvider time, IRandomSource random, ILoggerFactory logs, string sharedDevice, GatewayCounters counters,
        IUpdownRunner? updown = null, IHostResolver? resolver = null)
    {
        _config = config;
        _updown = updown;
        _io = io;
        _time = time;
        _counters = counters;
        _log = logs.CreateLogger("gateway");
        _resolver = resolver ?? new DnsResolver(time);
        SharedDevice = sharedDevice;
        var keys = WiresharkKeys.Open(config.Settings.WiresharkKeys, _log);
        Kernel = new EspKernel(new SaTable(), random, time, config.Settings.ReplayWindow, IsHub, logs.CreateLogger("esp"), keys, IsPolicyBased);
        Engine = new IkeEngine(config.Connections, Kernel, time, random, logs.CreateLogger("ike"), new IkeEngineOptions { KeyLog = keys });
        _acceptedPeers = AcceptedPeers(config);
        Keeper = new ConnectionKeeper(Engine, Kernel, io, counters, time, _log, InitiateChild);
        Data = new DataPath(this, io, Kernel.Table, counters, new SourceRateLimiter(time, GatewayCore.NewSaBurst, GatewayCore.NewSaPerSecond), time);
        Run(() =>
        {
            SetUpTraps(config);
            RefreshNames(time.GetUtcNow());
        });
    }

    public IkeEngine Engine { get; }
    public EspKernel Kernel { get; }
    public DataPath Data { get; }
    public ConnectionKeeper Keeper { get; }
    public string SharedDevice { get; }

    /// <summary>The configuration now; a reload replaces it whole.</summary>
    public GatewayConfig Config => Volatile.Read(ref _config);

    /// <summary>The most recent SA events, oldest first; read under <see cref="Inspect"/>.</summary>
    public IReadOnlyCollection<IkeEvent> RecentEvents => _events;

    /// <summary>The SA events as they happen, for `s2s monitor`.</summary>
    public Control.EventFeed Feed { get; } = new();

    /// <summary>Whether a step that drives the engine runs now: no I/O may happen while it does.</summary>
    public bool InsideEngine => Volatile.Read(ref _depth) > 0;

    public DateTimeOffset NextDeadline
    {
        get
        {
            lock (_sync)
                return Engine.NextDeadline;
        }
    }

    /// <summary>Runs <paramref name="read"/> under the control lock, for what only the control plane may touch (status).</summary>
    public T Inspect<T>(Func<T> read)
    {
        lock (_sync)
            return read();
    }

    /// <summary>
    /// Runs <paramref name="step"/>, which may drive the engine, under the control lock; then, unless it is nested in
    /// another step, applies what the engine told the kernel and sends what it queued (<see cref="Flush"/>). A step that
    /// throws is not flushed: what it left goes out with the next flush (the timer's, at the latest a second later).
    /// </summary>
    public T Run<T>(Func<T> step)
    {
        lock (_sync)
        {
            T result;
            _depth++;
            try
            {
                result = step();
            }
            finally
            {
                _depth--;
            }
            Flush();
            return result;
        }
    }

    public void Run(Action step) => Run(() =>
    {
        step();
        return true;
    });

    // ---- steps ----

    /// <summary>Brings up the children whose start_action is start.</summary>
    public void Start() => Run(() =>
    {
        foreach (var c in _config.Connections)
        {
            foreach (var child in c.Children.Where(x => x.StartAction == StartAction.Start))
                InitiateChild(c, child.Name);
        }
    });

    public void Initiate(string connection, string? child) => Run(() =>
    {
        if (_config.Connections.FirstOrDefault(c => c.Name == connection) is { HasRemoteNames: true } named)
        {
            if (child is not null && !named.Children.Any(c => c.Name == child))
                throw new ArgumentException($"connection '{connection}' has no child '{child}'; it has: {string.Join(", ", named.Children.Select(c => c.Name))}", nameof(child));
            InitiateChild(named, child);
        }
        else
        {
            Engine.Initiate(connection, child);
        }
        Keeper.Release(connection);
    });

    public void Terminate(string connection, string? child) => Run(() =>
    {
        CancelInitiate(connection, child);
        if (child is null)
        {
            Engine.Terminate(connection);
            Keeper.HoldDown(connection);
        }
        else
        {
            Engine.TerminateChild(connection, child);
        }
    });

    /// <summary>An IKE message the data path let through.</summary>
    public void Receive(Datagram datagram) => Run(() => Engine.Receive(datagram));

    /// <summary>Runs what is due: the kernel's usage poll, the engine's timers, the keeper; then, after the engine, keepalives.</summary>
    public void OnTimer()
    {
        lock (_sync)
        {
            var now = _time.GetUtcNow();
            Run(() =>
            {
                Kernel.PollUsage();
                Engine.OnTimer();
                Keeper.OnTimer(_config, now);
                RefreshNames(now);
            });
            Kernel.Sweep();
            Keeper.SendKeepalives(now);
        }
    }

    /// <summary>
    /// A trapped child's packet asked for its SA (or found it published after it queued). Brings the SA up unless
    /// an IKE SA of the connection is still coming up; what waits goes out in the flush once the SA is there.
    /// </summary>
    public void OnTrapped(ChildRoute route) => Run(() =>
    {
        // A reload may have removed the trap while this worker waited; with an SA there, the flush sends what waits.
        // A policy-based child the peer narrowed has its SAs under other request IDs than its trap's: it is up, and
        // what its policies do not hold is not brought up again and again (the held packets time out).
        if (!_routes.TryGetValue(route.ReqId, out var entry) || entry.Trap != route.Trap || Kernel.TryGetOutbound(route.ReqId, out _) ||
            Kernel.All.Any(i => i.Install.Connection == route.Connection && i.Install.Child == route.Child))
            return;
        if (Engine.Sas.Any(s => s.Config.Name == route.Connection && s.State is IkeSaState.Connecting or IkeSaState.Authenticating))
            return;
        Log.Trapped(_log, route.Connection, route.Child);
        try
        {
            InitiateChild(_config.Connections.First(c => c.Name == route.Connection), route.Child);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            Log.TrapFailed(_log, route.Connection, route.Child, e.Message);
        }
    });

    /// <summary>
    /// Applies a changed configuration: removed and changed connections are terminated, added and changed
    /// ones take their new settings and start as their start_action says; the others keep their SAs.
    /// </summary>
    public void Reload(GatewayConfig next, ConfigDiff diff) => Run(() =>
    {
        foreach (var name in diff.Removed.Concat(diff.Changed))
        {
            Engine.Terminate(name);
            RemoveRoutes(name);
            ForgetNames(name);
        }
        foreach (var name in diff.Removed)
        {
            Engine.RemoveConnection(name);
            Keeper.Forget(name);
        }
        var fresh = new HashSet<string>(diff.Added.Concat(diff.Changed), StringComparer.Ordinal);
        foreach (var c in next.Connections.Where(c => fresh.Contains(c.Name)))
            Engine.SetConnection(c);
        Volatile.Write(ref _config, next);
        _acceptedPeers = AcceptedPeers(next);
        _stale = true;
        SetUpTraps(next, fresh);
        foreach (var c in next.Connections.Where(c => fresh.Contains(c.Name)))
        {
            foreach (var child in c.Children.Where(x => x.StartAction == StartAction.Start))
                InitiateChild(c, child.Name);
        }
        RefreshNames(_time.GetUtcNow());
    });

    // ---- after the engine ----

    /// <summary>
    /// Applies what the engine told the kernel, publishes the data path's next snapshot, sends what the engine queued
    /// and what trapped children held, and keeps the engine's events. Inside a step it does nothing: the step's end
    /// flushes.
    /// </summary>
    public void Flush()
    {
        lock (_sync)
        {
            if (_depth > 0)
                return;
            ApplyKernelChanges();
            UpdateVirtualIps();
            foreach (var d in Engine.TakeOutgoing())
            {
                if (d.Local.Port == UdpEncapsulation.Port)
                {
                    var framed = new byte[UdpEncapsulation.NonEspMarkerSize + d.Data.Length];
                    d.Data.CopyTo(framed, UdpEncapsulation.NonEspMarkerSize);
                    _io.SendUdp(d.Local, d.Remote, framed);
                }
                else
                {
                    _io.SendUdp(d.Local, d.Remote, d.Data);
                }
            }
            ReleaseHeld();
            // The engine logs SA lifecycle itself; the last events are kept for status and go to `s2s monitor`.
            var now = _time.GetUtcNow();
            var restarts = new List<RestartWanted>();
            foreach (var e in Engine.TakeEvents())
            {
                _events.Enqueue(e);
                if (_events.Count > MaxEvents)
                    _events.Dequeue();
                Feed.Publish(e, now);
                if (e is RestartWanted restart)
                    restarts.Add(restart);
            }
            // A restart whose remote_addrs name hosts: the names are resolved anew, then the children initiated (a step of its own).
            foreach (var restart in restarts)
            {
                if (_config.Connections.FirstOrDefault(c => c.Name == restart.Connection) is { } connection)
                {
                    Run(() =>
                    {
                        foreach (var child in restart.Children)
                            InitiateChild(connection, child);
                    });
                }
            }
        }
    }

    private void ApplyKernelChanges()
    {
        var changes = Kernel.TakeChanges();
        // Our SPIs as they are now, before anything goes out that a peer could answer.
        var spis = Engine.Sas.Select(sa => sa.LocalSpi).ToHashSet();
        if (!spis.SetEquals(_knownSpis))
        {
            _knownSpis = spis;
            _stale = true;
        }
        if (changes.Count == 0 && !_stale)
            return;
        var newRoutes = false;
        foreach (var (kind, installed) in changes)
        {
            var install = installed.Install;
            switch (kind)
            {
                case KernelChangeKind.Installed:
                    newRoutes |= AddRoute(installed);
                    break;
                case KernelChangeKind.Removed or KernelChangeKind.Superseded:
                    _policies = _policies.Remove(install.InboundSpi);
                    ForgetIfIdle(installed.ReqId);
                    break;
                case KernelChangeKind.EndpointsMoved when _routes.ContainsKey(installed.ReqId):
                    Log.PeerMoved(_log, install.Connection, install.Child, installed.Remote.ToString());
                    break;
            }
        }
        // A new child's route is there before its inbound SA, so that its first packet finds its device.
        if (newRoutes)
            Data.Publish(Build(Data.Snapshot));
        Kernel.Apply(changes, () => Data.Publish(Build(null)));
        _stale = false;
        UpdateCarriers();
        QueueUpdown(changes);
    }

    /// <summary>
    /// Carrier follows the child: a route-based child's device has carrier while a Child SA of the child is installed
    /// (across rekeys, whose new SA comes before the old one goes), and none while it has none, so that a routing daemon
    /// and the kernel's route lookup turn to another tunnel at once. A child with start_action trap keeps carrier while
    /// its trap is set: its traffic must reach the device to bring the tunnel up. Devices start without it; only
    /// changes are told.
    /// </summary>
    private void UpdateCarriers()
    {
        var installed = Kernel.All.Select(i => i.ReqId).ToHashSet();
        var up = _routes.Values.Where(r => _devices.ContainsKey(r.Device) && (installed.Contains(r.ReqId) || r.Trap is not null)).Select(r => r.Device).ToHashSet(StringComparer.Ordinal);
        if (up.SetEquals(_carrierUp))
            return;
        foreach (var device in up.Where(d => !_carrierUp.Contains(d)))
            _io.SetCarrier(device, true);
        foreach (var device in _carrierUp.Where(d => !up.Contains(d)))
            _io.SetCarrier(device, false);
        _carrierUp = up;
    }

    /// <summary>
    /// A policy-based child's route of one pair of selectors (or one hub peer) whose last SA went: forgotten with its
    /// request ID, unless a trap holds it. Its device and a route-based child's stay as the configuration made them.
    /// </summary>
    private void ForgetIfIdle(uint reqId)
    {
        if (!_routes.TryGetValue(reqId, out var entry) || entry.Trap is not null || _devices.ContainsKey(entry.Device) || !Kernel.ForgetReqId(reqId))
            return;
        _routes.Remove(reqId);
    }

    /// <summary>The route, device and policy of an installed SA's child; true when the child had no route before.</summary>
    private bool AddRoute(EspKernel.Installed installed)
    {
        var install = installed.Install;
        var iface = Interface(install.Connection, install.Child);
        var device = iface ?? SharedDevice;
        var added = false;
        if (!_routes.TryGetValue(installed.ReqId, out var entry) || entry.Device != device)
        {
            _routes[installed.ReqId] = new RouteEntry(installed.ReqId, install.Connection, install.Child, device, entry?.Trap);
            added = true;
        }
        if (iface is not null)
            _devices[iface] = installed.ReqId;
        else
            _policies = _policies.Add(installed.ReqId, install.InboundSpi, install.LocalTs, install.RemoteTs);
        return added;
    }

    /// <summary>
    /// The data path's next snapshot: each route with the SA the kernel chose for its child and that SA's endpoints,
    /// or, with <paramref name="outboundFrom"/>, with the SA the data path uses now (none for a new child).
    /// </summary>
    private DataPathSnapshot Build(DataPathSnapshot? outboundFrom)
    {
        var routes = new Dictionary<uint, ChildRoute>(_routes.Count);
        foreach (var entry in _routes.Values)
        {
            EspSa? sa = null;
            IPEndPoint? local = null, remote = null;
            if (outboundFrom is not null)
            {
                if (outboundFrom.Routes.TryGetValue(entry.ReqId, out var current))
                    (sa, local, remote) = (current.Outbound, current.Local, current.Remote);
            }
            else if (Kernel.TryGetOutbound(entry.ReqId, out var chosen))
            {
                (sa, local, remote) = (chosen.Outbound, chosen.Local, chosen.Remote);
            }
            routes[entry.ReqId] = new ChildRoute(entry.ReqId, entry.Connection, entry.Child, entry.Device, sa, local, remote, entry.Trap,
                MssClamp(entry.Connection, entry.Child));
        }
        return new DataPathSnapshot
        {
            Routes = routes,
            ReqIdOfDevice = new Dictionary<string, uint>(_devices, StringComparer.Ordinal),
            Policies = _policies,
            KnownIkeSpis = _knownSpis,
            AcceptedPeers = _acceptedPeers,
        };
    }

    /// <summary>
    /// Sends what trapped children held, through the SAs they have now; what waited too long is dropped. A policy-based
    /// child's packet goes through the policy that holds it: the peer may have narrowed the child to other selectors
    /// (another request ID than the trap's), or brought up one SA per selector pair; one that no SA holds is dropped and counted.
    /// </summary>
    private void ReleaseHeld()
    {
        var snapshot = Data.Snapshot;
        foreach (var entry in _routes.Values)
        {
            if (entry.Trap is not { } trap || !trap.IsWaiting || !snapshot.Routes.TryGetValue(entry.ReqId, out var own))
                continue;
            var policyBased = !_devices.ContainsKey(entry.Device);
            if (own.Outbound is null && (!policyBased || !Kernel.All.Any(i => i.Install.Connection == entry.Connection && i.Install.Child == entry.Child)))
                continue;
            foreach (var packet in trap.TakeFresh())
            {
                var route = own;
                if (policyBased && snapshot.Policies.TryLookup(packet, out var reqId) && snapshot.Routes.TryGetValue(reqId, out var held))
                    route = held;
                if (route.Outbound is not { } sa)
                {
                    _counters.Count(GatewayDropReason.NoSa);
                    continue;
                }
                var buffer = new PacketBuffer(packet.Length + PacketBuffer.Headroom + PacketBuffer.Tailroom);
                packet.CopyTo(buffer.ResetForInnerPacket().Span);
                buffer.SetLength(packet.Length);
                Data.Send(route, sa, buffer);
            }
        }
    }

    // ---- configuration ----

    /// <summary>Trap policies (policy-based) and trap devices (route-based) for the children that ask for them.</summary>
    private void SetUpTraps(GatewayConfig config, HashSet<string>? only = null)
    {
        foreach (var c in config.Connections.Where(c => only is null || only.Contains(c.Name)))
        {
            foreach (var child in c.Children.Where(x => x.StartAction == StartAction.Trap))
            {
                // The peer only tells a hub's peers apart; a connection to a peer (an address or a host name) is none.
                var peer = c.RemoteAddresses.FirstOrDefault(a => !a.Equals(IPAddress.Any) && !a.Equals(IPAddress.IPv6Any)) ?? IPAddress.None;
                var reqId = Kernel.ReqIdOf(c.Name, child.Name, peer, child.LocalTs, child.RemoteTs);
                var iface = Interface(c.Name, child.Name);
                _routes[reqId] = new RouteEntry(reqId, c.Name, child.Name, iface ?? SharedDevice, new TrapQueue(_time, _counters));
                if (iface is not null)
                    _devices[iface] = reqId;
                else
                    _policies = _policies.AddTrap(reqId, child.LocalTs, child.RemoteTs);
            }
        }
        _stale = true;
    }

    /// <summary>
    /// Forgets a connection's routes, trap policies and device mappings (a reload removed or changed it):
    /// its devices may now belong to another tunnel, and its next SAs take the new settings.
    /// </summary>
    private void RemoveRoutes(string connection)
    {
        var gone = _routes.Values.Where(r => r.Connection == connection).ToList();
        foreach (var route in gone)
        {
            _routes.Remove(route.ReqId);
            if (route.Trap is { } trap)
            {
                trap.Discard();
                _policies = _policies.RemoveTrap(route.ReqId);
            }
        }
        foreach (var device in _devices.Where(d => gone.Exists(r => r.ReqId == d.Value)).Select(d => d.Key).ToList())
            _devices.Remove(device);
        _stale = true;
    }

    /// <summary>
    /// The peers whose IKE_SA_INIT the data path lets through: every connection's remote_addrs, a host name's as the engine
    /// has them (resolved last); null when a connection accepts any peer.
    /// </summary>
    private HashSet<IPAddress>? AcceptedPeers(GatewayConfig config)
    {
        if (config.Connections.Any(c => c.AcceptsAnyPeer))
            return null;
        return [.. config.Connections.SelectMany(c => Engine.RemoteAddressesOf(c.Name))];
    }

    /// <summary>A hub: a connection whose remote_addrs let any peer in, so that each peer's children get their own request IDs.</summary>
    private bool IsHub(string connection) =>
        _config.Connections.FirstOrDefault(c => c.Name == connection) is not { } c || c.AcceptsAnyPeer;

    /// <summary>A child without a tunnel interface of its own: its SAs are found through their policies on the shared device.</summary>
    private bool IsPolicyBased(string connection, string child) => Interface(connection, child) is null;

    private string? Interface(string connection, string child) =>
        _config.Routing.FirstOrDefault(r => r.Connection == connection && r.Child == child)?.Interface;

    /// <summary>children.NAME.mss_clamp of the configuration now: a reload that changes it publishes it with the next snapshot.</summary>
    private ushort MssClamp(string connection, string child) =>
        (ushort)(_config.Routing.FirstOrDefault(r => r.Connection == connection && r.Child == child)?.MssClamp ?? 0);

    private static partial class Log
    {
        [LoggerMessage(3101, LogLevel.Information, "{Connection}/{Child}: a packet matched the trap; bringing the Child SA up")]
        public static partial void Trapped(ILogger logger, string connection, string child);

        [LoggerMessage(3102, LogLevel.Information, "{Connection}/{Child}: the peer is now at {Remote}; ESP follows")]
        public static partial void PeerMoved(ILogger logger, string connection, string child, string remote);

        [LoggerMessage(3104, LogLevel.Warning, "{Connection}/{Child}: a trapped packet could not start the Child SA: {Reason}")]
        public static partial void TrapFailed(ILogger logger, string connection, string child, string reason);
    }
}
