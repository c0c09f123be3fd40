using System.Net;

namespace S2SEndpoint.Gateway.Net;

/// <summary>
/// Host names resolved with the system's resolver (<see cref="Dns.GetHostAddressesAsync(string)"/>:
/// /etc/hosts, then DNS as nsswitch.conf says), on the thread pool so that a slow getaddrinfo never holds the caller,
/// and given up after <see cref="Timeout"/>: a name that does not answer fails the attempt as a name that does not
/// resolve does.
/// </summary>
public sealed class DnsResolver(TimeProvider time) : IHostResolver
{
    /// <summary>How long one lookup may take: long enough for resolv.conf's default of two servers at 5 s each, no longer.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public Task<IPAddress[]> ResolveAsync(string name) => Task.Run(() => Dns.GetHostAddressesAsync(name)).WaitAsync(Timeout, time);
}
