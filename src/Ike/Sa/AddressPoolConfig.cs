using System.Net;
using System.Net.Sockets;
using S2SEndpoint.Ike.Exchanges;

namespace S2SEndpoint.Ike.Sa;

/// <summary>
/// One pool of virtual IP addresses a responder leases to its clients (swanctl.conf's pools.NAME): the addresses from
/// <see cref="First"/> to <see cref="Last"/> of one family, and the DNS servers sent with them (INTERNAL_IP4_DNS,
/// INTERNAL_IP6_DNS, RFC 7296 3.15.1). A prefix leaves out its network address and, for IPv4, its broadcast address,
/// as strongSwan's in-memory pools do; a range is leased whole.
/// </summary>
/// <param name="PrefixLength">The prefix length sent with a leased INTERNAL_IP6_ADDRESS: the pool's prefix, or the smallest one that holds a range.</param>
public sealed record AddressPoolConfig(string Name, IPAddress First, IPAddress Last, int PrefixLength, IReadOnlyList<IPAddress> Dns)
{
    public AddressFamily Family => First.AddressFamily;

    /// <summary>How many addresses the pool leases.</summary>
    public UInt128 Size => TrafficSelectorNarrowing.ToNumber(Last) - TrafficSelectorNarrowing.ToNumber(First) + 1;

    /// <summary>A pool of a prefix (10.9.0.0/24): every address but the network's and, for IPv4, the broadcast address.</summary>
    public static AddressPoolConfig FromPrefix(string name, IPNetwork prefix, IReadOnlyList<IPAddress> dns)
    {
        var bits = prefix.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var host = bits - prefix.PrefixLength;
        var network = TrafficSelectorNarrowing.ToNumber(prefix.BaseAddress);
        var last = host == 0 ? network : network + ((UInt128.One << host) - 1);
        var first = network;
        if (host >= 2)
        {
            first = network + 1;
            if (bits == 32)
                last--;
        }
        var family = prefix.BaseAddress.AddressFamily;
        return new AddressPoolConfig(name, TrafficSelectorNarrowing.ToAddress(first, family), TrafficSelectorNarrowing.ToAddress(last, family), prefix.PrefixLength, dns);
    }

    /// <summary>A pool of a range (10.9.0.10-10.9.0.200), every address of it; <paramref name="first"/> not above <paramref name="last"/>, one family.</summary>
    public static AddressPoolConfig FromRange(string name, IPAddress first, IPAddress last, IReadOnlyList<IPAddress> dns)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(last);
        var bits = first.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        var differing = TrafficSelectorNarrowing.ToNumber(first) ^ TrafficSelectorNarrowing.ToNumber(last);
        var length = bits;
        while (differing != 0)
        {
            differing >>= 1;
            length--;
        }
        return new AddressPoolConfig(name, first, last, length, dns);
    }

    /// <summary>Whether <paramref name="address"/> is one the pool leases.</summary>
    public bool Contains(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != Family)
            return false;
        var n = TrafficSelectorNarrowing.ToNumber(address);
        return n >= TrafficSelectorNarrowing.ToNumber(First) && n <= TrafficSelectorNarrowing.ToNumber(Last);
    }

    /// <summary>As swanctl writes a range: FIRST-LAST.</summary>
    public override string ToString() => $"{First}-{Last}";
}
