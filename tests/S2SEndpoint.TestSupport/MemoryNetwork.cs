using System.Net;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.TestSupport;

/// <summary>
/// The one in-memory network of the tests: hosts by address, and a pump that delivers what each host sent to the host
/// at the destination address until nobody sends any more. A <see cref="Filter"/> sees every datagram on the way and
/// says what arrives: nothing (lost), the datagram, several (duplicated), or rewritten ones (a NAT, <see cref="PortShiftNat"/>);
/// a test that keeps a datagram back delivers it late with <see cref="Deliver"/>. Datagrams to an address that no host
/// has are lost. Each round takes every host's datagrams in the order the hosts were added, and delivers them at once.
/// </summary>
public sealed class MemoryNetwork<THost>
    where THost : class, INetworkHost
{
    /// <summary>More rounds than any exchange needs: a network still busy after them has hosts that never stop talking.</summary>
    public const int DefaultMaxRounds = 100;

    private readonly List<THost> _hosts = [];
    private readonly Dictionary<IPAddress, THost> _byAddress = [];

    /// <summary>Decides what arrives of each datagram, given its sender; null delivers every datagram as sent.</summary>
    public Func<THost, Datagram, IEnumerable<Datagram>>? Filter { get; set; }

    /// <summary>Every datagram the pump delivered, in order, after the filter, as its sender sees it.</summary>
    public List<(THost From, Datagram Datagram)> Wire { get; } = [];

    /// <summary>How many datagrams went to an address that no host has.</summary>
    public int Unroutable { get; private set; }

    public IReadOnlyList<THost> Hosts => _hosts;

    /// <summary>
    /// Puts <paramref name="host"/> on the network at <paramref name="address"/> (a host may have several). A host that
    /// had the address before loses it, as a restarted peer takes its address over, and leaves when it has none left.
    /// </summary>
    public void Add(IPAddress address, THost host)
    {
        ArgumentNullException.ThrowIfNull(address);
        ArgumentNullException.ThrowIfNull(host);
        if (_byAddress.TryGetValue(address, out var before) && before != host)
        {
            _byAddress.Remove(address);
            if (!_byAddress.ContainsValue(before))
                _hosts.Remove(before);
        }
        if (!_hosts.Contains(host))
            _hosts.Add(host);
        _byAddress[address] = host;
    }

    /// <summary>Pumps until the network is quiet; throws if it is still busy after <paramref name="maxRounds"/> rounds.</summary>
    public void Pump(int maxRounds = DefaultMaxRounds)
    {
        if (!TryPump(maxRounds))
            throw new InvalidOperationException($"the hosts kept talking for {maxRounds} rounds");
    }

    /// <summary>Pumps until the network is quiet or <paramref name="maxRounds"/> rounds have passed; false in the second case.</summary>
    public bool TryPump(int maxRounds = DefaultMaxRounds)
    {
        for (var round = 0; round < maxRounds; round++)
        {
            if (!Round())
                return true;
        }
        return false;
    }

    /// <summary>One round: every host's sent datagrams, through the filter, to their destinations. False when nobody had sent anything.</summary>
    public bool Round()
    {
        var moved = false;
        foreach (var from in _hosts.ToList())
        {
            foreach (var sent in from.TakeSent())
            {
                moved = true;
                foreach (var datagram in Filter is null ? [sent] : Filter(from, sent))
                {
                    if (Deliver(datagram))
                        Wire.Add((from, datagram));
                }
            }
        }
        return moved;
    }

    /// <summary>
    /// Delivers one datagram, as its sender sees it, to the host at its destination now, past the filter and without
    /// noting it on the <see cref="Wire"/> (a datagram a test kept back). False if no host has that address.
    /// </summary>
    public bool Deliver(Datagram datagram)
    {
        ArgumentNullException.ThrowIfNull(datagram);
        if (!_byAddress.TryGetValue(datagram.Remote.Address, out var to))
        {
            Unroutable++;
            return false;
        }
        to.Receive(new Datagram(datagram.Remote, datagram.Local, datagram.Data));
        return true;
    }
}
