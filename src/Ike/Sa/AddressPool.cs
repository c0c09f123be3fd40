using System.Net;
using S2SEndpoint.Ike.Exchanges;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Sa;

/// <summary>
/// The leases of one pool of virtual IPs (RFC 7296 2.19, 3.15.1: "The requested address is valid as long as this IKE SA
/// (or its rekeyed successors) requesting the address is valid"), as strongSwan's in-memory pools keep them: an address
/// is online while an IKE SA holds it; when that SA goes it is offline, still bound to the identity that had it, so that
/// the identity gets it back when it returns. A new identity gets an address never leased first, then the offline one
/// left longest ago; with every address online the pool is exhausted. Only the engine's one consumer touches it.
/// </summary>
/// <remarks>
/// The engine owns the leases, not the gateway: they live and die with IKE SAs, which only the engine sees come and go,
/// and engine tests check them without a data plane. The gateway reads them for status (<see cref="IkeEngine.Leases"/>).
/// </remarks>
internal sealed class AddressPool(AddressPoolConfig config)
{
    private readonly UInt128 _first = TrafficSelectorNarrowing.ToNumber(config.First);
    private readonly Dictionary<UInt128, AddressLease> _online = [];
    private readonly Dictionary<UInt128, Identity> _offline = [];
    private readonly Dictionary<Identity, List<UInt128>> _offlineByIdentity = [];
    private readonly LinkedList<UInt128> _offlineOrder = new();
    private UInt128 _unused;

    public AddressPoolConfig Config { get; } = config;

    public int OnlineCount => _online.Count;

    /// <summary>The leases now, online and offline, in address order.</summary>
    public IEnumerable<AddressLease> Leases =>
        _online.Values.Concat(_offline.Select(o => new AddressLease(Config.Name, AddressOf(o.Key), o.Value, null, null)))
            .OrderBy(l => TrafficSelectorNarrowing.ToNumber(l.Address));

    /// <summary>
    /// Leases an address to <paramref name="identity"/> for the IKE SA <paramref name="ikeSaId"/>: <paramref name="wish"/>
    /// if it is in the pool and free (or offline for this identity), else the identity's offline one, else a fresh one,
    /// else the one offline longest. False when every address is online.
    /// </summary>
    public bool TryAcquire(Identity identity, IPAddress? wish, string connection, uint ikeSaId, out IPAddress address)
    {
        if (wish is not null && Config.Contains(wish))
        {
            var w = TrafficSelectorNarrowing.ToNumber(wish) - _first;
            var offlineFor = _offline.GetValueOrDefault(w);
            if (!_online.ContainsKey(w) && (offlineFor is null || offlineFor.Equals(identity)))
                return Take(w, identity, connection, ikeSaId, out address);
        }
        if (_offlineByIdentity.TryGetValue(identity, out var own) && own.Count > 0)
            return Take(own[0], identity, connection, ikeSaId, out address);
        if (_unused < Config.Size)
        {
            // Addresses below _unused that are neither online nor offline were wishes granted out of order: skip past them.
            while (_unused < Config.Size && (_online.ContainsKey(_unused) || _offline.ContainsKey(_unused)))
                _unused++;
            if (_unused < Config.Size)
                return Take(_unused, identity, connection, ikeSaId, out address);
        }
        if (_offlineOrder.First is { } oldest)
            return Take(oldest.Value, identity, connection, ikeSaId, out address);
        address = null!;
        return false;
    }

    private bool Take(UInt128 offset, Identity identity, string connection, uint ikeSaId, out IPAddress address)
    {
        if (_offline.Remove(offset, out var previous))
        {
            _offlineOrder.Remove(offset);
            var list = _offlineByIdentity[previous];
            list.Remove(offset);
            if (list.Count == 0)
                _offlineByIdentity.Remove(previous);
        }
        if (offset == _unused)
            _unused++;
        address = AddressOf(offset);
        _online[offset] = new AddressLease(Config.Name, address, identity, connection, ikeSaId);
        return true;
    }

    /// <summary>The IKE SA that held <paramref name="address"/> went: the lease goes offline, kept for its identity.</summary>
    public void Release(IPAddress address)
    {
        var offset = TrafficSelectorNarrowing.ToNumber(address) - _first;
        if (!_online.Remove(offset, out var lease))
            return;
        _offline[offset] = lease.Identity;
        _offlineOrder.AddLast(offset);
        if (!_offlineByIdentity.TryGetValue(lease.Identity, out var list))
            _offlineByIdentity[lease.Identity] = list = [];
        list.Add(offset);
    }

    /// <summary>An IKE SA rekey (RFC 7296 2.18): the lease passes to the new SA.</summary>
    public void Move(IPAddress address, uint ikeSaId)
    {
        var offset = TrafficSelectorNarrowing.ToNumber(address) - _first;
        if (_online.TryGetValue(offset, out var lease))
            _online[offset] = lease with { IkeSaId = ikeSaId };
    }

    private IPAddress AddressOf(UInt128 offset) => TrafficSelectorNarrowing.ToAddress(_first + offset, Config.Family);
}
