using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Gateway.Net;
using S2SEndpoint.Gateway.Policy;
using S2SEndpoint.Gateway.Tracing;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway;

/// <summary>
/// The gateway without its sockets and devices: the IKE engine, the ESP data plane and the policies joined. What
/// arrives goes in through <see cref="OnUdp"/> (IKE on 500, IKE and ESP on 4500) and <see cref="OnTun"/> (inner packets
/// from a tunnel device); what leaves goes out through <see cref="IGatewayIo"/>. The daemon drives it from its sockets,
/// TUN devices and a timer; tests drive two of them against each other in memory.
///
/// It composes two planes:
///   <see cref="DataPath"/> (OnTun, OnUdp): any number of workers at once, no lock, no allocation per packet, over
///     one immutable snapshot of routes, policies and our IKE SPIs, and the ESP SA table;
///   <see cref="ControlPlane"/> (IKE, timers, commands, reload): one thread at a time under its own lock; it applies
///     what the engine told the kernel after each engine call returns and publishes the data path's snapshots, with
///     the <see cref="TrapQueue"/>s of start_action trap and the <see cref="ConnectionKeeper"/> (keep-up, keepalives,
///     cookie secret).
/// A reader or the timer survives whatever throws below it (counted, logged once per kind).
/// </summary>
public sealed partial class GatewayCore
{
    /// <summary>RFC 3948 2.3: a host behind a NAT sends a keepalive when nothing else went out for this long (strongSwan: 20 s).</summary>
    public static readonly TimeSpan KeepaliveInterval = ConnectionKeeper.KeepaliveInterval;

    /// <summary>How often the cookie secret changes (RFC 7296 2.6: "regenerate the secret periodically").</summary>
    public static readonly TimeSpan CookieSecretLifetime = ConnectionKeeper.CookieSecretLifetime;

    /// <summary>The first wait before a start connection without any IKE SA is tried again; doubled each time up to <see cref="MaxRetryInterval"/>.</summary>
    public static readonly TimeSpan FirstRetryInterval = ConnectionKeeper.FirstRetryInterval;
    public static readonly TimeSpan MaxRetryInterval = ConnectionKeeper.MaxRetryInterval;

    /// <summary>Packets held per trapped child while its SA comes up; more are dropped and counted.</summary>
    public const int MaxHeldPackets = TrapQueue.Capacity;

    /// <summary>How long a held packet stays worth sending; older ones are dropped (counted) when the SA comes.</summary>
    public static readonly TimeSpan HeldPacketLifetime = TrapQueue.PacketLifetime;

    /// <summary>
    /// New IKE SA requests (IKE_SA_INIT with no responder SPI) taken from one source (an IPv4 address, an IPv6 /64)
    /// per second, after a burst: enough for a peer's request, its cookie and INVALID_KE_PAYLOAD retries and a few
    /// peers behind one NAT; a flood from one source goes no further, and a flood from many cannot use up a
    /// budget that a real peer needs.
    /// </summary>
    public const int NewSaPerSecond = 5;
    public const int NewSaBurst = 10;

    private const int MaxFaultKinds = 64;

    private readonly ControlPlane _control;
    private readonly DataPath _data;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<string, byte> _faultsSeen = new(StringComparer.Ordinal);

    /// <param name="updown">Where the children's updown scripts are queued (the daemon's <see cref="Updown.UpdownRunner"/>); null: none run.</param>
    /// <param name="resolver">Who looks up host names in remote_addrs; null: the system's resolver (<see cref="DnsResolver"/>).</param>
    public GatewayCore(GatewayConfig config, IGatewayIo io, TimeProvider time, IRandomSource random, ILoggerFactory? logs = null, string? sharedDevice = null,
        Updown.IUpdownRunner? updown = null, IHostResolver? resolver = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        logs ??= Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;
        _log = logs.CreateLogger("gateway");
        _control = new ControlPlane(config, io, time, random, logs, sharedDevice ?? config.Settings.TunName, Counters, updown, resolver);
        _data = _control.Data;
    }

    public IkeEngine Engine => _control.Engine;
    public EspKernel Kernel => _control.Kernel;
    public GatewayCounters Counters { get; } = new();
    public GatewayConfig Config => _control.Config;

    /// <summary>The most recent SA events, oldest first; read under <see cref="Inspect"/>.</summary>
    public IReadOnlyCollection<IkeEvent> RecentEvents => _control.RecentEvents;

    /// <summary>The SA events as they happen (`s2s monitor`).</summary>
    public Control.EventFeed Events => _control.Feed;

    /// <summary>The tunnel device of policy-based children.</summary>
    public string SharedDevice => _control.SharedDevice;

    /// <summary>When the engine next has something to do; the daemon's timer waits at most until then.</summary>
    public DateTimeOffset NextDeadline => _control.NextDeadline;

    /// <summary>Whether the control plane is inside a step that drives the engine, when no I/O may happen (tests watch it).</summary>
    internal bool InsideEngine => _control.InsideEngine;

    /// <summary>Reads what only the control plane may touch (the engine's SAs, the kernel's records, the events), under its lock.</summary>
    public T Inspect<T>(Func<GatewayCore, T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        return _control.Inspect(() => read(this));
    }

    /// <summary>Brings up the children whose start_action is start.</summary>
    public void Start() => _control.Start();

    /// <summary>
    /// `s2s initiate`: brings up a connection (or one child) and, for children whose start_action is start,
    /// lifts an earlier terminate's hold.
    /// </summary>
    public void Initiate(string connection, string? child = null) => _control.Initiate(connection, child);

    /// <summary>`s2s terminate`: deletes a connection's IKE SAs (or one child's Child SAs) and keeps them down until initiated again.</summary>
    public void Terminate(string connection, string? child = null) => _control.Terminate(connection, child);

    /// <summary>Runs <paramref name="command"/> on the engine as a control-plane step, then sends what it queued.</summary>
    public void Control(Action<IkeEngine> command)
    {
        ArgumentNullException.ThrowIfNull(command);
        _control.Run(() => command(Engine));
    }

    /// <summary>Runs <paramref name="command"/> (checks and engine calls, or this core's commands) as one control-plane step, then sends what it queued.</summary>
    public T Control<T>(Func<IkeEngine, T> command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return _control.Run(() => command(Engine));
    }

    /// <summary>
    /// Applies a changed configuration: removed and changed connections are terminated, added and changed
    /// ones take their new settings and start as their start_action says; the others keep their SAs.
    /// Gateway-wide settings in <see cref="ConfigDiff.NeedRestart"/> are not applied. Tunnel devices are
    /// the daemon's: it opens new ones before and closes old ones after.
    /// </summary>
    public void Reload(GatewayConfig next, ConfigDiff diff)
    {
        ArgumentNullException.ThrowIfNull(next);
        ArgumentNullException.ThrowIfNull(diff);
        _control.Reload(next, diff);
    }

    /// <summary>
    /// At exit, after the deletes went out: queues the down runs of the children still up (as strongSwan runs down-client
    /// when it stops), and no updown run after.
    /// </summary>
    public void StopUpdown() => _control.StopUpdown();

    /// <summary>At exit, before the SAs are deleted: no host name lookup still in flight brings a connection up.</summary>
    public void StopLookups() => _control.StopLookups();

    /// <summary>
    /// Each host name in a connection's remote_addrs with the addresses it resolved to last (one that never resolved left
    /// out); null for a connection without names. Under <see cref="Inspect"/>.
    /// </summary>
    internal IReadOnlyDictionary<string, IPAddress[]>? ResolvedNamesOf(string connection) => _control.ResolvedNamesOf(connection);

    /// <summary>Applies what the engine told the kernel, sends what the engine queued and what trapped children held, and keeps its events.</summary>
    public void Flush() => _control.Flush();

    /// <summary>
    /// One UDP datagram received on <paramref name="local"/> from <paramref name="remote"/>, in <paramref name="buffer"/>'s
    /// window. Any thread; a worker that batches passes its <paramref name="sink"/>.
    /// </summary>
    public void OnUdp(IPEndPoint local, IPEndPoint remote, PacketBuffer buffer, IPacketSink? sink = null)
    {
        try
        {
            _data.OnUdp(local, remote, buffer, sink);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Survive("udp", e);
        }
    }

    /// <summary>One inner packet read from tunnel device <paramref name="device"/>, in <paramref name="buffer"/>'s window. Any thread.</summary>
    public void OnTun(string device, PacketBuffer buffer) => OnTun(device, 0, buffer);

    /// <summary>
    /// One inner packet read from queue <paramref name="queue"/> of tunnel device <paramref name="device"/> (its worker's),
    /// in <paramref name="buffer"/>'s window. Any thread; a worker that batches passes its <paramref name="sink"/>.
    /// </summary>
    public void OnTun(string device, int queue, PacketBuffer buffer, IPacketSink? sink = null)
    {
        try
        {
            _data.OnTun(device, queue, buffer, sink);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Survive("tun", e);
        }
    }

    /// <summary>
    /// `s2s trace`: follows the packets of <paramref name="connection"/> (or of its <paramref name="child"/>; every packet
    /// when null) in <paramref name="direction"/>, <paramref name="count"/> of them (0: until disposed). Null when
    /// <see cref="PacketTracer.MaxSessions"/> traces run already. Names are not checked here.
    /// </summary>
    public TraceSession? Trace(string? connection, string? child, TraceDirection direction, int count) =>
        _data.StartTrace(connection, child, direction, count);

    /// <summary>The data path (tests reach its snapshot and traces).</summary>
    internal DataPath Data => _data;

    /// <summary>Runs what is due; the daemon calls it when <see cref="NextDeadline"/> passes, and at least once a second.</summary>
    public void OnTimer()
    {
        try
        {
            _control.OnTimer();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Survive("timer", e);
        }
    }

    /// <summary>
    /// What a reader or the timer threw, which no packet or peer should be able to cause: counted, logged the first
    /// time for each place and kind, and the loop goes on (a dead reader would silently stop a tunnel).
    /// </summary>
    private void Survive(string loop, Exception e)
    {
        Counters.Count(GatewayDropReason.InternalError);
        var site = $"{loop}: {e.GetType().Name} at {e.TargetSite?.DeclaringType?.Name}.{e.TargetSite?.Name}";
        if (_faultsSeen.Count < MaxFaultKinds && _faultsSeen.TryAdd(site, 0))
            Log.LoopFault(_log, loop, SafeText.Clean(e.Message), site, e);
    }

    private static partial class Log
    {
        [LoggerMessage(3105, LogLevel.Error, "the {Loop} loop survived an internal error: {Error} ({Site}); counted as internal_error, logged once")]
        public static partial void LoopFault(ILogger logger, string loop, string error, string site, Exception exception);
    }
}
