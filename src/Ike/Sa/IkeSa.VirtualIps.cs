using System.Net;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Sa;

/// <summary>The virtual IPs of an IKE SA (RFC 7296 2.19): those the peer gave us, and those we leased to the peer.</summary>
public sealed partial class IkeSa
{
    private readonly List<IPAddress> _localVirtualIps = [];
    private readonly List<IPAddress> _dnsServers = [];

    /// <summary>Client: the virtual IPs the peer gave us in its CFG_REPLY; they belong to this SA and its rekeyed successors.</summary>
    public IReadOnlyList<IPAddress> LocalVirtualIps => _localVirtualIps;

    /// <summary>Client: the DNS servers the peer's CFG_REPLY named (INTERNAL_IP4_DNS, INTERNAL_IP6_DNS); logged and shown, never applied.</summary>
    public IReadOnlyList<IPAddress> DnsServers => _dnsServers;

    /// <summary>Responder: the addresses leased to the peer, each with its pool.</summary>
    internal List<(AddressPool Pool, IPAddress Address)> Leases { get; } = [];

    /// <summary>Responder: the virtual IPs leased to the peer, the selectors of its dynamic children.</summary>
    public IReadOnlyList<IPAddress> RemoteVirtualIps => [.. Leases.Select(l => l.Address)];

    /// <summary>
    /// Responder: why the peer has no virtual IP (FAILED_CP_REQUIRED: it asked for none though the connection serves pools;
    /// INTERNAL_ADDRESS_FAILURE: no pool had one to give); a child that needs one is refused with it (RFC 7296 3.15.4).
    /// </summary>
    internal NotifyType? VirtualIpFailure { get; set; }

    internal void SetLocalVirtualIps(IEnumerable<IPAddress> addresses, IEnumerable<IPAddress> dns)
    {
        _localVirtualIps.Clear();
        _localVirtualIps.AddRange(addresses);
        _dnsServers.Clear();
        _dnsServers.AddRange(dns);
    }

    /// <summary>An IKE SA rekey: the new SA takes the virtual IPs and leases, the old one keeps none to give back when it goes.</summary>
    internal void TakeVirtualIpsFrom(IkeSa old)
    {
        // The kernel counts the SAs holding an address: this one holds them now, the old one no more.
        foreach (var address in old._localVirtualIps)
        {
            Context.Kernel.AddVirtualIp(Config.Name, Id, address);
            Context.Kernel.RemoveVirtualIp(old.Config.Name, old.Id, address);
        }
        SetLocalVirtualIps(old._localVirtualIps, old._dnsServers);
        old._localVirtualIps.Clear();
        Leases.AddRange(old.Leases);
        old.Leases.Clear();
        foreach (var (pool, address) in Leases)
            pool.Move(address, Id);
    }
}
