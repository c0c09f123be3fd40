using System.Buffers.Binary;
using System.Net;
using Microsoft.Extensions.Logging;
using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Gateway.Net;
using S2SEndpoint.Gateway.Policy;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway;

/// <summary>
/// The gateway without its sockets and devices: it joins the IKE engine, the ESP data plane and the
/// policies. What arrives goes in through <see cref="OnUdp"/> (IKE on 500, IKE and ESP on 4500) and
/// <see cref="OnTun"/> (inner packets from a tunnel device); what leaves goes out through
/// <see cref="IGatewayIo"/>. The daemon drives it from its sockets, TUN devices and a timer; tests drive
/// two of them against each other in memory.
///
/// Two planes, two rules:
///   data plane (OnTun, ESP in OnUdp): any number of workers at once, no lock, no allocation; it reads
///     the SA table and the maps below, which the control plane replaces whole (copy on write);
///   control plane (IKE, timers, commands, SA changes): one thread at a time under <see cref="Sync"/>.
///
/// Outbound: TUN, device or policy lookup, the child's current outbound SA (or a trap: hold the packet,
/// start the SA), seal, UDP to the peer's 4500. Inbound: UDP on 4500, non-ESP marker or keepalive or ESP,
/// open, the child's device.
/// </summary>
public sealed partial class GatewayCore
{
    private const int MaxEvents = 200;

    /// <summary>RFC 3948 2.3: a host behind a NAT sends a keepalive when nothing else went out for this long (strongSwan: 20 s).</summary>
    public static readonly TimeSpan KeepaliveInterval = TimeSpan.FromSeconds(20);

    /// <summary>How often the cookie secret changes (RFC 7296 2.6: "regenerate the secret periodically").</summary>
    public static readonly TimeSpan CookieSecretLifetime = TimeSpan.FromMinutes(5);

    /// <summary>Packets held per trapped child while its SA comes up; more are dropped and counted.</summary>
    public const int MaxHeldPackets = 32;

    private GatewayConfig _config;
    private readonly IGatewayIo _io;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Queue<IkeEvent> _events = new();
    private readonly SourceRateLimiter _newSaLimit;
    /// <summary>The remote addresses some connection accepts; null when one accepts any. Replaced whole on reload.</summary>
    private volatile HashSet<IPAddress>? _acceptedPeers;
    private readonly Dictionary<uint, (ulong OutboundPackets, DateTimeOffset LastSent)> _keepalive = [];
    private DateTimeOffset _cookieRotatedAt;
    private readonly Dictionary<string, (DateTimeOffset NextTry, TimeSpan Backoff)> _retry = new(StringComparer.Ordinal);
    private readonly HashSet<string> _heldDown = new(StringComparer.Ordinal);

    /// <summary>The first wait before a start connection without any IKE SA is tried again; doubled each time up to <see cref="MaxRetryInterval"/>.</summary>
    public static readonly TimeSpan FirstRetryInterval = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan MaxRetryInterval = TimeSpan.FromMinutes(1);

    // Data-plane maps: replaced whole under Sync, read without a lock.
    private HashSet<ulong> _knownSpis = [];
    private Dictionary<uint, ChildPath> _paths = [];
    private Dictionary<string, uint> _reqIdOfDevice = new(StringComparer.Ordinal);

    public GatewayCore(GatewayConfig config, IGatewayIo io, TimeProvider time, IRandomSource random, ILoggerFactory? logs = null, string? sharedDevice = null)
    {
        _config = config;
        _io = io;
        _time = time;
        logs ??= Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;
        _log = logs.CreateLogger("gateway");
        _newSaLimit = new SourceRateLimiter(time, NewSaBurst, NewSaPerSecond);
        _acceptedPeers = AcceptedPeers(config);
        SharedDevice = sharedDevice ?? config.Settings.TunName;
        Kernel = new EspKernel(new SaTable(), random, time, config.Settings.ReplayWindow, IsHub);
        Kernel.Changed += OnChildSaChanged;
        Kernel.EndpointsChanged += OnEndpointsChanged;
        Kernel.OutboundChosen += OnOutboundChosen;
        Engine = new IkeEngine(config.Connections, Kernel, time, random, logs.CreateLogger("ike"));
        _cookieRotatedAt = time.GetUtcNow();
        lock (Sync)
            SetUpTraps(config);
    }

    /// <summary>The control lock: the engine, SA changes, timers and commands run under it, one at a time.</summary>
    public object Sync { get; } = new();

    public IkeEngine Engine { get; }
    public EspKernel Kernel { get; }
    /// <summary>The outbound policies now: replaced whole under Sync, read without a lock.</summary>
    public SecurityPolicyDatabase Policies => Volatile.Read(ref _policies);

    private SecurityPolicyDatabase _policies = SecurityPolicyDatabase.Empty;
    public GatewayCounters Counters { get; } = new();
    public GatewayConfig Config => _config;

    /// <summary>The most recent SA events, oldest first; read under <see cref="Sync"/>.</summary>
    public IReadOnlyCollection<IkeEvent> RecentEvents => _events;

    /// <summary>The tunnel device of policy-based children.</summary>
    public string SharedDevice { get; }

    /// <summary>
    /// New IKE SA requests (IKE_SA_INIT with no responder SPI) taken from one source (an IPv4 address, an IPv6 /64)
    /// per second, after a burst: enough for a peer's request, its cookie and INVALID_KE_PAYLOAD retries and a few
    /// peers behind one NAT; a flood from one source goes no further, and a flood from many cannot use up a
    /// budget that a real peer needs.
    /// </summary>
    public const int NewSaPerSecond = 5;
    public const int NewSaBurst = 10;

    /// <summary>
    /// Where one child's packets go: its device, and the UDP endpoints of its current SA (set at install,
    /// moved by a NAT's new mapping, published as one object so that a worker never sees half of a move).
    /// Trapped children have one before any SA exists.
    /// </summary>
    private sealed class ChildPath(uint reqId, string connection, string child, string device)
    {
        public uint ReqId { get; } = reqId;
        public string Connection { get; } = connection;
        public string Child { get; } = child;
        public string Device { get; } = device;
        public volatile Endpoints? Endpoints;

        /// <summary>Set for start_action trap: packets waiting for the SA (with when they came), and when it was last asked for.</summary>
        public Queue<(byte[] Packet, long At)>? Held;
        public long TriggeredAt;
    }

    private sealed record Endpoints(IPEndPoint Local, IPEndPoint Remote);

    /// <summary>How long a held packet stays worth sending; older ones are dropped (counted) when the SA comes.</summary>
    public static readonly TimeSpan HeldPacketLifetime = TimeSpan.FromSeconds(30);

    private static HashSet<IPAddress>? AcceptedPeers(GatewayConfig config)
    {
        if (config.Connections.Any(c => c.RemoteAddresses.Count == 0 || c.RemoteAddresses.Any(a => a.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any))))
            return null;
        return [.. config.Connections.SelectMany(c => c.RemoteAddresses)];
    }

    /// <summary>A hub: a connection whose remote_addrs let any peer in, so that each peer's children get their own request IDs.</summary>
    private bool IsHub(string connection) =>
        _config.Connections.FirstOrDefault(c => c.Name == connection) is not { } c || c.RemoteAddresses.Count == 0 ||
        c.RemoteAddresses.Any(a => a.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any));

    /// <summary>Brings up the children whose start_action is start.</summary>
    public void Start()
    {
        lock (Sync)
        {
            foreach (var c in _config.Connections)
            {
                foreach (var child in c.Children.Where(x => x.StartAction == StartAction.Start))
                    Engine.Initiate(c.Name, child.Name);
            }
            Flush();
        }
    }

    /// <summary>
    /// `s2s initiate`: brings up a connection (or one child) and, for children whose start_action is start,
    /// lifts an earlier terminate's hold.
    /// </summary>
    public void Initiate(string connection, string? child = null)
    {
        lock (Sync)
        {
            Engine.Initiate(connection, child);
            _heldDown.Remove(connection);
            Flush();
        }
    }

    /// <summary>`s2s terminate`: deletes a connection's IKE SAs (or one child's Child SAs) and keeps them down until initiated again.</summary>
    public void Terminate(string connection, string? child = null)
    {
        lock (Sync)
        {
            if (child is null)
            {
                Engine.Terminate(connection);
                _heldDown.Add(connection);
            }
            else
            {
                Engine.TerminateChild(connection, child);
            }
            Flush();
        }
    }

    /// <summary>Runs <paramref name="command"/> on the engine under the control lock, then sends what it queued.</summary>
    public void Control(Action<IkeEngine> command)
    {
        ArgumentNullException.ThrowIfNull(command);
        lock (Sync)
        {
            command(Engine);
            Flush();
        }
    }

    // ---- inbound ----

    /// <summary>One UDP datagram received on <paramref name="local"/> from <paramref name="remote"/>, in <paramref name="buffer"/>'s window. Any thread.</summary>
    public void OnUdp(IPEndPoint local, IPEndPoint remote, PacketBuffer buffer)
    {
        try
        {
            Receive(local, remote, buffer);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Survive("udp", e);
        }
    }

    private void Receive(IPEndPoint local, IPEndPoint remote, PacketBuffer buffer)
    {
        var payload = buffer.Data;
        if (local.Port != UdpEncapsulation.Port)
        {
            ReceiveIke(local, remote, payload);
            return;
        }
        switch (UdpEncapsulation.Classify(payload))
        {
            case UdpPayloadKind.Ike:
                // RFC 3948 2.2: the non-ESP marker says an IKE message follows.
                ReceiveIke(local, remote, payload[UdpEncapsulation.NonEspMarkerSize..]);
                return;
            case UdpPayloadKind.NatKeepalive:
                Counters.CountKeepalive();
                return;
            case UdpPayloadKind.Esp:
                ReceiveEsp(buffer);
                return;
            default:
                Counters.CountMalformedUdp();
                return;
        }
    }

    private void ReceiveIke(IPEndPoint local, IPEndPoint remote, ReadOnlySpan<byte> message)
    {
        // Before the control lock: a message for one of our IKE SAs (one of its SPIs is ours) goes on; a
        // request for a new IKE SA goes on when a connection accepts its source and that source's rate limit
        // allows; anything else (a spoofed or stale SPI) is dropped here. A flood therefore cannot starve the
        // rekeys and liveness checks of established SAs, nor cost more than a lookup. Behind the lock the engine
        // asks for cookies under load and keeps at most a few half-open SAs per source.
        if (message.Length < IkeHeader.Size)
        {
            Counters.CountMalformedUdp();
            return;
        }
        var known = Volatile.Read(ref _knownSpis);
        if (!known.Contains(BinaryPrimitives.ReadUInt64BigEndian(message[IkeHeader.InitiatorSpiOffset..])) &&
            !known.Contains(BinaryPrimitives.ReadUInt64BigEndian(message[IkeHeader.ResponderSpiOffset..])))
        {
            if (!IsNewSaRequest(message))
            {
                Counters.CountUnknownIkeSpi();
                return;
            }
            // No connection takes this peer: nothing of its request may count against those that do.
            if (_acceptedPeers is { } accepted && !accepted.Contains(remote.Address))
            {
                Counters.CountUnknownPeer();
                return;
            }
            if (!_newSaLimit.TryTake(remote.Address))
            {
                Counters.CountNewSaRateLimited();
                return;
            }
        }
        var datagram = new Datagram(local, remote, message.ToArray());
        lock (Sync)
        {
            Engine.Receive(datagram);
            Flush();
        }
    }

    /// <summary>An IKE_SA_INIT request from an initiator with a zero responder SPI (RFC 7296 3.1): somebody asks for a new IKE SA.</summary>
    private static bool IsNewSaRequest(ReadOnlySpan<byte> message) =>
        message[IkeHeader.ExchangeOffset] == (byte)ExchangeType.IkeSaInit &&
        ((HeaderFlags)message[IkeHeader.FlagsOffset] & (HeaderFlags.Initiator | HeaderFlags.Response)) == HeaderFlags.Initiator &&
        BinaryPrimitives.ReadUInt64BigEndian(message[IkeHeader.ResponderSpiOffset..]) == 0;

    private void ReceiveEsp(PacketBuffer buffer)
    {
        if (Inbound.Open(Kernel.Table, buffer, out var sa) != DropReason.None || sa is null)
        {
            Counters.CountOpenFailed();
            return;
        }
        if (Volatile.Read(ref _paths).TryGetValue(sa.ReqId, out var path))
            _io.WriteTun(path.Device, buffer.Data);
    }

    // ---- outbound ----

    /// <summary>One inner packet read from tunnel device <paramref name="device"/>, in <paramref name="buffer"/>'s window. Any thread.</summary>
    public void OnTun(string device, PacketBuffer buffer)
    {
        try
        {
            FromTun(device, buffer);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Survive("tun", e);
        }
    }

    private void FromTun(string device, PacketBuffer buffer)
    {
        if (!Volatile.Read(ref _reqIdOfDevice).TryGetValue(device, out var reqId) && !Policies.TryLookup(buffer.Data, out reqId))
        {
            Counters.CountNoPolicy();
            return;
        }
        var paths = Volatile.Read(ref _paths);
        if (!Kernel.Table.TryGetOutbound(reqId, out var sa))
        {
            if (paths.TryGetValue(reqId, out var trapped) && trapped.Held is not null)
                Hold(trapped, buffer.Data);
            else
                Counters.CountNoSa();
            return;
        }
        if (paths.TryGetValue(reqId, out var path))
            Send(sa, path, buffer);
    }

    private void Send(EspSa sa, ChildPath path, PacketBuffer buffer)
    {
        if (!sa.IsUdpEncapsulated || path.Endpoints is not { } endpoints)
        {
            Counters.CountNotEncapsulated();
            return;
        }
        if (Outbound.Seal(sa, buffer) != DropReason.None)
        {
            Counters.CountSealFailed();
            return;
        }
        _io.SendUdp(endpoints.Local, endpoints.Remote, buffer.Data);
    }

    // ---- start_action trap ----

    /// <summary>Trap policies (policy-based) and trap devices (route-based) for the children that ask for them.</summary>
    private void SetUpTraps(GatewayConfig config, HashSet<string>? only = null)
    {
        foreach (var c in config.Connections.Where(c => only is null || only.Contains(c.Name)))
        {
            foreach (var child in c.Children.Where(x => x.StartAction == StartAction.Trap))
            {
                var peer = c.RemoteAddresses.First(a => !a.Equals(IPAddress.Any) && !a.Equals(IPAddress.IPv6Any));
                var reqId = Kernel.ReqIdOf(c.Name, child.Name, peer);
                var iface = Interface(c.Name, child.Name);
                var path = new ChildPath(reqId, c.Name, child.Name, iface ?? SharedDevice) { Held = new Queue<(byte[], long)>() };
                Volatile.Write(ref _paths, new Dictionary<uint, ChildPath>(Volatile.Read(ref _paths)) { [reqId] = path });
                if (iface is not null)
                    Volatile.Write(ref _reqIdOfDevice, new Dictionary<string, uint>(Volatile.Read(ref _reqIdOfDevice), StringComparer.Ordinal) { [iface] = reqId });
                else
                    Volatile.Write(ref _policies, _policies.AddTrap(reqId, child.LocalTs, child.RemoteTs));
            }
        }
    }

    /// <summary>
    /// A packet for a trapped child without an SA: kept (a copy; this is not the steady state), the oldest
    /// dropped when <see cref="MaxHeldPackets"/> wait already, and the SA asked for, at most once a second,
    /// and only when no IKE SA of the connection is still coming up.
    /// </summary>
    private void Hold(ChildPath path, ReadOnlySpan<byte> packet)
    {
        var copy = packet.ToArray();
        var now = _time.GetTimestamp();
        var trigger = false;
        lock (path)
        {
            if (path.Held!.Count >= MaxHeldPackets)
            {
                path.Held.Dequeue();
                Counters.CountHeldDropped();
            }
            path.Held.Enqueue((copy, now));
            Counters.CountHeld();
            if (path.TriggeredAt == 0 || _time.GetElapsedTime(path.TriggeredAt, now) >= TimeSpan.FromSeconds(1))
            {
                path.TriggeredAt = now;
                trigger = true;
            }
        }
        // The SA may have been installed between the lookup and the queueing (its install already sent
        // what was held then): send this one now rather than at the next install.
        var installed = Kernel.Table.TryGetOutbound(path.ReqId, out _);
        if (!trigger && !installed)
            return;
        lock (Sync)
        {
            // A reload may have removed the trap while this worker waited.
            if (!Volatile.Read(ref _paths).TryGetValue(path.ReqId, out var current) || current != path)
                return;
            if (Kernel.Table.TryGetOutbound(path.ReqId, out var sa))
            {
                ReleaseHeld(path, sa, path);
                return;
            }
            if (Engine.Sas.Any(s => s.Config.Name == path.Connection && s.State is IkeSaState.Connecting or IkeSaState.Authenticating))
                return;
            Log.Trapped(_log, path.Connection, path.Child);
            try
            {
                Engine.Initiate(path.Connection, path.Child);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                Log.TrapFailed(_log, path.Connection, path.Child, e.Message);
            }
            Flush();
        }
    }

    /// <summary>Sends what a trapped child held, through its new SA; what waited too long is dropped. Under Sync.</summary>
    private void ReleaseHeld(ChildPath trapped, EspSa sa, ChildPath path)
    {
        (byte[] Packet, long At)[] held;
        lock (trapped)
        {
            held = [.. trapped.Held!];
            trapped.Held!.Clear();
            trapped.TriggeredAt = 0;
        }
        foreach (var (packet, at) in held)
        {
            if (_time.GetElapsedTime(at) > HeldPacketLifetime)
            {
                Counters.CountHeldDropped();
                continue;
            }
            var buffer = new PacketBuffer(packet.Length + PacketBuffer.Headroom + PacketBuffer.Tailroom);
            packet.CopyTo(buffer.ResetForInnerPacket().Span);
            buffer.SetLength(packet.Length);
            Send(sa, path, buffer);
        }
    }

    /// <summary>
    /// Forgets a connection's paths, trap policies and device mappings (a reload removed or changed it):
    /// its devices may now belong to another tunnel, and its next SAs take the new settings. Under Sync.
    /// </summary>
    private void RemovePaths(string connection)
    {
        var gone = Volatile.Read(ref _paths).Values.Where(p => p.Connection == connection).ToList();
        foreach (var trap in gone.Where(p => p.Held is not null))
            Volatile.Write(ref _policies, _policies.RemoveTrap(trap.ReqId));
        Volatile.Write(ref _paths, Volatile.Read(ref _paths).Where(p => !gone.Contains(p.Value)).ToDictionary());
        Volatile.Write(ref _reqIdOfDevice, Volatile.Read(ref _reqIdOfDevice)
            .Where(d => !gone.Exists(p => p.ReqId == d.Value)).ToDictionary(StringComparer.Ordinal));
    }

    // ---- control plane ----

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
        lock (Sync)
        {
            foreach (var name in diff.Removed.Concat(diff.Changed))
            {
                Engine.Terminate(name);
                RemovePaths(name);
            }
            foreach (var name in diff.Removed)
            {
                Engine.RemoveConnection(name);
                _retry.Remove(name);
                _heldDown.Remove(name);
            }
            var fresh = new HashSet<string>(diff.Added.Concat(diff.Changed), StringComparer.Ordinal);
            foreach (var c in next.Connections.Where(c => fresh.Contains(c.Name)))
                Engine.SetConnection(c);
            _config = next;
            _acceptedPeers = AcceptedPeers(next);
            SetUpTraps(next, fresh);
            foreach (var c in next.Connections.Where(c => fresh.Contains(c.Name)))
            {
                foreach (var child in c.Children.Where(x => x.StartAction == StartAction.Start))
                    Engine.Initiate(c.Name, child.Name);
            }
            Flush();
        }
    }

    /// <summary>Runs what is due; the daemon calls it when <see cref="IkeEngine.NextDeadline"/> passes, and at least once a second.</summary>
    public void OnTimer()
    {
        try
        {
            RunTimers();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            Survive("timer", e);
        }
    }

    private void RunTimers()
    {
        lock (Sync)
        {
            var now = _time.GetUtcNow();
            Kernel.PollUsage();
            Engine.OnTimer();
            Kernel.Sweep();
            SendKeepalives(now);
            KeepUp(now);
            if (now - _cookieRotatedAt >= CookieSecretLifetime)
            {
                Engine.RotateCookieSecret();
                _cookieRotatedAt = now;
            }
            Flush();
        }
    }

    /// <summary>
    /// start_action start means "bring up and keep up": a connection with such children that has no IKE
    /// SA at all (its attempts failed, the peer deleted it, or it died with dpd_action clear) is tried
    /// again, first after <see cref="FirstRetryInterval"/>, then at doubling intervals, as strongSwan does
    /// with keyingtries=%forever. `s2s terminate` holds a connection down until `s2s initiate`.
    /// </summary>
    private void KeepUp(DateTimeOffset now)
    {
        foreach (var c in _config.Connections)
        {
            if (_heldDown.Contains(c.Name) || !c.Children.Any(x => x.StartAction == StartAction.Start) ||
                !c.RemoteAddresses.Any(a => !a.Equals(IPAddress.Any) && !a.Equals(IPAddress.IPv6Any)))
                continue;
            var sas = Engine.Sas.Where(s => s.Config.Name == c.Name && s.State != IkeSaState.Destroyed).ToList();
            if (sas.Count > 0)
            {
                if (sas.Exists(s => s.State == IkeSaState.Established))
                    _retry.Remove(c.Name);
                continue;
            }
            if (!_retry.TryGetValue(c.Name, out var retry))
            {
                _retry[c.Name] = (now + FirstRetryInterval, FirstRetryInterval);
                continue;
            }
            if (now < retry.NextTry)
                continue;
            Log.Retrying(_log, c.Name, retry.Backoff.TotalSeconds);
            foreach (var child in c.Children.Where(x => x.StartAction == StartAction.Start))
                Engine.Initiate(c.Name, child.Name);
            var backoff = retry.Backoff * 2 < MaxRetryInterval ? retry.Backoff * 2 : MaxRetryInterval;
            _retry[c.Name] = (now + backoff, backoff);
        }
    }

    /// <summary>
    /// RFC 3948 2.3: behind a NAT, a one-octet 0xFF keepalive to the peer's 4500 keeps the NAT's mapping
    /// when neither ESP nor IKE went out for <see cref="KeepaliveInterval"/>.
    /// </summary>
    private void SendKeepalives(DateTimeOffset now)
    {
        var live = new HashSet<uint>();
        foreach (var sa in Engine.Sas)
        {
            if (sa.State != IkeSaState.Established || !sa.LocalBehindNat)
                continue;
            live.Add(sa.Id);
            ulong sent = 0;
            foreach (var child in sa.Children)
                sent += Kernel.QueryUsage(child.InboundSpi).OutboundPackets;
            if (!_keepalive.TryGetValue(sa.Id, out var last) || last.OutboundPackets != sent)
            {
                _keepalive[sa.Id] = (sent, now);
                continue;
            }
            if (now - last.LastSent < KeepaliveInterval)
                continue;
            _io.SendUdp(sa.LocalEndpoint, sa.RemoteEndpoint, UdpEncapsulation.NatKeepalive);
            Counters.CountKeepaliveSent();
            _keepalive[sa.Id] = (sent, now);
        }
        foreach (var gone in _keepalive.Keys.Where(k => !live.Contains(k)).ToList())
            _keepalive.Remove(gone);
    }

    /// <summary>Sends what the engine queued, with the non-ESP marker on port 4500, and keeps its events. Under Sync.</summary>
    public void Flush()
    {
        lock (Sync)
        {
            // Our SPIs as they are now, before anything goes out that a peer could answer.
            var spis = Engine.Sas.Select(sa => sa.LocalSpi).ToHashSet();
            if (!spis.SetEquals(Volatile.Read(ref _knownSpis)))
                Volatile.Write(ref _knownSpis, spis);
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
            // The engine logs SA lifecycle itself; the last events are kept for status.
            foreach (var e in Engine.TakeEvents())
            {
                _events.Enqueue(e);
                if (_events.Count > MaxEvents)
                    _events.Dequeue();
            }
        }
    }

    /// <summary>
    /// What a reader or the timer threw, which no packet or peer should be able to cause: counted, logged the first
    /// time for each place and kind, and the loop goes on (a dead reader would silently stop a tunnel).
    /// </summary>
    private void Survive(string loop, Exception e)
    {
        Counters.CountInternalError();
        var site = $"{loop}: {e.GetType().Name} at {e.TargetSite?.DeclaringType?.Name}.{e.TargetSite?.Name}";
        if (_faultsSeen.Count < MaxFaultKinds && _faultsSeen.TryAdd(site, 0))
            Log.LoopFault(_log, loop, S2SEndpoint.Ike.Messages.SafeText.Clean(e.Message), site, e);
    }

    private const int MaxFaultKinds = 64;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _faultsSeen = new(StringComparer.Ordinal);

    private string? Interface(string connection, string child) =>
        _config.Routing.FirstOrDefault(r => r.Connection == connection && r.Child == child)?.Interface;

    private void OnChildSaChanged(EspKernel.Installed installed, bool added)
    {
        var install = installed.Install;
        var paths = Volatile.Read(ref _paths);
        if (!added)
        {
            Volatile.Write(ref _policies, _policies.Remove(install.InboundSpi));
            return;
        }
        var iface = Interface(install.Connection, install.Child);
        var device = iface ?? SharedDevice;
        if (!paths.TryGetValue(installed.ReqId, out var path) || path.Device != device)
        {
            path = new ChildPath(installed.ReqId, install.Connection, install.Child, device) { Held = path?.Held };
            paths = new Dictionary<uint, ChildPath>(paths) { [installed.ReqId] = path };
        }
        path.Endpoints = new Endpoints(installed.Local, installed.Remote);
        Volatile.Write(ref _paths, paths);
        if (iface is not null)
            Volatile.Write(ref _reqIdOfDevice, new Dictionary<string, uint>(Volatile.Read(ref _reqIdOfDevice), StringComparer.Ordinal) { [iface] = installed.ReqId });
        else
            Volatile.Write(ref _policies, _policies.Add(installed.ReqId, install.InboundSpi, install.LocalTs, install.RemoteTs));
        if (path.Held is not null && Kernel.Table.TryGetOutbound(installed.ReqId, out var current))
            ReleaseHeld(path, current, path);
    }

    /// <summary>Another SA of the child carries its traffic now (a rekey's responder switching, a collision's survivor): its endpoints with it.</summary>
    private void OnOutboundChosen(EspKernel.Installed installed)
    {
        if (Volatile.Read(ref _paths).TryGetValue(installed.ReqId, out var path))
            path.Endpoints = new Endpoints(installed.Local, installed.Remote);
    }

    private void OnEndpointsChanged(EspKernel.Installed installed)
    {
        if (!Volatile.Read(ref _paths).TryGetValue(installed.ReqId, out var path))
            return;
        Log.PeerMoved(_log, installed.Install.Connection, installed.Install.Child, installed.Remote.ToString());
        path.Endpoints = new Endpoints(installed.Local, installed.Remote);
    }

    private static partial class Log
    {
        [LoggerMessage(3101, LogLevel.Information, "{Connection}/{Child}: a packet matched the trap; bringing the Child SA up")]
        public static partial void Trapped(ILogger logger, string connection, string child);

        [LoggerMessage(3102, LogLevel.Information, "{Connection}/{Child}: the peer is now at {Remote}; ESP follows")]
        public static partial void PeerMoved(ILogger logger, string connection, string child, string remote);

        [LoggerMessage(3104, LogLevel.Warning, "{Connection}/{Child}: a trapped packet could not start the Child SA: {Reason}")]
        public static partial void TrapFailed(ILogger logger, string connection, string child, string reason);

        [LoggerMessage(3105, LogLevel.Error, "the {Loop} loop survived an internal error: {Error} ({Site}); counted as internal_error, logged once")]
        public static partial void LoopFault(ILogger logger, string loop, string error, string site, Exception exception);

        [LoggerMessage(3103, LogLevel.Information, "{Connection}: no IKE SA; trying again (start_action start keeps it up; waited {Seconds}s)")]
        public static partial void Retrying(ILogger logger, string connection, double seconds);
    }
}
