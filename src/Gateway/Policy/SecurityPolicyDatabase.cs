using S2SEndpoint.Esp;

namespace S2SEndpoint.Gateway.Policy;

/// <summary>
/// The outbound policies of policy-based children (RFC 4301 4.4.1): for each installed Child SA, the
/// negotiated local and remote selectors and the request ID its outbound SA sits under. A packet from
/// the shared tunnel device goes to the first policy whose selectors hold its source and destination;
/// one that matches none is dropped, never sent in clear. Trap policies (start_action trap) come after
/// every installed one: they catch what no Child SA carries yet. Readers take a snapshot without locks.
/// </summary>
public sealed class SecurityPolicyDatabase
{
    private Entry[] _entries = [];
    private Entry[] _traps = [];

    private readonly record struct Entry(uint ReqId, uint InboundSpi, Selector[] Local, Selector[] Remote);

    public int Count => Volatile.Read(ref _entries).Length;

    public void Add(uint reqId, uint inboundSpi, IEnumerable<Ike.Messages.TrafficSelector> local, IEnumerable<Ike.Messages.TrafficSelector> remote)
    {
        var entry = new Entry(reqId, inboundSpi, [.. local.Select(Selector.FromTrafficSelector)], [.. remote.Select(Selector.FromTrafficSelector)]);
        Volatile.Write(ref _entries, [.. Volatile.Read(ref _entries), entry]);
    }

    public void Remove(uint inboundSpi) =>
        Volatile.Write(ref _entries, [.. Volatile.Read(ref _entries).Where(e => e.InboundSpi != inboundSpi)]);

    /// <summary>A trap policy: packets between the configured selectors go to <paramref name="reqId"/> until an SA takes them.</summary>
    public void AddTrap(uint reqId, IEnumerable<Ike.Messages.TrafficSelector> local, IEnumerable<Ike.Messages.TrafficSelector> remote)
    {
        var entry = new Entry(reqId, 0, [.. local.Select(Selector.FromTrafficSelector)], [.. remote.Select(Selector.FromTrafficSelector)]);
        Volatile.Write(ref _traps, [.. Volatile.Read(ref _traps), entry]);
    }

    public void RemoveTrap(uint reqId) =>
        Volatile.Write(ref _traps, [.. Volatile.Read(ref _traps).Where(e => e.ReqId != reqId)]);

    /// <summary>
    /// The request ID for a packet from <paramref name="source"/> to <paramref name="destination"/> with its
    /// protocol and ports (-1 where none are readable); false when no policy holds it.
    /// </summary>
    public bool TryLookup(bool ipv6, UInt128 source, UInt128 destination, byte protocol, int sourcePort, int destinationPort, out uint reqId) =>
        TryLookup(Volatile.Read(ref _entries), ipv6, source, destination, protocol, sourcePort, destinationPort, out reqId) ||
        TryLookup(Volatile.Read(ref _traps), ipv6, source, destination, protocol, sourcePort, destinationPort, out reqId);

    private static bool TryLookup(Entry[] entries, bool ipv6, UInt128 source, UInt128 destination, byte protocol, int sourcePort, int destinationPort, out uint reqId)
    {
        foreach (var e in entries)
        {
            if (AnyMatches(e.Local, ipv6, source, protocol, sourcePort) && AnyMatches(e.Remote, ipv6, destination, protocol, destinationPort))
            {
                reqId = e.ReqId;
                return true;
            }
        }
        reqId = 0;
        return false;
    }

    private static bool AnyMatches(Selector[] selectors, bool ipv6, UInt128 address, byte protocol, int port)
    {
        foreach (var s in selectors)
        {
            if (s.Matches(ipv6, address, protocol, port))
                return true;
        }
        return false;
    }
}
