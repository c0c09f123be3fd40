using System.Net;

namespace S2SEndpoint.Gateway.Net;

/// <summary>
/// Looks up a host name in remote_addrs (DNS, /etc/hosts), for the control plane, which calls it under its lock and
/// applies the answer later: the lookup itself must not block the caller. The daemon's is <see cref="DnsResolver"/>;
/// tests give their own, so that no test asks a real DNS server.
/// </summary>
public interface IHostResolver
{
    /// <summary>
    /// The name's addresses (IPv4 and IPv6, in the resolver's order). A name that does not resolve, or not in time, fails
    /// the task with a <see cref="System.Net.Sockets.SocketException"/> or a <see cref="TimeoutException"/>.
    /// </summary>
    Task<IPAddress[]> ResolveAsync(string name);
}
