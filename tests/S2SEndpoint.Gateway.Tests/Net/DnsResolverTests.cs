using System.Net;
using S2SEndpoint.Gateway.Net;

namespace S2SEndpoint.Gateway.Tests.Net;

/// <summary>The daemon's resolver, on the one name a test may look up: localhost, from /etc/hosts, never a DNS server.</summary>
public sealed class DnsResolverTests
{
    [Fact]
    public async Task ResolveAsync_Localhost_GivesALoopbackAddress()
    {
        var addresses = await new DnsResolver(TimeProvider.System).ResolveAsync("localhost");

        Assert.NotEmpty(addresses);
        Assert.All(addresses, a => Assert.True(IPAddress.IsLoopback(a), $"{a} is not a loopback address"));
    }
}
