using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Exchanges;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Sa;

/// <summary>
/// The IKE SAs of one engine, as strongSwan's ike_sa_manager: the table by local SPI, the SAs made for a
/// connection or for a peer's IKE_SA_INIT, the half-open ones an unauthenticated peer made us keep, and the
/// fragment octets they hold. Its partial files hold the SA lifecycle (up, rekeyed, down) and what the SAs
/// send and report. It serves tasks through <see cref="ISaContext"/>; <see cref="IkeEngine"/> is its facade.
/// </summary>
internal sealed partial class IkeSaManager : ISaContext
{
    private readonly Dictionary<ulong, IkeSa> _sas = [];

    // The responder SAs made by IKE_SA_INIT requests, pruned as they come up or go: the admission checks of each new
    // request walk these (at most HalfOpenLimit), not every SA. Only CreateResponder makes a half-open SA, and an SA
    // that leaves Connecting and Authenticating never returns to them.
    private readonly List<IkeSa> _halfOpen = [];

    // The SAs in the table whose peer authenticated, by its identity: an INITIAL_CONTACT looks up its peer's
    // (RFC 7296 2.4) rather than walking every SA. Indexed when IKE_AUTH proves the identity or a rekey's new SA joins
    // the table, and taken out when an SA leaves it.
    private readonly Dictionary<Identity, List<IkeSa>> _byRemoteId = [];
    private readonly TimeProvider _time;
    private long _reassemblyBytes;
    private uint _nextSaId;
    private uint _nextChildId;

    public IkeSaManager(IkeEngineOptions options, IChildSaKernel kernel, TimeProvider time, IRandomSource random, EngineLog log)
    {
        Options = options;
        Kernel = kernel;
        _time = time;
        Random = random;
        Log = log;
        _peerLines = new SourceRateLimiter(time, IkeEngine.PeerLogBurst, IkeEngine.PeerLogPerSecond);
    }

    public IkeEngineOptions Options { get; }
    public IChildSaKernel Kernel { get; }
    public IRandomSource Random { get; }
    public EngineLog Log { get; }
    public IIkeKeyLog? KeyLog => Options.KeyLog;
    public DateTimeOffset Now => _time.GetUtcNow();

    public IReadOnlyCollection<IkeSa> Sas => _sas.Values;

    public bool TryFind(ulong localSpi, out IkeSa sa) => _sas.TryGetValue(localSpi, out sa!);

    public ulong NewSpi()
    {
        Span<byte> b = stackalloc byte[8];
        ulong spi;
        do
        {
            Random.Fill(b);
            spi = BinaryPrimitives.ReadUInt64BigEndian(b);
        }
        while (spi == 0 || _sas.ContainsKey(spi));
        return spi;
    }

    public byte[] NewNonce()
    {
        var nonce = new byte[Options.NonceSize];
        Random.Fill(nonce);
        return nonce;
    }

    public uint NewChildId() => ++_nextChildId;

    /// <summary>The addresses the host resolved for connections whose remote_addrs name hosts, by connection.</summary>
    private readonly Dictionary<string, IReadOnlyList<IPAddress>> _resolved = new(StringComparer.Ordinal);

    /// <summary>The addresses to initiate to, in order, and to accept: the host's for a connection that names hosts, else remote_addrs.</summary>
    public IReadOnlyList<IPAddress> RemoteAddressesOf(IkeSaConfig config) =>
        !config.HasRemoteNames ? config.RemoteAddresses : _resolved.GetValueOrDefault(config.Name) ?? [];

    public void SetRemoteAddresses(string connection, IReadOnlyList<IPAddress> addresses) => _resolved[connection] = [.. addresses];

    public void ForgetRemoteAddresses(string connection) => _resolved.Remove(connection);

    /// <summary>
    /// A new SA for a connection, to one of its remote addresses, with init, NAT detection, auth and the
    /// children queued (the task manager runs them over IKE_SA_INIT and IKE_AUTH).
    /// </summary>
    public IkeSa StartIkeSa(IkeSaConfig config, int remoteIndex, IReadOnlyList<ChildSaConfig> children)
    {
        var addresses = RemoteAddressesOf(config);
        if (addresses.Count == 0)
            throw new InvalidOperationException(config.HasRemoteNames
                ? $"connection '{config.Name}' has no address to initiate to: its remote_addrs name hosts that did not resolve"
                : $"connection '{config.Name}' has no remote_addrs to initiate to");
        var remote = new IPEndPoint(addresses[remoteIndex], config.RemotePort);
        // From the first local address of the peer's family; without one, from that family's wildcard, where the host's
        // routes pick the source (the first authenticated response then shows which one, FollowPeer in TaskManager).
        var family = remote.AddressFamily;
        var address = config.LocalAddresses.FirstOrDefault(a => a.AddressFamily == family)
            ?? (family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any);
        var local = new IPEndPoint(address, config.LocalPort);
        var sa = new IkeSa(this, config, ++_nextSaId, true, NewSpi(), local, remote) { Created = Now, RemoteAddressIndex = remoteIndex, LastInbound = Now };
        Start(sa, children);
        return sa;
    }

    /// <summary>
    /// The new SA of a reauthentication (RFC 7296 2.8.3): to the peer and from the address the old SA uses (either side
    /// may reauthenticate, so the old SA's initiator may have been the peer), on the configured ports, as strongSwan's
    /// reauth starts over on port 500 with NAT detection anew.
    /// </summary>
    private IkeSa StartReauth(IkeSa old, IReadOnlyList<ChildSaConfig> children)
    {
        var local = new IPEndPoint(old.LocalEndpoint.Address, old.Config.LocalPort);
        var remote = new IPEndPoint(old.RemoteEndpoint.Address, old.Config.RemotePort);
        var sa = new IkeSa(this, old.Config, ++_nextSaId, true, NewSpi(), local, remote)
        {
            Created = Now,
            RemoteAddressIndex = old.RemoteAddressIndex,
            LastInbound = Now,
            ReauthOf = old,
        };
        old.ReauthBy = sa;
        Start(sa, children);
        return sa;
    }

    private void Start(IkeSa sa, IReadOnlyList<ChildSaConfig> children)
    {
        var config = sa.Config;
        _sas.Add(sa.LocalSpi, sa);
        Log.Initiating(config.Name, sa.Id, sa.RemoteEndpoint.ToString());
        sa.Tasks.Queue(new IkeInitTask(sa, true));
        sa.Tasks.Queue(new IkeNatdTask(sa, true));
        sa.Tasks.Queue(new IkeIntermediateTask(sa, true));
        sa.Tasks.Queue(new IkeAuthTask(sa, true));
        if (config.VirtualIps.Count > 0)
            sa.Tasks.Queue(new ConfigurationTask(sa, true));
        foreach (var c in children)
            sa.Tasks.Queue(new ChildCreateTask(sa, true, c));
        sa.Tasks.Initiate();
    }

    /// <summary>A half-open SA for a peer's IKE_SA_INIT request that passed the engine's admission checks.</summary>
    public IkeSa CreateResponder(IkeSaConfig config, Datagram datagram, ulong initiatorSpi, UInt128 source, bool addressProved)
    {
        var sa = new IkeSa(this, config, ++_nextSaId, false, NewSpi(), datagram.Local, datagram.Remote)
        {
            InitiatorSpi = initiatorSpi,
            Created = Now,
            LastInbound = Now,
            Source = source,
            AddressProved = addressProved,
        };
        _sas.Add(sa.LocalSpi, sa);
        _halfOpen.Add(sa);
        return sa;
    }

    public IkeSa NewRekeyedSa(IkeSa old, bool originalInitiator, ulong localSpi) =>
        new(this, old.Config, ++_nextSaId, originalInitiator, localSpi, old.LocalEndpoint, old.RemoteEndpoint)
        {
            Created = Now,
            LastInbound = Now,
            LocalBehindNat = old.LocalBehindNat,
            RemoteBehindNat = old.RemoteBehindNat,
            NatFaked = old.NatFaked,
            RemoteId = old.RemoteId,
            PeerSupportsFragmentation = old.PeerSupportsFragmentation,
        };

    public void Register(IkeSa sa)
    {
        if (sa.State == IkeSaState.Destroyed)
            return;
        if (sa.State == IkeSaState.Authenticating || sa.State == IkeSaState.Connecting)
        {
            sa.State = IkeSaState.Established;
            sa.EstablishedAt = Now;
            SaTimers.ScheduleIke(sa, Now);
        }
        _sas.TryAdd(sa.LocalSpi, sa);
        IndexByRemoteId(sa);
    }

    // ---- half-open SAs ----

    /// <summary>An SA a peer asked for with IKE_SA_INIT that has not completed IKE_AUTH: state an unauthenticated peer made us keep.</summary>
    private static bool IsHalfOpenResponder(IkeSa s) => !s.IsOriginalInitiator && s.State is IkeSaState.Connecting or IkeSaState.Authenticating;

    public int HalfOpenCount => HalfOpen().Count;

    /// <summary>The half-open SA a retransmitted IKE_SA_INIT request made (never an established or rekeyed SA).</summary>
    public IkeSa? FindHalfOpen(ulong initiatorSpi, IPEndPoint remote)
    {
        foreach (var existing in HalfOpen())
        {
            if (existing.InitiatorSpi == initiatorSpi && existing.RemoteEndpoint.Equals(remote))
                return existing;
        }
        return null;
    }

    /// <summary>The half-open SAs in all and from one source, and the oldest of that source's made without a cookie.</summary>
    public (int Total, int FromSource, IkeSa? OldestUnproved) CountHalfOpen(UInt128 source)
    {
        var halfOpen = HalfOpen();
        var fromSource = 0;
        IkeSa? oldestUnproved = null;
        foreach (var s in halfOpen)
        {
            if (s.Source != source)
                continue;
            fromSource++;
            if (!s.AddressProved && (oldestUnproved is null || s.Created < oldestUnproved.Created))
                oldestUnproved = s;
        }
        return (halfOpen.Count, fromSource, oldestUnproved);
    }

    /// <summary>The half-open responder SAs in the table now, those that came up or went taken out first.</summary>
    private List<IkeSa> HalfOpen()
    {
        _halfOpen.RemoveAll(s => !IsHalfOpenResponder(s) || !_sas.TryGetValue(s.LocalSpi, out var held) || held != s);
        return _halfOpen;
    }

    // ---- fragment budget of SAs not yet authenticated ----

    /// <summary>Fragment octets held now by SAs not yet authenticated (at most <see cref="IkeEngineOptions.UnauthenticatedReassemblyLimit"/>).</summary>
    public long UnauthenticatedReassemblyBytes => _reassemblyBytes;

    public bool TryChargeReassembly(int octets)
    {
        if (_reassemblyBytes + octets > Options.UnauthenticatedReassemblyLimit)
            return false;
        _reassemblyBytes += octets;
        return true;
    }

    public void ReleaseReassembly(int octets) => _reassemblyBytes -= octets;
}
