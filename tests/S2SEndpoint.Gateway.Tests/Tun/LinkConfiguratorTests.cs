using System.Net;
using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Gateway.Tun;

namespace S2SEndpoint.Gateway.Tests.Tun;

/// <summary>
/// The ip commands LinkConfigurator runs, their order and its messages, first with a recording fake in place of
/// ip (no root needed), then for real in a namespace: everything it added is gone after Dispose. The routes into
/// its interface are RouteTable's (RouteTableTests); the namespace tests here add them through one.
/// </summary>
public sealed class LinkConfiguratorTests
{
    private static readonly IpCommand.Result Ok = new(0, "", "");

    [Fact]
    public void Commands_InANamespace_AreTheIpArgumentLists()
    {
        var ran = new List<string>();
        var link = new LinkConfigurator("s2s0", "s2st-test", Recorder(ran));

        link.SetMtu(1400);
        link.AddAddress(IPAddress.Parse("10.99.0.1"), 24);
        link.AddAddress(IPAddress.Parse("fd00:99::1"), 64);
        link.BringUp();

        Assert.Equal(
        [
            "-n|s2st-test|link|set|dev|s2s0|mtu|1400",
            "-n|s2st-test|address|add|10.99.0.1/24|dev|s2s0",
            "-n|s2st-test|address|add|fd00:99::1/64|dev|s2s0",
            "-n|s2st-test|link|set|dev|s2s0|up",
        ], ran);
    }

    [Fact]
    public void Dispose_RemovesTheAddresses_NewestFirst_Once()
    {
        var ran = new List<string>();
        var link = new LinkConfigurator("s2s0", null, Recorder(ran));
        link.AddAddress(IPAddress.Parse("10.99.0.1"), 24);
        link.SetMtu(1400);
        link.AddAddress(IPAddress.Parse("fd00:99::1"), 64);
        ran.Clear();

        link.Dispose();
        link.Dispose();

        Assert.Equal(["address|del|fd00:99::1/64|dev|s2s0", "address|del|10.99.0.1/24|dev|s2s0"], ran);
    }

    [Fact]
    public void AddAddress_WithAPeer_ThePrefixLengthIsThePeers_AndRemoveAddressForgetsIt()
    {
        var ran = new List<string>();
        var link = new LinkConfigurator("vti0", null, Recorder(ran));

        link.AddAddress(IPAddress.Parse("169.254.21.2"), IPAddress.Parse("169.254.21.1"), 32);
        link.AddAddress(IPAddress.Parse("169.254.22.2"), 30);
        link.RemoveAddress(IPAddress.Parse("169.254.22.2"), 30);
        link.Dispose();

        Assert.Equal(
        [
            "address|add|169.254.21.2|peer|169.254.21.1/32|dev|vti0",
            "address|add|169.254.22.2/30|dev|vti0",
            "address|del|169.254.22.2/30|dev|vti0",
            "address|del|169.254.21.2|peer|169.254.21.1/32|dev|vti0",
        ], ran);
    }

    [Fact]
    public void AddAddress_PeerOfAnotherFamily_Throws()
    {
        var link = new LinkConfigurator("vti0", null, Recorder([]));

        var e = Assert.Throws<ArgumentException>(() => link.AddAddress(IPAddress.Parse("169.254.21.2"), IPAddress.Parse("fd00::1"), 128));

        Assert.StartsWith("Peer fd00::1 is not valid for address 169.254.21.2: both are IPv4 or both IPv6.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IgnoreRoutesWhileCarrierDown_InANamedNamespace_RunsSysctlThere()
    {
        var ran = new List<string>();
        var link = new LinkConfigurator("vti0", "s2st-test", Recorder(ran));

        link.IgnoreRoutesWhileCarrierDown();

        Assert.Contains("netns|exec|s2st-test|sysctl|-q|-w|net/ipv4/conf/vti0/ignore_routes_with_linkdown=1", ran);
    }

    [Fact]
    public void FailingCommand_MessageNamesTheCommandAndIpsError()
    {
        var link = new LinkConfigurator("s2s0", "s2st-test", _ => new IpCommand.Result(2, "", "RTNETLINK answers: File exists\n"));

        var e = Assert.Throws<InvalidOperationException>(() => link.AddAddress(IPAddress.Parse("10.99.0.1"), 24));

        Assert.Equal("`ip -n s2st-test address add 10.99.0.1/24 dev s2s0` failed (exit 2): RTNETLINK answers: File exists.", e.Message);
    }

    [Theory]
    [InlineData("RTNETLINK answers: No such process")]
    [InlineData("Cannot find device \"s2s0\"")]
    [InlineData("Error: ipv4: Address not found.")]
    [InlineData("Error: ipv6: address not found.")]
    [InlineData("Error: FIB table does not exist.")]
    [InlineData("Cannot open network namespace \"s2st-test\": No such file or directory")]
    public void Dispose_WhatIsAlreadyGone_IsNotAnError(string ipError)
    {
        var removing = false;
        var link = new LinkConfigurator("s2s0", "s2st-test", _ => removing ? new IpCommand.Result(2, "", ipError) : Ok);
        link.AddAddress(IPAddress.Parse("10.99.0.1"), 24);
        removing = true;

        link.Dispose();
    }

    [Fact]
    public void Dispose_AnotherFailure_IsThrownAfterEverythingWasTried()
    {
        var ran = new List<string>();
        var link = new LinkConfigurator("s2s0", null, arguments =>
        {
            ran.Add(string.Join(' ', arguments));
            return arguments[1] == "del" && arguments[2] == "fd00:99::1/64" ? new IpCommand.Result(2, "", "RTNETLINK answers: Operation not permitted") : Ok;
        });
        link.AddAddress(IPAddress.Parse("10.99.0.1"), 24);
        link.AddAddress(IPAddress.Parse("fd00:99::1"), 64);
        ran.Clear();

        var e = Assert.Throws<InvalidOperationException>(link.Dispose);

        Assert.Equal("`ip address del fd00:99::1/64 dev s2s0` failed (exit 2): RTNETLINK answers: Operation not permitted.", e.Message);
        Assert.Equal(["address del fd00:99::1/64 dev s2s0", "address del 10.99.0.1/24 dev s2s0"], ran);
    }

    [NamespaceFact]
    public void Dispose_InANamespace_RemovesRoutesAndAddresses_AndTheTunGoesWithItsLastQueue()
    {
        using var ns = TestNamespace.Create();
        var tun = ns.OnThread(() => TunDevice.Open("s2s%d"));
        try
        {
            var link = new LinkConfigurator(tun.Name, ns.Name);
            var routes = new RouteTable(ns.Name);
            link.SetMtu(1400);
            link.AddAddress(IPAddress.Parse("10.99.0.1"), 24);
            link.AddAddress(IPAddress.Parse("fd00:99::1"), 64);
            link.BringUp();
            routes.Install([(tun.Name, new TunnelRoute(IPNetwork.Parse("10.99.1.0/24"), 100)), (tun.Name, new TunnelRoute(IPNetwork.Parse("fd00:99:1::/64"), null))]);
            Assert.Contains($"10.99.1.0/24 dev {tun.Name} scope link metric 100", ns.Ip("route", "show"), StringComparison.Ordinal);
            Assert.Contains($"fd00:99:1::/64 dev {tun.Name}", ns.Ip("-6", "route", "show"), StringComparison.Ordinal);
            Assert.Contains("inet 10.99.0.1/24", ns.Ip("address", "show", "dev", tun.Name), StringComparison.Ordinal);
            Assert.Contains("inet6 fd00:99::1/64", ns.Ip("address", "show", "dev", tun.Name), StringComparison.Ordinal);

            routes.Dispose();
            link.Dispose();
            Assert.DoesNotContain("10.99.1.0/24", ns.Ip("route", "show"), StringComparison.Ordinal);
            Assert.DoesNotContain("fd00:99:1::", ns.Ip("-6", "route", "show"), StringComparison.Ordinal);
            var addresses = ns.Ip("address", "show", "dev", tun.Name);
            Assert.DoesNotContain("10.99.0.1", addresses, StringComparison.Ordinal);
            Assert.DoesNotContain("fd00:99::1", addresses, StringComparison.Ordinal);
            link.Dispose();
        }
        finally
        {
            tun.Dispose();
        }
        Assert.DoesNotContain(tun.Name, ns.Ip("link", "show"), StringComparison.Ordinal);
    }

    /// <summary>
    /// What a route-based child's device gets (a point-to-point address with its peer, a route with a metric, routes
    /// passed over while it has no carrier), for real: one prefix into two devices with metrics 100 and 200 goes into the
    /// first while it has carrier, into the second at once when the first loses it, and back when it returns.
    /// </summary>
    [NamespaceFact]
    public void PeerAddressesAndMetrics_InANamespace_TheNextMetricCarriesWhileTheFirstHasNoCarrier()
    {
        using var ns = TestNamespace.Create();
        using var first = ns.OnThread(() => TunDevice.Open("s2s%d"));
        using var second = ns.OnThread(() => TunDevice.Open("s2s%d"));
        using var a = new LinkConfigurator(first.Name, ns.Name);
        using var b = new LinkConfigurator(second.Name, ns.Name);
        using var table = new RouteTable(ns.Name);
        a.AddAddress(IPAddress.Parse("169.254.21.2"), IPAddress.Parse("169.254.21.1"), 32);
        a.AddAddress(IPAddress.Parse("fd00:99::2"), IPAddress.Parse("fd00:99::1"), 128);
        a.IgnoreRoutesWhileCarrierDown();
        a.BringUp();
        b.AddAddress(IPAddress.Parse("169.254.22.2"), 30);
        // The daemon's way: /proc/sys of the namespace it runs in.
        ns.OnThread(() =>
        {
            using var local = new LinkConfigurator(second.Name);
            local.IgnoreRoutesWhileCarrierDown();
            return true;
        });
        b.BringUp();
        table.Install(
        [
            (first.Name, new TunnelRoute(IPNetwork.Parse("10.99.2.0/24"), 100)),
            (first.Name, new TunnelRoute(IPNetwork.Parse("fd00:99:2::/64"), 100)),
            (second.Name, new TunnelRoute(IPNetwork.Parse("10.99.2.0/24"), 200)),
            (second.Name, new TunnelRoute(IPNetwork.Parse("fd00:99:2::/64"), 200)),
        ]);

        var addresses = ns.Ip("-o", "address", "show", "dev", first.Name);
        Assert.Contains("inet 169.254.21.2 peer 169.254.21.1/32", addresses, StringComparison.Ordinal);
        Assert.Contains("inet6 fd00:99::2 peer fd00:99::1/128", addresses, StringComparison.Ordinal);
        Assert.Contains("inet 169.254.22.2/30", ns.Ip("-o", "address", "show", "dev", second.Name), StringComparison.Ordinal);
        Assert.Contains($"169.254.21.1 dev {first.Name} proto kernel scope link src 169.254.21.2", ns.Ip("route", "show"), StringComparison.Ordinal);
        var routes = ns.Ip("route", "show");
        Assert.Contains($"10.99.2.0/24 dev {first.Name} scope link metric 100", routes, StringComparison.Ordinal);
        Assert.Contains($"10.99.2.0/24 dev {second.Name} scope link metric 200", routes, StringComparison.Ordinal);
        foreach (var device in (string[])[first.Name, second.Name])
        {
            Assert.Equal("1", ns.OnThread(() => File.ReadAllText($"/proc/sys/net/ipv4/conf/{device}/ignore_routes_with_linkdown").Trim()));
            Assert.Equal("1", ns.OnThread(() => File.ReadAllText($"/proc/sys/net/ipv6/conf/{device}/ignore_routes_with_linkdown").Trim()));
        }
        bool Via(TunDevice device) =>
            ns.Ip("route", "get", "10.99.2.1").Contains($" dev {device.Name} ", StringComparison.Ordinal)
            && ns.Ip("-6", "route", "get", "fd00:99:2::1").Contains($" dev {device.Name} ", StringComparison.Ordinal);
        Assert.True(Eventually.Holds(() => Via(first)), ns.Ip("route", "get", "10.99.2.1"));

        Assert.Equal(0, first.SetCarrier(false));
        Assert.True(Eventually.Holds(() => Via(second)), ns.Ip("route", "show"));

        Assert.Equal(0, first.SetCarrier(true));
        Assert.True(Eventually.Holds(() => Via(first)), ns.Ip("route", "show"));

        a.RemoveAddress(IPAddress.Parse("169.254.21.2"), 32, IPAddress.Parse("169.254.21.1"));
        Assert.DoesNotContain("169.254.21.2", ns.Ip("-o", "address", "show", "dev", first.Name), StringComparison.Ordinal);
        table.Dispose();
        a.Dispose();
        b.Dispose();
        Assert.DoesNotContain("10.99.2.0/24", ns.Ip("route", "show"), StringComparison.Ordinal);
        Assert.DoesNotContain("fd00:99:2::", ns.Ip("-6", "route", "show"), StringComparison.Ordinal);
        Assert.DoesNotContain("fd00:99::2", ns.Ip("-o", "address", "show"), StringComparison.Ordinal);
        Assert.DoesNotContain("169.254.22.2", ns.Ip("-o", "address", "show"), StringComparison.Ordinal);
    }

    [NamespaceFact]
    public void Dispose_AfterTheTunClosed_IgnoresWhatWentWithIt()
    {
        using var ns = TestNamespace.Create();
        var tun = ns.OnThread(() => TunDevice.Open("s2s%d"));
        var link = new LinkConfigurator(tun.Name, ns.Name);
        var routes = new RouteTable(ns.Name);
        link.AddAddress(IPAddress.Parse("10.99.0.1"), 24);
        link.BringUp();
        routes.Install([(tun.Name, new TunnelRoute(IPNetwork.Parse("10.99.1.0/24"), null))]);

        tun.Dispose();
        routes.Dispose();
        link.Dispose();
    }

    [NamespaceFact]
    public void AddAddress_OnAMissingInterface_MessageNamesTheCommandAndIpsError()
    {
        using var ns = TestNamespace.Create();
        using var link = new LinkConfigurator("s2s-missing", ns.Name);

        var e = Assert.Throws<InvalidOperationException>(() => link.AddAddress(IPAddress.Parse("10.99.0.1"), 24));

        Assert.Equal($"`ip -n {ns.Name} address add 10.99.0.1/24 dev s2s-missing` failed (exit 1): Cannot find device \"s2s-missing\".", e.Message);
    }

    private static Func<IReadOnlyList<string>, IpCommand.Result> Recorder(List<string> ran) => arguments =>
    {
        ran.Add(string.Join('|', arguments));
        return Ok;
    };
}
