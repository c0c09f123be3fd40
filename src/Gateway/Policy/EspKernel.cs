using System.Buffers.Binary;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using S2SEndpoint.Esp;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Diagnostics;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway.Policy;

/// <summary>
/// The IKE engine's view of the data plane (<see cref="IChildSaKernel"/>), on the ESP library: SPIs are
/// allocated here, a Child SA becomes an inbound and an outbound <see cref="EspSa"/>, and one SA per child (under its
/// stable request ID) carries the child's outbound traffic: a new SA takes over in one step when it is installed, or,
/// for the responder of a rekey, when the engine activates it. A superseded SA's inbound side lingers a few seconds
/// after its removal.
///
/// The engine calls it from inside an engine call; nothing it does there reaches the data path. Each call updates the
/// kernel's own records (which the engine reads back: SPIs in use, usage) and is noted as a <see cref="KernelChange"/>;
/// the control plane takes the changes after the engine call returns and applies them (<see cref="Apply"/>): inbound
/// SAs join and leave the <see cref="SaTable"/> around the publication of the data path's next snapshot, which carries
/// each child's outbound SA with its endpoints.
/// </summary>
/// <param name="perPeer">
/// Whether a connection's children get a request ID per peer address: a hub whose remote_addrs allow any
/// peer has one per spoke; a connection to named peers (active-passive included) has one per child.
/// </param>
/// <param name="perSelectors">
/// Whether a child (connection, child) gets a request ID per pair of negotiated selector sets: a policy-based child
/// whose peer brings up one Child SA per selector pair (as Cisco and Azure policy-based gateways do) has one SA
/// carrying each pair's traffic, each found through its own policy, as strongSwan keeps a reqid per set of selectors.
/// A route-based child has one, for its device. Null: one per child.
/// </param>
/// <param name="log">The "esp" category: the data plane's SAs as they join and leave the table, at Debug.</param>
/// <param name="wiresharkKeys">gateway.wireshark_keys: told each SA's keys as it is installed and when it goes; null: off.</param>
public sealed partial class EspKernel(SaTable table, IRandomSource random, TimeProvider time, int replayWindow, Func<string, bool>? perPeer = null, ILogger? log = null,
    WiresharkKeys? wiresharkKeys = null, Func<string, string, bool>? perSelectors = null) : IChildSaKernel
{
    private readonly ILogger _log = log ?? NullLogger.Instance;

    private readonly Dictionary<(string Connection, string Child, IPAddress Peer, string Selectors), uint> _reqIds = [];
    private readonly Dictionary<uint, Installed> _byInboundSpi = [];
    private readonly Dictionary<uint, Installed> _outbound = [];
    private readonly List<KernelChange> _changes = [];
    private readonly List<(EspSa Sa, long RetiredAt)> _retired = [];
    private readonly List<(uint Spi, EspSa Sa, long RemovedAt)> _lingering = [];
    private long _installs;
    private uint _lastReqId;

    /// <summary>
    /// How long a removed SA stays undisposed: a packet that looked it up just before it left the table
    /// finishes with it first (the table itself never disposes).
    /// </summary>
    public static readonly TimeSpan RetireGrace = TimeSpan.FromSeconds(2);

    /// <summary>What the gateway keeps per installed Child SA beside the ESP SAs. Changed under the control lock only.</summary>
    public sealed class Installed(ChildSaInstall install, uint reqId, EspSa inbound, EspSa outbound)
    {
        public ChildSaInstall Install { get; } = install;
        public uint ReqId { get; } = reqId;
        public EspSa Inbound { get; } = inbound;
        public EspSa Outbound { get; } = outbound;

        /// <summary>
        /// Where the SA's ESP goes now: the install's endpoints until a NAT's new mapping moves them. The one owner of
        /// a child's endpoints: the data path's snapshot copies those of the child's chosen SA.
        /// </summary>
        public IPEndPoint Local { get; internal set; } = install.LocalEndpoint;
        public IPEndPoint Remote { get; internal set; } = install.RemoteEndpoint;

        /// <summary>When inbound packets were last seen arriving (by the poll that saw the count change); null before.</summary>
        public DateTimeOffset? LastInbound { get; internal set; }

        internal ulong PolledInboundPackets { get; set; }

        /// <summary>
        /// Whether this SA's outbound side is the one chosen for the child's traffic (false while a rekey's
        /// responder waits for the old SA to go, and once a later SA was chosen).
        /// </summary>
        public bool OutboundActive { get; internal set; }

        /// <summary>The order of installs, for picking the newest SA when the current one goes.</summary>
        internal long Order { get; init; }

        /// <summary>Whether it ever carried the child's traffic (so that the peer has it up).</summary>
        internal bool EverChosen { get; set; }

        /// <summary>
        /// Since when a responder's new SA waits for its peer to install it while an older SA of the child carries
        /// the traffic (<see cref="ChildSaInstall.InstalledByResponder"/>); null when it does not wait.
        /// </summary>
        internal long? HeldSince { get; set; }
    }

    public SaTable Table => table;

    /// <summary>The installed Child SAs, in the order of their installs.</summary>
    public IReadOnlyCollection<Installed> All => _byInboundSpi.Values;

    /// <summary>The SA chosen to carry the outbound traffic of the child <paramref name="reqId"/>; false when it has none.</summary>
    public bool TryGetOutbound(uint reqId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Installed? chosen) =>
        _outbound.TryGetValue(reqId, out chosen);

    /// <summary>What the engine told the kernel since the last take, in order; the control plane applies it with <see cref="Apply"/>.</summary>
    public List<KernelChange> TakeChanges()
    {
        if (_changes.Count == 0)
            return [];
        var taken = new List<KernelChange>(_changes);
        _changes.Clear();
        return taken;
    }

    /// <summary>
    /// Applies <paramref name="changes"/> to the data path, make before break (RFC 7296 2.8): new inbound SAs join the
    /// table, then <paramref name="publish"/> shows the data path each child's outbound SA as the kernel chose it now,
    /// then removed inbound SAs leave the table (a superseded one after <see cref="SupersededInboundLinger"/>) and the
    /// removed SAs wait out <see cref="RetireGrace"/> before they are disposed. Called by the control plane after an
    /// engine call returns, never by the engine.
    /// </summary>
    public void Apply(IReadOnlyList<KernelChange> changes, Action publish)
    {
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(publish);
        foreach (var change in changes)
        {
            if (change.Kind != KernelChangeKind.Installed)
                continue;
            table.AddInbound(change.Sa.Inbound);
            if (_log.IsEnabled(LogLevel.Debug))
                Log.Joined(_log, Name(change.Sa), change.Sa.Install.InboundSpi, change.Sa.Install.OutboundSpi, change.Sa.ReqId, replayWindow,
                    change.Sa.Local.ToString(), change.Sa.Remote.ToString(), change.Sa.Install.OutboundDeferred ? "held back until the old SA goes"
                    : change.Sa.HeldSince is not null ? "held back until the peer has it" : "carries the child's traffic");
        }
        publish();
        var now = time.GetTimestamp();
        foreach (var change in changes)
        {
            var installed = change.Sa;
            if (change.Kind == KernelChangeKind.Superseded)
            {
                _lingering.Add((installed.Install.InboundSpi, installed.Inbound, now));
            }
            else if (change.Kind == KernelChangeKind.Removed)
            {
                table.RemoveInbound(installed.Install.InboundSpi);
                _retired.Add((installed.Inbound, now));
            }
            else
            {
                if (change.Kind == KernelChangeKind.OutboundActivated && _log.IsEnabled(LogLevel.Debug))
                    Log.Activated(_log, Name(installed), installed.Install.OutboundSpi, installed.ReqId);
                continue;
            }
            _retired.Add((installed.Outbound, now));
            Retire(installed);
            if (_log.IsEnabled(LogLevel.Debug))
                Log.Left(_log, Name(installed), installed.Install.InboundSpi, installed.Install.OutboundSpi, installed.Inbound.Packets, installed.Outbound.Packets,
                    Drops(installed), change.Kind == KernelChangeKind.Superseded ? $", inbound open for {SupersededInboundLinger.TotalSeconds:0} s more" : "");
        }
        Sweep();
    }

    /// <summary>
    /// The stable request ID of a child (with one peer, for a hub; with one pair of selector sets, for a policy-based
    /// child): its policy points at it, its SAs come and go under it across rekeys (which keep their selectors),
    /// failovers and NAT remaps. Two peers of one hub connection get two, and so do two Child SAs of one policy-based
    /// child with different selectors. A trap asks with the child's configured selectors: the SA that comes for it
    /// with the same selectors takes its request ID.
    /// </summary>
    public uint ReqIdOf(string connection, string child, IPAddress peer, IReadOnlyList<TrafficSelector>? localTs = null, IReadOnlyList<TrafficSelector>? remoteTs = null)
    {
        if (perPeer is null || !perPeer(connection))
            peer = IPAddress.None;
        var selectors = perSelectors is not null && perSelectors(connection, child) && localTs is not null && remoteTs is not null
            ? $"{string.Join(",", localTs)} === {string.Join(",", remoteTs)}"
            : "";
        if (!_reqIds.TryGetValue((connection, child, peer, selectors), out var id))
        {
            id = ++_lastReqId;
            _reqIds.Add((connection, child, peer, selectors), id);
        }
        return id;
    }

    /// <summary>
    /// Forgets the request ID <paramref name="reqId"/> when no installed SA has it (a policy-based child's pair of selectors,
    /// or a hub's peer, whose last SA went): the next SA of that pair or peer gets a new one, so that what peers negotiate
    /// cannot make the table grow for good. True when it was forgotten.
    /// </summary>
    public bool ForgetReqId(uint reqId)
    {
        if (_byInboundSpi.Values.Any(i => i.ReqId == reqId))
            return false;
        foreach (var (key, id) in _reqIds)
        {
            if (id == reqId)
                return _reqIds.Remove(key);
        }
        return false;
    }

    public uint AllocateSpi()
    {
        Span<byte> b = stackalloc byte[4];
        while (true)
        {
            random.Fill(b);
            var spi = BinaryPrimitives.ReadUInt32BigEndian(b);
            // RFC 4303 2.1: SPIs 1 to 255 are reserved; 0 is for local use.
            // Not in use, nor still in the table (removed SAs leave it when the control plane applies the removal).
            if (spi >= ChildSa.FirstValidSpi && !_byInboundSpi.ContainsKey(spi) && !table.TryGetInbound(spi, out _))
                return spi;
        }
    }

    public void Install(ChildSaInstall childSa)
    {
        ArgumentNullException.ThrowIfNull(childSa);
        if (childSa.InboundSpi < ChildSa.FirstValidSpi || childSa.OutboundSpi < ChildSa.FirstValidSpi)
            throw new ArgumentException($"SPIs {childSa.InboundSpi:x8}/{childSa.OutboundSpi:x8}: values below {ChildSa.FirstValidSpi} are reserved (RFC 4303 2.1)", nameof(childSa));
        var reqId = ReqIdOf(childSa.Connection, childSa.Child, childSa.RemoteEndpoint.Address, childSa.LocalTs, childSa.RemoteTs);
        var lifetime = new SaLifetime
        {
            HardBytes = childSa.LifeBytes > 0 ? childSa.LifeBytes : ulong.MaxValue,
            HardPackets = childSa.LifePackets > 0 ? childSa.LifePackets : ulong.MaxValue,
        };
        // The ESP SAs' own outer addresses and ports only frame whole IP datagrams (Framing.IpPacket), which the gateway
        // never asks for: where the child's ESP goes is the Installed record's Local and Remote.
        EspSaSettings Settings(SaDirection direction, uint spi) => new()
        {
            Spi = spi,
            Direction = direction,
            ReqId = reqId,
            LocalAddress = childSa.LocalEndpoint.Address,
            RemoteAddress = childSa.RemoteEndpoint.Address,
            UdpEncapsulation = childSa.UdpEncapsulation,
            LocalPort = (ushort)childSa.LocalEndpoint.Port,
            RemotePort = (ushort)childSa.RemoteEndpoint.Port,
            LocalSelectors = childSa.LocalTs,
            RemoteSelectors = childSa.RemoteTs,
            Lifetime = lifetime,
            ReplayWindowSize = replayWindow,
        };
        EspSa inbound, outbound;
        try
        {
            inbound = EspSa.Create(Settings(SaDirection.Inbound, childSa.InboundSpi), childSa.Suite, childSa.InboundEncryptionKey, childSa.InboundIntegrityKey, random, time);
            try
            {
                outbound = EspSa.Create(Settings(SaDirection.Outbound, childSa.OutboundSpi), childSa.Suite, childSa.OutboundEncryptionKey, childSa.OutboundIntegrityKey, random, time);
            }
            catch
            {
                inbound.Dispose();
                throw;
            }
            // Only an SA that was made, and while its keys are still there.
            wiresharkKeys?.Installed(childSa);
        }
        finally
        {
            // The ESP SAs hold their own key schedules now (or none was made): the engine's copies go.
            childSa.ZeroKeys();
        }
        var installed = new Installed(childSa, reqId, inbound, outbound) { Order = ++_installs };
        _byInboundSpi[childSa.InboundSpi] = installed;
        _changes.Add(new KernelChange(KernelChangeKind.Installed, installed));
        // The replaced outbound SA stays reachable through its own Installed entry until the engine removes it.
        // The responder of a rekey keeps sending on the old SA until the engine activates the new one; the responder of
        // a new SA of a child that has one (a make-before-break reauthentication) until the peer has it too.
        if (childSa.OutboundDeferred)
            return;
        if (childSa.InstalledByResponder && _outbound.ContainsKey(reqId))
            installed.HeldSince = time.GetTimestamp();
        else
            Choose(installed);
    }

    /// <summary>
    /// How long a responder's new SA waits at most for its peer (<see cref="ChildSaInstall.InstalledByResponder"/>)
    /// before it carries the child's traffic even though the older SA is still there and the peer sent nothing on it:
    /// an initiator installs it within milliseconds of our response; one that restarted without INITIAL_CONTACT has
    /// only the new one.
    /// </summary>
    public static readonly TimeSpan PeerInstallHold = TimeSpan.FromSeconds(1);

    /// <summary>How long the inbound side of a Child SA replaced by a rekey keeps opening packets (strongSwan's delete_rekeyed_delay).</summary>
    public static readonly TimeSpan SupersededInboundLinger = TimeSpan.FromSeconds(5);

    public void Remove(uint inboundSpi, uint outboundSpi) => Remove(inboundSpi, outboundSpi, linger: false);

    public void RemoveSuperseded(uint inboundSpi, uint outboundSpi) => Remove(inboundSpi, outboundSpi, linger: true);

    private void Remove(uint inboundSpi, uint outboundSpi, bool linger)
    {
        if (!_byInboundSpi.Remove(inboundSpi, out var installed))
            return;
        wiresharkKeys?.Removed(installed.Install.InboundSpi, installed.Install.OutboundSpi);
        _changes.Add(new KernelChange(linger ? KernelChangeKind.Superseded : KernelChangeKind.Removed, installed));
        // A rekey may already have put a newer SA in this child's outbound slot: only this SA's own goes, and
        // if another SA of the child is still installed (the survivor of a rekey collision), it takes the slot.
        if (_outbound.TryGetValue(installed.ReqId, out var current) && current == installed)
        {
            installed.OutboundActive = false;
            // Never one a rekey's responder still holds back (the peer may not have it yet): the newest of the rest.
            var survivor = _byInboundSpi.Values.Where(i => i.ReqId == installed.ReqId && (!i.Install.OutboundDeferred || i.EverChosen)).MaxBy(i => i.Order);
            if (survivor is not null)
                Choose(survivor);
            else
                _outbound.Remove(installed.ReqId);
        }
    }

    /// <summary>Disposes (and so zeroes the keys of) removed SAs whose grace time has passed. Control plane only.</summary>
    public void Sweep()
    {
        for (var i = _lingering.Count - 1; i >= 0; i--)
        {
            var (spi, sa, since) = _lingering[i];
            if (time.GetElapsedTime(since) < SupersededInboundLinger)
                continue;
            table.RemoveInbound(spi);
            _retired.Add((sa, time.GetTimestamp()));
            _lingering.RemoveAt(i);
        }
        for (var i = _retired.Count - 1; i >= 0; i--)
        {
            if (time.GetElapsedTime(_retired[i].RetiredAt) < RetireGrace)
                continue;
            _retired[i].Sa.Dispose();
            _retired.RemoveAt(i);
        }
    }

    public ChildSaUsage QueryUsage(uint inboundSpi)
    {
        if (!_byInboundSpi.TryGetValue(inboundSpi, out var i))
            return default;
        Poll(i, time.GetUtcNow());
        // The outbound SA's own lifetime stage: its sequence numbers near their end (soft) or spent (hard).
        var stage = i.Outbound.Stage;
        return new ChildSaUsage(i.Inbound.Bytes, i.Inbound.Packets, i.Outbound.Bytes, i.Outbound.Packets, i.LastInbound,
            RekeyNeeded: stage >= LifetimeStage.SoftExpired, Exhausted: stage == LifetimeStage.HardExpired);
    }

    /// <summary>
    /// Notes which SAs received since the last poll. The data path keeps only counters (no clock reads per
    /// packet); the gateway's timer polls at least once a second, which is what liveness needs. A responder's new SA
    /// held back for its peer (<see cref="ChildSaInstall.InstalledByResponder"/>) takes the child's traffic here once
    /// the peer has sent on it or <see cref="PeerInstallHold"/> has passed.
    /// </summary>
    public void PollUsage()
    {
        var now = time.GetUtcNow();
        foreach (var i in _byInboundSpi.Values)
        {
            Poll(i, now);
            // A held SA the peer has sent on, or that waited long enough, takes the child's traffic, unless a newer
            // one already did.
            if (i.HeldSince is not { } since || (i.Inbound.Packets == 0 && time.GetElapsedTime(since) < PeerInstallHold))
                continue;
            i.HeldSince = null;
            if (_outbound.TryGetValue(i.ReqId, out var current) && current.Order > i.Order)
                continue;
            Choose(i);
            _changes.Add(new KernelChange(KernelChangeKind.OutboundActivated, i));
        }
    }

    private static void Poll(Installed i, DateTimeOffset now)
    {
        var packets = i.Inbound.Packets;
        if (packets == i.PolledInboundPackets)
            return;
        i.PolledInboundPackets = packets;
        i.LastInbound = now;
    }

    public void ActivateOutbound(uint inboundSpi)
    {
        if (!_byInboundSpi.TryGetValue(inboundSpi, out var i))
            return;
        Choose(i);
        _changes.Add(new KernelChange(KernelChangeKind.OutboundActivated, i));
    }

    /// <summary>Makes <paramref name="chosen"/> carry its child's outbound traffic, and the only one marked so.</summary>
    private void Choose(Installed chosen)
    {
        if (_outbound.TryGetValue(chosen.ReqId, out var previous))
            previous.OutboundActive = false;
        chosen.OutboundActive = true;
        chosen.EverChosen = true;
        chosen.HeldSince = null;
        _outbound[chosen.ReqId] = chosen;
    }

    public void UpdateEndpoints(uint inboundSpi, IPEndPoint local, IPEndPoint remote)
    {
        if (!_byInboundSpi.TryGetValue(inboundSpi, out var i) || (i.Local.Equals(local) && i.Remote.Equals(remote)))
            return;
        i.Local = local;
        i.Remote = remote;
        wiresharkKeys?.Moved(i.Install.InboundSpi, i.Install.OutboundSpi, local.Address, remote.Address);
        _changes.Add(new KernelChange(KernelChangeKind.EndpointsMoved, i));
    }

    private readonly Dictionary<string, List<IPAddress>> _virtualIps = new(StringComparer.Ordinal);

    /// <summary>
    /// The virtual IPs peers gave this host, by connection (RFC 7296 2.19): the control plane puts them on the
    /// connection's devices after the engine call returns, and takes them off once they are gone from here.
    /// </summary>
    public IReadOnlyDictionary<string, List<IPAddress>> VirtualIps => _virtualIps;

    /// <summary>The IKE SAs holding each virtual IP: a reauthentication's new SA may be given the address its old one had.</summary>
    private readonly Dictionary<(string Connection, IPAddress Address), HashSet<uint>> _virtualIpHolders = [];

    public void AddVirtualIp(string connection, uint ikeSaId, IPAddress address)
    {
        if (!_virtualIpHolders.TryGetValue((connection, address), out var holders))
            _virtualIpHolders[(connection, address)] = holders = [];
        holders.Add(ikeSaId);
        if (!_virtualIps.TryGetValue(connection, out var list))
            _virtualIps[connection] = list = [];
        if (!list.Contains(address))
            list.Add(address);
    }

    /// <summary>
    /// The IKE SA <paramref name="ikeSaId"/> no longer holds the address: it leaves the device once no SA of the
    /// connection does (the new SA of a make-before-break reauthentication may hold the same one).
    /// </summary>
    public void RemoveVirtualIp(string connection, uint ikeSaId, IPAddress address)
    {
        if (_virtualIpHolders.TryGetValue((connection, address), out var holders))
        {
            holders.Remove(ikeSaId);
            if (holders.Count > 0)
                return;
            _virtualIpHolders.Remove((connection, address));
        }
        if (!_virtualIps.TryGetValue(connection, out var list))
            return;
        list.Remove(address);
        if (list.Count == 0)
            _virtualIps.Remove(connection);
    }

    public bool TryGetByInboundSpi(uint spi, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Installed? installed) => _byInboundSpi.TryGetValue(spi, out installed);

    /// <summary>Traffic of a child over all its SAs so far, for metrics: what the gone ones carried plus the live ones.</summary>
    public readonly record struct ChildTotals(ulong InboundBytes, ulong InboundPackets, ulong OutboundBytes, ulong OutboundPackets);

    private readonly Dictionary<(string Connection, string Child), ChildTotals> _retiredTotals = [];

    /// <summary>The drops of every SA that has gone, so that a running total never goes down when an SA does.</summary>
    public DropCounters<DropReason> RetiredDrops { get; } = new();

    private void Retire(Installed i)
    {
        var key = (i.Install.Connection, i.Install.Child);
        var t = _retiredTotals.GetValueOrDefault(key);
        _retiredTotals[key] = new ChildTotals(t.InboundBytes + i.Inbound.Bytes, t.InboundPackets + i.Inbound.Packets, t.OutboundBytes + i.Outbound.Bytes, t.OutboundPackets + i.Outbound.Packets);
        RetiredDrops.Add(i.Inbound.Drops);
        RetiredDrops.Add(i.Outbound.Drops);
    }

    /// <summary>Each child's traffic over all its SAs so far (control plane).</summary>
    public IReadOnlyDictionary<(string Connection, string Child), ChildTotals> Totals()
    {
        var totals = new Dictionary<(string Connection, string Child), ChildTotals>(_retiredTotals);
        foreach (var i in _byInboundSpi.Values)
        {
            var key = (i.Install.Connection, i.Install.Child);
            var t = totals.GetValueOrDefault(key);
            totals[key] = new ChildTotals(t.InboundBytes + i.Inbound.Bytes, t.InboundPackets + i.Inbound.Packets, t.OutboundBytes + i.Outbound.Bytes, t.OutboundPackets + i.Outbound.Packets);
        }
        return totals;
    }

    private static string Name(Installed i) => $"{i.Install.Connection}/{i.Install.Child}{{{i.Install.UniqueId}}}";

    /// <summary>The drops of both directions, as status names them, for the line that says an SA left.</summary>
    private static string Drops(Installed i)
    {
        var all = i.Inbound.Drops.Nonzero().Concat(i.Outbound.Drops.Nonzero()).Select(d => $"{d.Key} {d.Value}").ToList();
        return all.Count == 0 ? "none" : string.Join(", ", all);
    }

    private static partial class Log
    {
        [LoggerMessage(4101, LogLevel.Debug, "{Child} ESP SAs {SpiIn:x8}_i {SpiOut:x8}_o join the data plane (reqid {ReqId}, replay window {Window}, {Local} -> {Remote}): the outbound one {Role}")]
        public static partial void Joined(ILogger logger, string child, uint spiIn, uint spiOut, uint reqId, int window, string local, string remote, string role);

        [LoggerMessage(4102, LogLevel.Debug, "{Child} ESP SA {SpiOut:x8}_o now carries reqid {ReqId}'s traffic")]
        public static partial void Activated(ILogger logger, string child, uint spiOut, uint reqId);

        [LoggerMessage(4103, LogLevel.Debug, "{Child} ESP SAs {SpiIn:x8}_i {SpiOut:x8}_o leave the data plane after {PacketsIn} packets in, {PacketsOut} out; drops: {Drops}{Linger}")]
        public static partial void Left(ILogger logger, string child, uint spiIn, uint spiOut, ulong packetsIn, ulong packetsOut, string drops, string linger);
    }
}
