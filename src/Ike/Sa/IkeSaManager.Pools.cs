using System.Net;
using System.Net.Sockets;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Sa;

/// <summary>
/// The virtual IP pools of the engine's connections, by name (RFC 7296 2.19): leased to a peer in IKE_AUTH, given back
/// when its IKE SA goes, passed on with an IKE SA rekey. A pool a reload gave a new range starts anew once none of its
/// old addresses is online; the SAs that held leases of the old definition give them back to it.
/// </summary>
internal sealed partial class IkeSaManager
{
    private readonly Dictionary<string, AddressPool> _pools = new(StringComparer.Ordinal);

    /// <summary>Every lease of every pool, online and offline.</summary>
    public IEnumerable<AddressLease> Leases => _pools.Values.SelectMany(p => p.Leases);

    /// <summary>
    /// Leases the peer of <paramref name="sa"/> an address of <paramref name="family"/> from the connection's pools in
    /// order (<paramref name="wish"/> where it can); false when none has one to give.
    /// </summary>
    public bool TryLease(IkeSa sa, AddressFamily family, IPAddress? wish, out IPAddress address, out AddressPoolConfig pool)
    {
        foreach (var config in sa.Config.Pools.Where(p => p.Family == family))
        {
            var leases = PoolOf(config);
            if (leases.TryAcquire(sa.RemoteId!, wish, sa.Config.Name, sa.Id, out address))
            {
                sa.Leases.Add((leases, address));
                pool = config;
                return true;
            }
        }
        address = null!;
        pool = null!;
        return false;
    }

    /// <summary>
    /// The leases of the pool <paramref name="config"/> names. A reload's new definition of the same range keeps them (the
    /// DNS servers sent come from the SA's own configuration); a new range starts anew once no address of the old one is
    /// online, so that no address is ever leased twice.
    /// </summary>
    private AddressPool PoolOf(AddressPoolConfig config)
    {
        if (!_pools.TryGetValue(config.Name, out var pool) ||
            (pool.OnlineCount == 0 && (!pool.Config.First.Equals(config.First) || !pool.Config.Last.Equals(config.Last))))
            _pools[config.Name] = pool = new AddressPool(config);
        return pool;
    }

    /// <summary>The IKE SA went: its leases go offline (kept for the peer's identity), and the virtual IPs we were given leave the device.</summary>
    private void ReleaseVirtualIps(IkeSa sa)
    {
        foreach (var (pool, address) in sa.Leases)
        {
            pool.Release(address);
            Log.VirtualIpReleased(sa.Config.Name, sa.Id, address.ToString(), pool.Config.Name);
        }
        sa.Leases.Clear();
        foreach (var address in sa.LocalVirtualIps)
            Kernel.RemoveVirtualIp(sa.Config.Name, sa.Id, address);
        sa.SetLocalVirtualIps([], []);
    }
}
