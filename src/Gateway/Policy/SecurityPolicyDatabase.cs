using S2SEndpoint.Esp;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Gateway.Policy;

/// <summary>
/// The outbound policies of policy-based children (RFC 4301 4.4.1): for each installed Child SA, the
/// negotiated local and remote selectors and the request ID its outbound SA sits under. A packet from
/// the shared tunnel device goes to the first policy whose selectors hold its source and destination;
/// one that matches none is dropped, never sent in clear. Trap policies (start_action trap) come after
/// every installed one: they catch what no Child SA carries yet.
///
/// Immutable, as an immutable collection is: <see cref="Add"/> and the others return a new database. The control
/// plane makes the next one and publishes it in the data path's snapshot; the data path reads it without locks.
/// </summary>
public sealed class SecurityPolicyDatabase
{
    private readonly Entry[] _entries;
    private readonly Entry[] _traps;

    private readonly record struct Entry(uint ReqId, uint InboundSpi, Selector[] Local, Selector[] Remote, TrafficSelector[] LocalTs, TrafficSelector[] RemoteTs);

    /// <summary>
    /// One policy as `s2s trace` explains it for a packet: its child's request ID, whether it is a trap policy, its
    /// selectors, and whether they hold the packet's source (local) and destination (remote).
    /// </summary>
    public sealed record Verdict(uint ReqId, bool Trap, IReadOnlyList<TrafficSelector> Local, IReadOnlyList<TrafficSelector> Remote, bool SourceHeld, bool DestinationHeld)
    {
        public bool Holds => SourceHeld && DestinationHeld;
    }

    private SecurityPolicyDatabase(Entry[] entries, Entry[] traps)
    {
        _entries = entries;
        _traps = traps;
    }

    /// <summary>No policies: every packet is dropped.</summary>
    public static SecurityPolicyDatabase Empty { get; } = new([], []);

    /// <summary>Policies of installed Child SAs (trap policies not counted).</summary>
    public int Count => _entries.Length;

    /// <summary>With the policy of the Child SA <paramref name="inboundSpi"/>, after every policy already there.</summary>
    public SecurityPolicyDatabase Add(uint reqId, uint inboundSpi, IEnumerable<TrafficSelector> local, IEnumerable<TrafficSelector> remote) =>
        new(Add(_entries, reqId, inboundSpi, local, remote), _traps);

    /// <summary>Without the policy of the Child SA <paramref name="inboundSpi"/>.</summary>
    public SecurityPolicyDatabase Remove(uint inboundSpi) =>
        new([.. _entries.Where(e => e.InboundSpi != inboundSpi)], _traps);

    /// <summary>With a trap policy: packets between the configured selectors go to <paramref name="reqId"/> until an SA takes them.</summary>
    public SecurityPolicyDatabase AddTrap(uint reqId, IEnumerable<TrafficSelector> local, IEnumerable<TrafficSelector> remote) =>
        new(_entries, Add(_traps, reqId, 0, local, remote));

    public SecurityPolicyDatabase RemoveTrap(uint reqId) =>
        new(_entries, [.. _traps.Where(e => e.ReqId != reqId)]);

    /// <summary>The request ID for an inner IPv4 or IPv6 packet, read with the ESP path's <see cref="IpPacket"/>; false when no policy holds it.</summary>
    public bool TryLookup(ReadOnlySpan<byte> packet, out uint reqId)
    {
        if (!IpPacket.TryReadFlow(packet, out var ipv6, out var source, out var destination, out var protocol, out var sourcePort, out var destinationPort))
        {
            reqId = 0;
            return false;
        }
        return TryLookup(ipv6, source, destination, protocol, sourcePort, destinationPort, out reqId);
    }

    /// <summary>
    /// The request ID for a packet from <paramref name="source"/> to <paramref name="destination"/> with its
    /// protocol and ports (<see cref="IpPacket.NoPort"/> where none are readable); false when no policy holds it.
    /// </summary>
    public bool TryLookup(bool ipv6, UInt128 source, UInt128 destination, byte protocol, int sourcePort, int destinationPort, out uint reqId) =>
        TryLookup(_entries, ipv6, source, destination, protocol, sourcePort, destinationPort, out reqId) ||
        TryLookup(_traps, ipv6, source, destination, protocol, sourcePort, destinationPort, out reqId);

    private static bool TryLookup(Entry[] entries, bool ipv6, UInt128 source, UInt128 destination, byte protocol, int sourcePort, int destinationPort, out uint reqId)
    {
        foreach (var e in entries)
        {
            if (Selector.AnyMatches(e.Local, ipv6, source, protocol, sourcePort) && Selector.AnyMatches(e.Remote, ipv6, destination, protocol, destinationPort))
            {
                reqId = e.ReqId;
                return true;
            }
        }
        reqId = 0;
        return false;
    }

    /// <summary>
    /// Every policy in lookup order (installed, then traps), each with whether it holds the flow: what `s2s trace` shows
    /// for the policy that matched, or for why none did. Allocates; never called for a packet that is not traced.
    /// </summary>
    public IReadOnlyList<Verdict> Explain(bool ipv6, UInt128 source, UInt128 destination, byte protocol, int sourcePort, int destinationPort)
    {
        var verdicts = new List<Verdict>(_entries.Length + _traps.Length);
        foreach (var (entries, trap) in new[] { (_entries, false), (_traps, true) })
        {
            foreach (var e in entries)
            {
                verdicts.Add(new Verdict(e.ReqId, trap, e.LocalTs, e.RemoteTs,
                    Selector.AnyMatches(e.Local, ipv6, source, protocol, sourcePort), Selector.AnyMatches(e.Remote, ipv6, destination, protocol, destinationPort)));
            }
        }
        return verdicts;
    }

    private static Entry[] Add(Entry[] entries, uint reqId, uint inboundSpi, IEnumerable<TrafficSelector> local, IEnumerable<TrafficSelector> remote)
    {
        TrafficSelector[] localTs = [.. local];
        TrafficSelector[] remoteTs = [.. remote];
        return [.. entries, new Entry(reqId, inboundSpi, Selectors(localTs), Selectors(remoteTs), localTs, remoteTs)];
    }

    private static Selector[] Selectors(IEnumerable<TrafficSelector> selectors) => [.. selectors.Select(Selector.FromTrafficSelector)];
}
