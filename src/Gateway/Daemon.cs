using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Gateway.Control;
using S2SEndpoint.Gateway.Net;
using S2SEndpoint.Gateway.Tun;
using S2SEndpoint.Gateway.Updown;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Gateway;

/// <summary>
/// `s2s run`: the gateway on a real machine. It opens the tunnel devices (one shared by the policy-based
/// children, one per route-based child), each with one queue per worker, and routes the remote selectors
/// or the child's routes through them, binds UDP 500 and 4500, listens on the control socket, and drives
/// one <see cref="GatewayCore"/> from the device readers and socket readers (one per worker on each device
/// and on port 4500: the data path runs on all of them at once) and a timer. `s2s reload` re-reads the
/// file and opens or closes devices as the tunnels that changed need. Children's updown scripts run in an
/// <see cref="UpdownRunner"/>. SIGTERM and SIGINT delete the SAs, run the down scripts of the children still up, and
/// remove every device, route, socket and file it made.
/// </summary>
internal sealed partial class Daemon : IGatewayIo, IDisposable
{
    private readonly string? _configPath;
    private readonly string? _controlOverride;
    private readonly ILoggerFactory _logs;
    private readonly ILogger _log;
    private readonly ILogger _tunLog;
    private readonly ILogger _configLog;
    private readonly ManualResetEventSlim _stop = new();

    /// <summary>The real clock: the daemon is where it is owned; everything below takes it as a TimeProvider.</summary>
    private readonly TimeProvider _time = TimeProvider.System;

    /// <summary>How long shutdown waits after sending the deletes, before it closes the sockets.</summary>
    private static readonly TimeSpan DeleteGrace = TimeSpan.FromMilliseconds(200);

    /// <summary>How long shutdown waits for the updown scripts (the downs of the children still up among them) before it kills them.</summary>
    private static readonly TimeSpan UpdownGrace = TimeSpan.FromSeconds(10);
    private readonly Lock _reloadLock = new();
    private GatewayConfig _config;

    /// <summary>The virtual IPs peers gave this host, by connection and device, as the control plane told them; under <see cref="_reloadLock"/>.</summary>
    private readonly Dictionary<(string Connection, string Device), HashSet<IPAddress>> _virtualIps = [];

    /// <summary>What the control plane told since the timer loop last applied it (it runs ip, off the control lock).</summary>
    private readonly System.Collections.Concurrent.ConcurrentQueue<(string Connection, string Device, IPAddress Address, bool Present)> _virtualIpChanges = new();
    private readonly AutoResetEvent _virtualIpWake = new(false);
    private Dictionary<string, Device> _devices = new(StringComparer.Ordinal);
    private readonly RouteTable _routes = new();
    private UdpTransport? _udp;

    /// <summary>Whether a full tunnel was ever routed: from then on the sockets' packets are marked to keep the main table.</summary>
    private bool _fullTunnel;
    private GatewayCore? _core;
    private ControlServer? _control;
    private GatewayMetrics? _metrics;
    private UpdownRunner? _updown;

    /// <summary>An open tunnel device: its queues' readers, its link settings and its addresses (its routes are in <see cref="_routes"/>).</summary>
    private sealed class Device(TunDevice tun, LinkConfigurator link)
    {
        public TunDevice Tun { get; } = tun;
        public LinkConfigurator Link { get; } = link;
        public List<Thread> Readers { get; } = [];
        public HashSet<InterfaceAddress> Addresses { get; } = [];
    }

    /// <summary>What a device should have: the routes into it and, for a route-based child's, its addresses.</summary>
    private sealed record WantedDevice(bool RouteBased, HashSet<TunnelRoute> Routes, HashSet<InterfaceAddress> Addresses);

    /// <param name="controlOverride">`--control PATH`, which beats the file's gateway.control_socket, also on reload.</param>
    public Daemon(GatewayConfig config, ILoggerFactory logs, string? configPath = null, string? controlOverride = null)
    {
        _controlOverride = controlOverride;
        _config = config;
        _configPath = configPath;
        _logs = logs;
        _log = logs.CreateLogger("gateway");
        _tunLog = logs.CreateLogger("tun");
        _configLog = logs.CreateLogger("config");
        Workers = config.Settings.Workers > 0 ? config.Settings.Workers : Environment.ProcessorCount;
    }

    /// <summary>Data-path workers: readers per device and on port 4500.</summary>
    public int Workers { get; }

    /// <summary>Runs until SIGTERM or SIGINT; returns the exit code.</summary>
    public int Run()
    {
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        try
        {
            var shared = ResolveSharedDevice(_config);
            _updown = new UpdownRunner(_log, _time);
            _core = new GatewayCore(_config, this, _time, SystemRandomSource.Instance, _logs, shared, _updown, new DnsResolver(_time));
            _control = new ControlServer(_config.Settings.ControlSocket, new DaemonControl(this, _core), _logs.CreateLogger("control"), _config.Settings.ControlGroup, _time);
            _control.Start();
            if (_config.Settings.Metrics is { } metrics)
                _metrics = new GatewayMetrics(_core, metrics);
            // The sockets before the devices: a device's readers send through them.
            _udp = new UdpTransport(UdpTransport.AddressesFor(_config.Connections.Select(c => c.LocalAddresses)), 500, UdpEncapsulation.Port, Workers, _config.Settings.Offload);
            SyncDevices(_config);
            Log.Listening(_log, string.Join(", ", _udp.Addresses));
            if (_config.Settings.Offload)
                Log.UdpOffloads(_log, _udp.Gso ? "on" : "off", _udp.Gro ? "on" : "off");
            if (_fullTunnel)
                _udp.SetMark(TunnelRoute.FullTunnelMark);
            var udpReaders = 0;
            _udp.Start(() => new UdpReader(_core, NewOutput(Interlocked.Increment(ref udpReaders) - 1)));
            _core.Start();
            Log.Started(_log, _config.Connections.Count, string.Join(", ", _devices.Keys), Workers, _config.Settings.ControlSocket);
            TimerLoop();
            return 0;
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidOperationException or ArgumentException or PlatformNotSupportedException)
        {
            Log.StartFailed(_log, e.Message);
            return 1;
        }
        finally
        {
            Shutdown();
        }
    }

    private void Stop(PosixSignalContext context)
    {
        context.Cancel = true;
        _stop.Set();
    }

    // ---- devices ----

    /// <summary>
    /// The shared device's name: opened now when the configuration has policy-based children, so that a
    /// "%d" pattern is resolved before the core is made; else the configured name.
    /// </summary>
    private string ResolveSharedDevice(GatewayConfig config)
    {
        if (!config.Routing.Any(r => r.Interface is null))
            return config.Settings.TunName;
        return OpenDevice(config.Settings.TunName, routeBased: false);
    }

    /// <summary>
    /// Opens a device and brings it up. A route-based child's device starts without carrier (its child has no SA yet;
    /// the control plane turns carrier on with <see cref="SetCarrier"/>), and the kernel passes over its routes while it
    /// has none, so that a route of a higher metric through another tunnel carries instead.
    /// </summary>
    private string OpenDevice(string name, bool routeBased)
    {
        var tun = TunDevice.Open(name, Workers, _config.Settings.Offload);
        LinkConfigurator? link = null;
        try
        {
            link = new LinkConfigurator(tun.Name);
            link.SetMtu(_config.Settings.Mtu);
            if (_config.Settings.Offload && !tun.Offload)
                Log.TunOffloadRefused(_tunLog, tun.Name);
            if (tun.Offload)
            {
                try
                {
                    link.SetGsoMaxSegments(TunReadBatch.MaxSegments);
                }
                catch (InvalidOperationException e)
                {
                    // The kernel's default lets TCP make super-packets of more segments than a read splits (MSS below
                    // about 1 KiB, as after a small mss_clamp): those are dropped as tun_packet_too_long.
                    Log.GsoSegmentsKept(_tunLog, tun.Name, TunReadBatch.MaxSegments, e.Message);
                }
            }
            if (routeBased)
            {
                if (tun.SetCarrier(false) is < 0 and var errno)
                    throw new IOException($"TUNSETCARRIER off for interface \"{tun.Name}\" failed: errno {-errno} (carrier control needs Linux 5.0 or later).");
                try
                {
                    link.IgnoreRoutesWhileCarrierDown();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
                {
                    Log.LinkdownRoutesKept(_tunLog, tun.Name, e.Message);
                }
            }
            link.BringUp();
        }
        catch
        {
            link?.Dispose();
            tun.Dispose();
            throw;
        }
        var device = new Device(tun, link);
        Volatile.Write(ref _devices, new Dictionary<string, Device>(_devices, StringComparer.Ordinal) { [tun.Name] = device });
        Log.DeviceOpened(_tunLog, tun.Name, tun.QueueCount);
        return tun.Name;
    }

    /// <summary>
    /// Makes the devices and their routes what <paramref name="config"/> asks for: devices of new route-based
    /// children opened and started, addresses and routes added and removed (routes of one prefix and metric into
    /// several tunnel interfaces are one multipath route). Devices no longer wanted are returned, still open and
    /// without routes, for the caller to close once the SAs that used them are gone.
    /// </summary>
    private List<string> SyncDevices(GatewayConfig config)
    {
        var wanted = new Dictionary<string, WantedDevice>(StringComparer.Ordinal);
        var shared = _core!.SharedDevice;
        foreach (var r in config.Routing)
        {
            var name = r.Interface ?? shared;
            if (!wanted.TryGetValue(name, out var device))
                wanted[name] = device = new WantedDevice(r.Interface is not null, [], []);
            // A route-based child routes what its routes say; a policy-based one routes its remote selectors.
            if (r.Interface is not null)
            {
                device.Routes.UnionWith(r.Routes.Select(route => WithSource(route, r.Connection, name)));
                device.Addresses.UnionWith(r.InterfaceAddresses);
                continue;
            }
            // A point-to-site responder's dynamic child routes its pools: the clients' virtual IPs.
            var connection = config.Connections.First(c => c.Name == r.Connection);
            var child = connection.Children.First(c => c.Name == r.Child);
            var childRoutes = child.RemoteDynamic ? TunnelRoute.OfPools(connection.Pools) : TunnelRoute.OfRemoteSelectors(child.RemoteTs);
            device.Routes.UnionWith(childRoutes.Select(route => WithSource(route, r.Connection, name)));
        }
        // A road warrior's virtual IPs go on the devices the control plane named (each as a host address).
        foreach (var ((_, name), addresses) in _virtualIps)
        {
            if (wanted.TryGetValue(name, out var device))
                device.Addresses.UnionWith(addresses.Select(a => new InterfaceAddress(a, a.AddressFamily == AddressFamily.InterNetwork ? 32 : 128, null)));
        }
        foreach (var (name, device) in wanted.Where(w => !_devices.ContainsKey(w.Key)).ToList())
        {
            OpenDevice(name, device.RouteBased);
            StartReaders(name);
        }
        List<(string Device, TunnelRoute Route)> routes = [.. wanted.SelectMany(w => w.Value.Routes.Select(r => (w.Key, r)))];
        // Routes go before the addresses they may lean on, and come after them.
        TryCleanUp(() => _routes.Withdraw(routes));
        foreach (var (name, device) in _devices)
        {
            if (device.Readers.Count == 0 && wanted.ContainsKey(name))
                StartReaders(name);
            var want = wanted.GetValueOrDefault(name) ?? new WantedDevice(false, [], []);
            foreach (var address in device.Addresses.Where(a => !want.Addresses.Contains(a)).ToList())
            {
                TryCleanUp(() => device.Link.RemoveAddress(address.Address, address.PrefixLength, address.Peer));
                device.Addresses.Remove(address);
            }
            foreach (var address in want.Addresses.Where(a => !device.Addresses.Contains(a)).ToList())
            {
                if (address.Peer is { } peer)
                    device.Link.AddAddress(address.Address, peer, address.PrefixLength);
                else
                    device.Link.AddAddress(address.Address, address.PrefixLength);
                device.Addresses.Add(address);
            }
        }
        // A full tunnel's rules skip what the sockets send marked: marked before the route can take anything.
        if (!_fullTunnel && routes.Exists(r => r.Route.IsFullTunnel))
        {
            _fullTunnel = true;
            foreach (var strict in RouteTable.StrictReversePathFilters())
                Log.StrictReversePathFilter(_log, strict);
        }
        if (_fullTunnel)
            _udp?.SetMark(TunnelRoute.FullTunnelMark);
        _routes.Install(routes);
        return [.. _devices.Keys.Where(n => !wanted.ContainsKey(n))];
    }

    /// <summary>A route of <paramref name="connection"/> into <paramref name="device"/>, from the virtual IP of its family there if it has one.</summary>
    private TunnelRoute WithSource(TunnelRoute route, string connection, string device) =>
        _virtualIps.GetValueOrDefault((connection, device))?.FirstOrDefault(a => a.AddressFamily == route.Prefix.BaseAddress.AddressFamily) is { } source
            ? route with { Source = source }
            : route;

    private void StartReaders(string name)
    {
        var device = _devices[name];
        for (var queue = 0; queue < device.Tun.QueueCount; queue++)
        {
            var q = queue;
            var thread = new Thread(() => ReadDevice(name, device.Tun, q)) { IsBackground = true, Name = $"tun {name} #{q}" };
            device.Readers.Add(thread);
            thread.Start();
        }
    }

    private void CloseDevice(string name)
    {
        if (!_devices.TryGetValue(name, out var device))
            return;
        Volatile.Write(ref _devices, _devices.Where(d => d.Key != name).ToDictionary(StringComparer.Ordinal));
        device.Tun.Shutdown();
        foreach (var t in device.Readers)
            t.Join(TimeSpan.FromSeconds(2));
        TryCleanUp(device.Link.Dispose);
        device.Tun.Dispose();
        Log.DeviceClosed(_tunLog, name);
    }

    private void TryCleanUp(Action action)
    {
        try
        {
            action();
        }
        catch (InvalidOperationException e)
        {
            Log.CleanupFailed(_log, e.Message);
        }
    }

    // ---- data path ----

    /// <summary>
    /// One queue's reader: each read gives one packet, or with offload the segments of a super-packet, which go through
    /// the data path one by one; their datagrams leave together when the read's packets are done.
    /// </summary>
    private void ReadDevice(string name, TunDevice device, int queue)
    {
        var batch = new TunReadBatch(_config.Settings.Mtu);
        var output = NewOutput(queue);
        while (!_stop.IsSet)
        {
            var n = device.ReadBatch(queue, batch, 1000);
            if (n == 0)
                return;
            if (n < 0)
            {
                // A timeout or a signal: read on; a packet too long or a malformed super-packet: counted, read on. Anything
                // else (the device is gone) ends the reader.
                if (n is -Libc.EAgain or -Libc.EIntr)
                    continue;
                if (n is -Libc.EMsgSize or -Libc.EBadMsg)
                {
                    _core!.Counters.Count(n == -Libc.EMsgSize ? GatewayDropReason.TunPacketTooLong : GatewayDropReason.TunBadFrame);
                    continue;
                }
                Log.DeviceFailed(_tunLog, name, -n);
                return;
            }
            if (n > 1)
                _core!.Counters.CountSuperPacketRead(n);
            for (var i = 0; i < n; i++)
                _core!.OnTun(name, queue, batch[i], output);
            output.Flush();
        }
    }

    /// <summary>A worker's output, writing to the TUN queue of its number.</summary>
    private WorkerOutput NewOutput(int queue) =>
        new(_udp!.CreateSendBatch(), device => Volatile.Read(ref _devices).TryGetValue(device, out var d) ? d.Tun : null, queue, _core!.Counters);

    /// <summary>A port's reader: its datagrams through the data path, what they opened written when its batch is done.</summary>
    private sealed class UdpReader(GatewayCore core, WorkerOutput output) : IUdpReader
    {
        public void Received(IPEndPoint local, IPEndPoint remote, PacketBuffer datagram) => core.OnUdp(local, remote, datagram, output);

        public void BatchEnd() => output.Flush();
    }

    public void SendUdp(IPEndPoint local, IPEndPoint remote, ReadOnlySpan<byte> payload) => _udp?.Send(local, remote, payload);

    public void WriteTun(string device, ReadOnlySpan<byte> packet)
    {
        if (Volatile.Read(ref _devices).TryGetValue(device, out var d))
            d.Tun.Write(packet);
    }

    public void SetCarrier(string device, bool up)
    {
        if (!Volatile.Read(ref _devices).TryGetValue(device, out var d))
            return;
        var result = d.Tun.SetCarrier(up);
        if (result < 0)
            Log.CarrierFailed(_tunLog, device, up ? "on" : "off", -result);
        else
            Log.Carrier(_tunLog, device, up ? "on: its child has a Child SA" : "off: its child has no Child SA");
    }

    /// <summary>Queued for the timer loop, which applies it off the control lock (ip runs for it).</summary>
    public void SetVirtualIp(string connection, string device, IPAddress address, bool present)
    {
        _virtualIpChanges.Enqueue((connection, device, address, present));
        _virtualIpWake.Set();
    }

    /// <summary>
    /// Puts the virtual IPs the control plane told on their devices and makes them the source of their connection's routes
    /// (or takes them off): the devices converge to the configuration with them, as on a reload.
    /// </summary>
    private void ApplyVirtualIps()
    {
        if (_virtualIpChanges.IsEmpty)
            return;
        lock (_reloadLock)
        {
            while (_virtualIpChanges.TryDequeue(out var change))
            {
                var key = (change.Connection, change.Device);
                if (change.Present)
                {
                    if (!_virtualIps.TryGetValue(key, out var set))
                        _virtualIps[key] = set = [];
                    set.Add(change.Address);
                }
                else if (_virtualIps.TryGetValue(key, out var set) && set.Remove(change.Address) && set.Count == 0)
                {
                    _virtualIps.Remove(key);
                }
            }
            if (_stop.IsSet)
                return;
            try
            {
                SyncDevices(_config);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException)
            {
                Log.VirtualIpFailed(_tunLog, e.Message);
            }
        }
    }

    // ---- control ----

    private void TimerLoop()
    {
        WaitHandle[] wake = [_stop.WaitHandle, _virtualIpWake];
        while (!_stop.IsSet)
        {
            _core!.OnTimer();
            ApplyVirtualIps();
            var next = _core.NextDeadline;
            var wait = next - _time.GetUtcNow();
            WaitHandle.WaitAny(wake, wait < TimeSpan.FromMilliseconds(10) ? TimeSpan.FromMilliseconds(10) : wait > TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait);
        }
    }

    /// <summary>
    /// `s2s reload`: re-reads the file; a configuration that fails its check changes nothing. Devices for new
    /// tunnels open before the core reloads, devices of removed tunnels close after their SAs are deleted.
    /// </summary>
    private string Reload()
    {
        if (_configPath is null)
            throw new ControlException("this daemon was not started from a file; nothing to reload");
        GatewayConfig next;
        try
        {
            next = ConfigLoader.Load(_configPath);
        }
        catch (ConfigException e)
        {
            throw new ControlException($"{_configPath}: not reloaded: {string.Join("; ", e.Problems)}");
        }
        if (_controlOverride is not null)
            next = next with { Settings = next.Settings with { ControlSocket = _controlOverride } };
        lock (_reloadLock)
        {
            if (_stop.IsSet)
                throw new ControlException("s2s is stopping; not reloaded");
            var diff = ConfigDiff.Between(_config, next);
            // What only a restart can change keeps its running value (the diff reports it).
            next = next with { Settings = _config.Settings };
            var unbound = next.Connections.Where(c => _udp is { } udp && !udp.Serves(c.LocalAddresses))
                .Select(c => c.LocalAddresses.Count == 0 ? "%any" : string.Join(", ", c.LocalAddresses)).Distinct().ToList();
            if (unbound.Count > 0)
                throw new ControlException($"{_configPath}: not reloaded: local_addrs {string.Join(", ", unbound)} are not bound; restart s2s to use them");
            if (next.Routing.Any(r => r.Interface is null) && !_devices.ContainsKey(_core!.SharedDevice))
                throw new ControlException($"{_configPath}: not reloaded: policy-based children need the shared device {_config.Settings.TunName}, which this run did not open; restart s2s");
            List<string> unwanted;
            try
            {
                unwanted = SyncDevices(next);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or ArgumentException)
            {
                throw new ControlException($"{_configPath}: not reloaded: {e.Message}");
            }
            _core!.Reload(next, diff);
            _config = next;
            // A route-based device goes with its tunnel (its SAs were deleted just now); the shared one stays.
            foreach (var name in unwanted.Where(n => n != _core.SharedDevice))
                CloseDevice(name);
            var summary = Summary(diff);
            Log.Reloaded(_configLog, _configPath, summary);
            return summary;
        }
    }

    private static string Summary(ConfigDiff diff)
    {
        if (diff.IsEmpty)
            return "reloaded: nothing changed";
        var parts = new List<string>();
        if (diff.Added.Count > 0)
            parts.Add($"added {string.Join(", ", diff.Added)}");
        if (diff.Removed.Count > 0)
            parts.Add($"removed {string.Join(", ", diff.Removed)}");
        if (diff.Changed.Count > 0)
            parts.Add($"changed {string.Join(", ", diff.Changed)}");
        if (diff.NeedRestart.Count > 0)
            parts.Add($"not applied until a restart: {string.Join(", ", diff.NeedRestart)}");
        return $"reloaded: {string.Join("; ", parts)}";
    }

    /// <summary>
    /// gateway.offload and what the kernel gave of it: the devices that take and give super-packets (TSO in, GRO out),
    /// and whether port 4500 sends with UDP GSO and receives with UDP GRO.
    /// </summary>
    private System.Text.Json.Nodes.JsonObject OffloadStatus() => new()
    {
        ["enabled"] = _config.Settings.Offload,
        ["tun"] = new System.Text.Json.Nodes.JsonArray([.. Volatile.Read(ref _devices).Where(d => d.Value.Tun.Offload).Select(d => (System.Text.Json.Nodes.JsonNode)d.Key).Order()]),
        ["udp_gso"] = _udp?.Gso ?? false,
        ["udp_gro"] = _udp?.Gro ?? false,
    };

    /// <summary>The control socket's commands: the core's, plus reload, and the worker count and offloads in status.</summary>
    private sealed class DaemonControl(Daemon daemon, GatewayCore core) : IControlHandler
    {
        private readonly CoreControlHandler _commands = new(core, daemon.Reload);

        public System.Text.Json.Nodes.JsonObject Status()
        {
            var status = _commands.Status();
            if (status["gateway"] is System.Text.Json.Nodes.JsonObject gateway)
            {
                gateway["workers"] = daemon.Workers;
                gateway["offload"] = daemon.OffloadStatus();
                // Datagrams the sockets lost: longer than a receive buffer, or refused by the kernel on send.
                gateway["udp_truncated"] = daemon._udp?.Truncated ?? 0;
                gateway["udp_send_failures"] = daemon._udp?.SendFailures ?? 0;
            }
            return status;
        }

        public string Initiate(string connection, string? child) => _commands.Initiate(connection, child);

        public string Terminate(string connection, string? child) => _commands.Terminate(connection, child);

        public string Rekey(string connection, string? child) => _commands.Rekey(connection, child);

        public string Reload() => _commands.Reload();

        public EventFeed.Subscription Monitor() => _commands.Monitor();

        public Tracing.TraceSession Trace(string? connection, string? child, Tracing.TraceDirection direction, int count) =>
            _commands.Trace(connection, child, direction, count);
    }

    /// <summary>Deletes the SAs (one try, short), then closes the control socket, sockets and devices and removes routes.</summary>
    private void Shutdown()
    {
        _stop.Set();
        // A reload in progress finishes first (and a later one refuses): its devices are cleaned up too.
        lock (_reloadLock)
            ShutdownCore();
    }

    private void ShutdownCore()
    {
        if (_core is not null && _udp is not null)
        {
            _core.StopLookups();
            _core.Control(engine =>
            {
                foreach (var c in engine.Connections.ToList())
                    engine.Terminate(c.Name);
            });
            // The deletes are on the wire; their answers get a moment before the sockets close (one try, short).
            Task.Delay(DeleteGrace, _time).Wait();
        }
        // The down scripts run while the devices they may name are still there; none outlives the daemon.
        _core?.StopUpdown();
        _updown?.Stop(UpdownGrace);
        _metrics?.Dispose();
        _metrics = null;
        _control?.Dispose();
        _control = null;
        // Device readers first: they would otherwise still send through the sockets being closed.
        foreach (var device in _devices.Values)
            device.Tun.Shutdown();
        foreach (var t in _devices.Values.SelectMany(d => d.Readers))
            t.Join(TimeSpan.FromSeconds(2));
        _udp?.Dispose();
        // The routes before the devices and addresses they go into.
        TryCleanUp(_routes.Dispose);
        foreach (var name in _devices.Keys.ToList())
            CloseDevice(name);
        Log.Stopped(_log);
    }

    public void Dispose()
    {
        _updown?.Dispose();
        _virtualIpWake.Dispose();
        _stop.Dispose();
        _udp?.Dispose();
        _control?.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(3001, LogLevel.Information, "s2s running: {Connections} connection(s), devices {Devices}, {Workers} worker(s), control socket {Control}")]
        public static partial void Started(ILogger logger, int connections, string devices, int workers, string control);

        [LoggerMessage(3002, LogLevel.Error, "s2s could not start: {Reason}")]
        public static partial void StartFailed(ILogger logger, string reason);

        [LoggerMessage(3003, LogLevel.Warning, "clean-up: {Reason}")]
        public static partial void CleanupFailed(ILogger logger, string reason);

        [LoggerMessage(3004, LogLevel.Information, "s2s stopped; devices, routes, sockets and the control socket removed")]
        public static partial void Stopped(ILogger logger);

        [LoggerMessage(3005, LogLevel.Error, "tunnel device {Device} failed (errno {Errno}); its reader stops")]
        public static partial void DeviceFailed(ILogger logger, string device, int errno);

        [LoggerMessage(3006, LogLevel.Information, "tunnel device {Device} up with {Queues} queue(s)")]
        public static partial void DeviceOpened(ILogger logger, string device, int queues);

        [LoggerMessage(3007, LogLevel.Information, "tunnel device {Device} removed")]
        public static partial void DeviceClosed(ILogger logger, string device);

        [LoggerMessage(3008, LogLevel.Information, "{Path} {Summary}")]
        public static partial void Reloaded(ILogger logger, string path, string summary);

        [LoggerMessage(3009, LogLevel.Information, "tunnel device {Device} carrier {State}")]
        public static partial void Carrier(ILogger logger, string device, string state);

        [LoggerMessage(3010, LogLevel.Warning, "tunnel device {Device}: carrier {State} failed (errno {Errno})")]
        public static partial void CarrierFailed(ILogger logger, string device, string state, int errno);

        [LoggerMessage(3015, LogLevel.Warning, "tunnel device {Device}: the kernel kept gso_max_segs, so a TCP super-packet of more than {Segments} segments is dropped as tun_packet_too_long ({Reason})")]
        public static partial void GsoSegmentsKept(ILogger logger, string device, int segments, string reason);

        [LoggerMessage(3016, LogLevel.Warning, "tunnel device {Device}: the kernel refused its offloads (IFF_VNET_HDR, TUNSETOFFLOAD): one packet per read and write on it")]
        public static partial void TunOffloadRefused(ILogger logger, string device);

        [LoggerMessage(3017, LogLevel.Information, "UDP offloads on port 4500: GSO {Gso}, GRO {Gro} (what the kernel has of gateway.offload)")]
        public static partial void UdpOffloads(ILogger logger, string gso, string gro);

        [LoggerMessage(3011, LogLevel.Warning, "tunnel device {Device}: the kernel will keep using its routes while its carrier is down, so a route of a higher metric does not take over ({Reason})")]
        public static partial void LinkdownRoutesKept(ILogger logger, string device, string reason);

        [LoggerMessage(3013, LogLevel.Warning, "{Sysctl} is 1 (strict): with a full tunnel's rules the reverse-path check of IKE and ESP from a peer behind the default route looks in table 5325, and the kernel drops them; set it to 2 (loose): sysctl -w {Sysctl}=2")]
        public static partial void StrictReversePathFilter(ILogger logger, string sysctl);

        [LoggerMessage(3014, LogLevel.Warning, "virtual IPs: the devices and routes could not follow: {Reason}")]
        public static partial void VirtualIpFailed(ILogger logger, string reason);

        [LoggerMessage(3012, LogLevel.Information, "listening for IKE and ESP on UDP 500 and 4500 at {Addresses}")]
        public static partial void Listening(ILogger logger, string addresses);
    }
}
