using System.Net;
using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Policy;

namespace S2SEndpoint.Gateway.Tests.Policy;

/// <summary>
/// The virtual IPs peers gave this host, held per IKE SA: the new SA of a make-before-break reauthentication may be given
/// the address its old SA had, and the old SA's going must not take it off the device.
/// </summary>
public sealed class EspKernelVirtualIpTests
{
    private static readonly IPAddress Vip = IPAddress.Parse("10.9.0.1");

    [Fact]
    public void SameAddressHeldByTwoIkeSas_StaysUntilTheLastLetsGo()
    {
        var kernel = new EspKernel(new SaTable(), new SeededRandom(1), new FakeClock(), 1024);

        kernel.AddVirtualIp("home", 1, Vip);
        kernel.AddVirtualIp("home", 2, Vip);
        kernel.RemoveVirtualIp("home", 1, Vip);
        Assert.Equal([Vip], kernel.VirtualIps["home"]);

        kernel.RemoveVirtualIp("home", 2, Vip);
        Assert.False(kernel.VirtualIps.ContainsKey("home"));
    }
}
