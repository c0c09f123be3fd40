using System.Net;
using System.Net.Sockets;
using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Gateway.Tun;

namespace S2SEndpoint.Gateway.Tests.Tun;

/// <summary>
/// The ip route commands RouteTable runs as tunnels come and go, first with a recording fake in place of ip (no root
/// needed): a plain route per prefix and metric into one device, one multipath route (ECMP) into several, replaced when
/// its devices change, deleted when none is left and on Dispose. Then for real in a namespace: one route with a nexthop
/// per tunnel, and the kernel's route lookup spreads over the tunnels with carrier and passes over one without.
/// </summary>
public sealed class RouteTableTests
{
    private static readonly IpCommand.Result Ok = new(0, "", "");

    private static S2SEndpoint.Ike.Messages.TrafficSelector Ts(string network, int length) =>
        S2SEndpoint.Ike.Messages.TrafficSelector.FromPrefix(IPAddress.Parse(network), length);

    private static (string Device, TunnelRoute Route) R(string device, string prefix, uint? metric = null) =>
        (device, new TunnelRoute(IPNetwork.Parse(prefix), metric));

    [Fact]
    public void Install_OneDeviceAPrefix_PlainRoutes_InTheNamespace()
    {
        var ran = new List<string>();
        var routes = new RouteTable("s2st-test", Recorder(ran));

        routes.Install([R("s2s0", "10.99.1.0/24"), R("s2s0", "fd00:99:1::/64", 100)]);

        Assert.Equal(
        [
            "-n|s2st-test|route|add|10.99.1.0/24|dev|s2s0",
            "-n|s2st-test|route|add|fd00:99:1::/64|dev|s2s0|metric|100",
        ], ran);
    }

    /// <summary>
    /// A full tunnel (a policy-based child's 0.0.0.0/0 or ::/0): its default route into a table of its own, with wg-quick's
    /// two rules per family (main without default routes, then that table for what s2s's sockets did not mark); the rules
    /// go with the family's last route there, before it, and on Dispose.
    /// </summary>
    [Fact]
    public void FullTunnel_DefaultRouteInItsOwnTable_WithTwoRulesPerFamily_GoneWithTheLastRoute()
    {
        var ran = new List<string>();
        var routes = new RouteTable("s2st-test", Recorder(ran));
        var wanted = TunnelRoute.OfRemoteSelectors([Ts("0.0.0.0", 0), Ts("::", 0), Ts("10.2.0.0", 24)]).Select(r => ("s2s0", r)).ToList();

        routes.Install(wanted);
        routes.Install(wanted);

        Assert.Equal(
        [
            "-n|s2st-test|route|add|0.0.0.0/0|dev|s2s0|table|5325",
            "-n|s2st-test|route|add|::/0|dev|s2s0|table|5325",
            "-n|s2st-test|route|add|10.2.0.0/24|dev|s2s0",
            // Each rule a killed s2s may have left is deleted before it is added.
            "-n|s2st-test|-4|rule|del|table|main|suppress_prefixlength|0|pref|5324",
            "-n|s2st-test|-4|rule|add|table|main|suppress_prefixlength|0|pref|5324",
            "-n|s2st-test|-4|rule|del|not|fwmark|0x5325|table|5325|pref|5325",
            "-n|s2st-test|-4|rule|add|not|fwmark|0x5325|table|5325|pref|5325",
            "-n|s2st-test|-6|rule|del|table|main|suppress_prefixlength|0|pref|5324",
            "-n|s2st-test|-6|rule|add|table|main|suppress_prefixlength|0|pref|5324",
            "-n|s2st-test|-6|rule|del|not|fwmark|0x5325|table|5325|pref|5325",
            "-n|s2st-test|-6|rule|add|not|fwmark|0x5325|table|5325|pref|5325",
        ], ran);

        ran.Clear();
        routes.Withdraw(wanted.Where(w => w.Item2.Prefix.BaseAddress.AddressFamily == AddressFamily.InterNetwork));
        Assert.Equal(
        [
            "-n|s2st-test|-6|rule|del|table|main|suppress_prefixlength|0|pref|5324",
            "-n|s2st-test|-6|rule|del|not|fwmark|0x5325|table|5325|pref|5325",
            "-n|s2st-test|route|del|::/0|dev|s2s0|table|5325",
        ], ran);

        ran.Clear();
        routes.Dispose();
        Assert.Equal(
        [
            "-n|s2st-test|-4|rule|del|table|main|suppress_prefixlength|0|pref|5324",
            "-n|s2st-test|-4|rule|del|not|fwmark|0x5325|table|5325|pref|5325",
            "-n|s2st-test|route|del|0.0.0.0/0|dev|s2s0|table|5325",
            "-n|s2st-test|route|del|10.2.0.0/24|dev|s2s0",
        ], ran);
    }

    /// <summary>A second rule that fails to go in leaves the first owned: Dispose deletes it, and nothing is left.</summary>
    [Fact]
    public void FullTunnel_SecondRuleFails_TheFirstIsStillDeletedOnDispose()
    {
        var ran = new List<string>();
        var routes = new RouteTable(null, arguments =>
        {
            ran.Add(string.Join('|', arguments));
            return arguments.Contains("add") && arguments.Contains("fwmark") ? new IpCommand.Result(2, "", "RTNETLINK answers: Operation not permitted") : Ok;
        });
        var wanted = TunnelRoute.OfRemoteSelectors([Ts("0.0.0.0", 0)]).Select(r => ("s2s0", r)).ToList();

        Assert.Throws<InvalidOperationException>(() => routes.Install(wanted));
        ran.Clear();
        routes.Dispose();

        Assert.Contains("-4|rule|del|table|main|suppress_prefixlength|0|pref|5324", ran);
        Assert.Contains("route|del|0.0.0.0/0|dev|s2s0|table|5325", ran);
    }

    [Fact]
    public void StrictReversePathFilters_NamesEachDeviceSetToOne_ButLoopback()
    {
        var root = Directory.CreateTempSubdirectory("s2s-rpf-").FullName;
        try
        {
            foreach (var (device, value) in new[] { ("all", "0"), ("default", "1"), ("lo", "1"), ("wan0", "1\n"), ("lan0", "2") })
            {
                Directory.CreateDirectory(Path.Combine(root, device));
                File.WriteAllText(Path.Combine(root, device, "rp_filter"), value);
            }
            Assert.Equal(["net.ipv4.conf.wan0.rp_filter"], RouteTable.StrictReversePathFilters(root));
            Assert.Empty(RouteTable.StrictReversePathFilters(Path.Combine(root, "missing")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void Install_TwoDevicesOnePrefixAndMetric_OneMultipathRoute_NexthopsInOrdinalOrder()
    {
        var ran = new List<string>();
        var routes = new RouteTable(null, Recorder(ran));

        routes.Install([R("vti1", "10.2.0.0/16", 100), R("vti0", "10.2.0.0/16", 100)]);

        Assert.Equal(["route|add|10.2.0.0/16|metric|100|nexthop|dev|vti0|weight|1|nexthop|dev|vti1|weight|1"], ran);
    }

    [Fact]
    public void Install_NoMetricAndMetricZero_AreOneIpv4Route_WithItsMetricWritten()
    {
        var ran = new List<string>();
        var routes = new RouteTable(null, Recorder(ran));

        routes.Install([R("vti0", "10.2.0.0/16"), R("vti1", "10.2.0.0/16", 0)]);

        Assert.Equal(["route|add|10.2.0.0/16|metric|0|nexthop|dev|vti0|weight|1|nexthop|dev|vti1|weight|1"], ran);
    }

    /// <summary>Linux takes no IPv6 nexthop that is a device alone; on a TUN device a link-local gateway is in no packet.</summary>
    [Fact]
    public void Install_Ipv6_NexthopsThroughTheLinkLocalGateway_WithTheKernelsDefaultMetric()
    {
        var ran = new List<string>();
        var routes = new RouteTable(null, Recorder(ran));

        routes.Install([R("vti0", "fd00:2::/48"), R("vti1", "fd00:2::/48", 0), R("vti2", "fd00:2::/48", 1024)]);

        Assert.Equal(
            ["route|add|fd00:2::/48|metric|1024|nexthop|via|fe80::525|dev|vti0|weight|1|nexthop|via|fe80::525|dev|vti1|weight|1|nexthop|via|fe80::525|dev|vti2|weight|1"],
            ran);
    }

    [Fact]
    public void Install_DifferentMetrics_TwoPlainRoutes()
    {
        var ran = new List<string>();
        var routes = new RouteTable(null, Recorder(ran));

        routes.Install([R("vti0", "10.2.0.0/16", 100), R("vti1", "10.2.0.0/16", 200)]);

        Assert.Equal(["route|add|10.2.0.0/16|dev|vti0|metric|100", "route|add|10.2.0.0/16|dev|vti1|metric|200"], ran);
    }

    [Fact]
    public void Install_NothingChanged_RunsNothing()
    {
        var ran = new List<string>();
        var routes = new RouteTable(null, Recorder(ran));
        (string, TunnelRoute)[] wanted = [R("vti0", "10.2.0.0/16"), R("vti1", "10.2.0.0/16"), R("s2s0", "10.9.0.0/16")];
        routes.Install(wanted);
        ran.Clear();

        routes.Withdraw(wanted);
        routes.Install(wanted);

        Assert.Empty(ran);
    }

    [Fact]
    public void Reload_AThirdTunnelJoins_TheRouteIsReplacedOnce()
    {
        var ran = new List<string>();
        var routes = new RouteTable(null, Recorder(ran));
        routes.Install([R("vti0", "10.2.0.0/16", 100), R("vti1", "10.2.0.0/16", 100)]);
        ran.Clear();
        (string, TunnelRoute)[] wanted = [R("vti0", "10.2.0.0/16", 100), R("vti1", "10.2.0.0/16", 100), R("vti2", "10.2.0.0/16", 100)];

        routes.Withdraw(wanted);
        routes.Install(wanted);

        Assert.Equal(["route|replace|10.2.0.0/16|metric|100|nexthop|dev|vti0|weight|1|nexthop|dev|vti1|weight|1|nexthop|dev|vti2|weight|1"], ran);
    }

    [Fact]
    public void Reload_APlainRouteGetsASecondTunnel_BecomesMultipath()
    {
        var ran = new List<string>();
        var routes = new RouteTable(null, Recorder(ran));
        routes.Install([R("vti0", "10.2.0.0/16")]);
        ran.Clear();

        routes.Install([R("vti0", "10.2.0.0/16"), R("vti1", "10.2.0.0/16")]);

        Assert.Equal(["route|replace|10.2.0.0/16|metric|0|nexthop|dev|vti0|weight|1|nexthop|dev|vti1|weight|1"], ran);
    }

    /// <summary>The route is replaced while the leaving device is still there: the kernel would take the whole IPv4 route away with it.</summary>
    [Fact]
    public void Withdraw_ATunnelLeaves_TheRouteIsReplacedWithTheOthers_AndInstallRunsNothing()
    {
        var ran = new List<string>();
        var routes = new RouteTable(null, Recorder(ran));
        routes.Install([R("vti0", "10.2.0.0/16", 100), R("vti1", "10.2.0.0/16", 100), R("vti2", "10.2.0.0/16", 100)]);
        ran.Clear();
        (string, TunnelRoute)[] wanted = [R("vti0", "10.2.0.0/16", 100), R("vti2", "10.2.0.0/16", 100)];

        routes.Withdraw(wanted);
        routes.Install(wanted);

        Assert.Equal(["route|replace|10.2.0.0/16|metric|100|nexthop|dev|vti0|weight|1|nexthop|dev|vti2|weight|1"], ran);
    }

    [Fact]
    public void Withdraw_AllButOneTunnelLeave_APlainRouteAgain_WhichDisposeDeletesAsSuch()
    {
        var ran = new List<string>();
        var routes = new RouteTable(null, Recorder(ran));
        routes.Install([R("vti0", "fd00:2::/48"), R("vti1", "fd00:2::/48")]);
        ran.Clear();

        routes.Withdraw([R("vti1", "fd00:2::/48")]);
        routes.Dispose();

        Assert.Equal(["route|replace|fd00:2::/48|dev|vti1", "route|del|fd00:2::/48|dev|vti1"], ran);
    }

    /// <summary>Routes go before the addresses they may lean on and come after them: one out and one in are two steps.</summary>
    [Fact]
    public void Reload_OneTunnelLeavesAnotherJoins_WithdrawThenInstall()
    {
        var ran = new List<string>();
        var routes = new RouteTable(null, Recorder(ran));
        routes.Install([R("vti0", "10.2.0.0/16"), R("vti1", "10.2.0.0/16")]);
        ran.Clear();
        (string, TunnelRoute)[] wanted = [R("vti0", "10.2.0.0/16"), R("vti2", "10.2.0.0/16")];

        routes.Withdraw(wanted);
        Assert.Equal(["route|replace|10.2.0.0/16|dev|vti0"], ran);
        routes.Install(wanted);

        Assert.Equal(["route|replace|10.2.0.0/16|dev|vti0", "route|replace|10.2.0.0/16|metric|0|nexthop|dev|vti0|weight|1|nexthop|dev|vti2|weight|1"], ran);
    }

    [Fact]
    public void Withdraw_RoutesNoLongerWanted_Deleted_AndInstallAddsTheNewOnes()
    {
        var ran = new List<string>();
        var routes = new RouteTable(null, Recorder(ran));
        routes.Install([R("s2s0", "10.9.0.0/16"), R("vti0", "10.2.0.0/16", 100), R("vti1", "10.2.0.0/16", 100), R("vti0", "10.3.0.0/16", 5)]);
        ran.Clear();
        (string, TunnelRoute)[] wanted = [R("vti0", "10.3.0.0/16", 5), R("vti0", "10.4.0.0/16")];

        routes.Withdraw(wanted);
        routes.Install(wanted);

        Assert.Equal(
        [
            "route|del|10.9.0.0/16|dev|s2s0",
            "route|del|10.2.0.0/16|metric|100|nexthop|dev|vti0|weight|1|nexthop|dev|vti1|weight|1",
            "route|add|10.4.0.0/16|dev|vti0",
        ], ran);
    }

    [Fact]
    public void Dispose_DeletesEveryRoute_Once()
    {
        var ran = new List<string>();
        var routes = new RouteTable("s2st-test", Recorder(ran));
        routes.Install([R("s2s0", "10.9.0.0/16"), R("vti0", "fd00:2::/48", 7), R("vti1", "fd00:2::/48", 7), R("vti0", "10.3.0.0/16", 5)]);
        ran.Clear();

        routes.Dispose();
        routes.Dispose();

        Assert.Equal(
        [
            "-n|s2st-test|route|del|10.9.0.0/16|dev|s2s0",
            "-n|s2st-test|route|del|fd00:2::/48|metric|7|nexthop|via|fe80::525|dev|vti0|weight|1|nexthop|via|fe80::525|dev|vti1|weight|1",
            "-n|s2st-test|route|del|10.3.0.0/16|dev|vti0|metric|5",
        ], ran);
    }

    [Theory]
    [InlineData("RTNETLINK answers: No such process")]
    [InlineData("Cannot find device \"vti0\"")]
    [InlineData("Error: FIB table does not exist.")]
    [InlineData("Cannot open network namespace \"s2st-test\": No such file or directory")]
    public void Dispose_WhatIsAlreadyGone_IsNotAnError(string ipError)
    {
        var removing = false;
        var routes = new RouteTable("s2st-test", _ => removing ? new IpCommand.Result(2, "", ipError) : Ok);
        routes.Install([R("vti0", "10.2.0.0/16"), R("vti1", "10.2.0.0/16"), R("vti0", "10.3.0.0/16")]);
        removing = true;

        routes.Dispose();
    }

    [Fact]
    public void Dispose_AnotherFailure_IsThrownAfterEverythingWasTried()
    {
        var ran = new List<string>();
        var routes = new RouteTable(null, arguments =>
        {
            ran.Add(string.Join(' ', arguments));
            return arguments[1] == "del" && arguments[2] == "10.2.0.0/16" ? new IpCommand.Result(2, "", "RTNETLINK answers: Operation not permitted") : Ok;
        });
        routes.Install([R("vti0", "10.2.0.0/16"), R("vti1", "10.2.0.0/16"), R("vti0", "10.3.0.0/16")]);
        ran.Clear();

        var e = Assert.Throws<InvalidOperationException>(routes.Dispose);

        Assert.Equal("`ip route del 10.2.0.0/16 metric 0 nexthop dev vti0 weight 1 nexthop dev vti1 weight 1` failed (exit 2): RTNETLINK answers: Operation not permitted.", e.Message);
        Assert.Equal(["route del 10.2.0.0/16 metric 0 nexthop dev vti0 weight 1 nexthop dev vti1 weight 1", "route del 10.3.0.0/16 dev vti0"], ran);
        routes.Dispose();
        Assert.Equal(2, ran.Count);
    }

    [Fact]
    public void Withdraw_ARouteAlreadyGone_IsForgottenWithoutAnError()
    {
        var ran = new List<string>();
        var routes = new RouteTable(null, arguments =>
        {
            ran.Add(string.Join(' ', arguments));
            return arguments[1] == "del" ? new IpCommand.Result(2, "", "RTNETLINK answers: No such process") : Ok;
        });
        routes.Install([R("vti0", "10.2.0.0/16"), R("vti1", "10.2.0.0/16")]);
        ran.Clear();

        routes.Withdraw([]);
        routes.Dispose();

        Assert.Equal(["route del 10.2.0.0/16 metric 0 nexthop dev vti0 weight 1 nexthop dev vti1 weight 1"], ran);
    }

    [Fact]
    public void Withdraw_ADeleteThatFailed_TheRouteIsKept_AndDisposeDeletesIt()
    {
        var ran = new List<string>();
        var refuse = true;
        var routes = new RouteTable(null, arguments =>
        {
            ran.Add(string.Join(' ', arguments));
            return refuse && arguments[1] == "del" ? new IpCommand.Result(2, "", "RTNETLINK answers: Operation not permitted") : Ok;
        });
        routes.Install([R("vti0", "10.2.0.0/16"), R("vti1", "10.2.0.0/16")]);
        ran.Clear();

        Assert.Throws<InvalidOperationException>(() => routes.Withdraw([]));
        refuse = false;
        routes.Dispose();

        Assert.Equal(2, ran.Count(r => r == "route del 10.2.0.0/16 metric 0 nexthop dev vti0 weight 1 nexthop dev vti1 weight 1"));
    }

    [Fact]
    public void Install_Fails_MessageNamesTheCommandAndIpsError_AndWhatWasInstalledIsStillDeletedOnDispose()
    {
        var ran = new List<string>();
        var routes = new RouteTable("s2st-test", arguments =>
        {
            ran.Add(string.Join(' ', arguments));
            return arguments[4] == "10.3.0.0/16" ? new IpCommand.Result(2, "", "RTNETLINK answers: File exists\n") : Ok;
        });

        var e = Assert.Throws<InvalidOperationException>(() => routes.Install([R("vti0", "10.2.0.0/16"), R("vti0", "10.3.0.0/16")]));
        ran.Clear();
        routes.Dispose();

        Assert.Equal("`ip -n s2st-test route add 10.3.0.0/16 dev vti0` failed (exit 2): RTNETLINK answers: File exists.", e.Message);
        Assert.Equal(["-n s2st-test route del 10.2.0.0/16 dev vti0"], ran);
    }

    [Fact]
    public void Install_APatternOrLongDeviceName_NamesTheValue_AndRunsNothing()
    {
        var routes = new RouteTable(null, _ => throw new InvalidOperationException("ip must not run"));

        var e = Assert.Throws<ArgumentException>(() => routes.Install([R("s2s%d", "10.2.0.0/16")]));

        Assert.StartsWith("Interface name \"s2s%d\" is not valid: it contains '%'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    public void New_BadNamespace_NamesTheValue(string ns)
    {
        var e = Assert.Throws<ArgumentException>(() => new RouteTable(ns));

        Assert.StartsWith($"Network namespace \"{ns}\" is not valid", e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// ECMP for real: one prefix with one metric into two tunnel devices is one route with two nexthops (IPv4 and IPv6).
    /// With the L4 hash (fib_multipath_hash_policy 1, which a host sets itself) flows of several addresses and ports
    /// go into both while both have carrier, and only into the other one while one has none (ignore_routes_with_linkdown).
    /// A datagram through the IPv6 route's link-local gateway reaches the TUN device as sent.
    /// </summary>
    [NamespaceFact]
    public void Ecmp_InANamespace_OneRouteWithANexthopPerTunnel_FlowsSpreadOverTheTunnelsWithCarrier()
    {
        using var ns = TestNamespace.Create();
        using var first = ns.OnThread(() => TunDevice.Open("s2s%d"));
        using var second = ns.OnThread(() => TunDevice.Open("s2s%d"));
        using var a = new LinkConfigurator(first.Name, ns.Name);
        using var b = new LinkConfigurator(second.Name, ns.Name);
        using var routes = new RouteTable(ns.Name);
        a.AddAddress(IPAddress.Parse("169.254.21.2"), IPAddress.Parse("169.254.21.1"), 32);
        foreach (var link in (LinkConfigurator[])[a, b])
        {
            link.IgnoreRoutesWhileCarrierDown();
            link.BringUp();
        }
        ns.OnThread(() =>
        {
            File.WriteAllText("/proc/sys/net/ipv4/fib_multipath_hash_policy", "1");
            File.WriteAllText("/proc/sys/net/ipv6/fib_multipath_hash_policy", "1");
            return true;
        });
        routes.Install(
        [
            R(second.Name, "10.99.2.0/24", 100), R(first.Name, "10.99.2.0/24", 100),
            R(second.Name, "fd00:99:2::/64"), R(first.Name, "fd00:99:2::/64"),
        ]);

        Assert.Equal(
            ["10.99.2.0/24 metric 100", $"nexthop dev {first.Name} weight 1", $"nexthop dev {second.Name} weight 1"],
            Lines(ns.Ip("route", "show", "10.99.2.0/24")));
        Assert.Equal(
            ["fd00:99:2::/64 metric 1024 pref medium", $"nexthop via fe80::525 dev {first.Name} weight 1", $"nexthop via fe80::525 dev {second.Name} weight 1"],
            Lines(ns.Ip("-6", "route", "show", "fd00:99:2::/64")));

        // Lookups of 32 flows per family in one ip process: the devices they go into.
        HashSet<string> Chosen(bool ipv6) => Lookups(ns, ipv6);
        HashSet<string> both = [first.Name, second.Name];
        Assert.True(Eventually.Holds(() => Chosen(false).SetEquals(both) && Chosen(true).SetEquals(both)), string.Join(" ", Chosen(false)));

        Assert.Equal(0, first.SetCarrier(false));
        Assert.True(Eventually.Holds(() => Chosen(false).SetEquals([second.Name]) && Chosen(true).SetEquals([second.Name])), ns.Ip("route", "show"));
        Assert.Contains($"nexthop dev {first.Name} weight 1 dead linkdown", Lines(ns.Ip("route", "show", "10.99.2.0/24")));

        Assert.Equal(0, first.SetCarrier(true));
        Assert.Equal(0, second.SetCarrier(false));
        Assert.True(Eventually.Holds(() => Chosen(false).SetEquals([first.Name]) && Chosen(true).SetEquals([first.Name])), ns.Ip("route", "show"));
        Assert.True(Eventually.Holds(() => Delivered(ns, first, IPAddress.Parse("fd00:99:2::7"))), "no datagram to fd00:99:2::7 came out of " + first.Name);
        Assert.True(Eventually.Holds(() => Delivered(ns, first, IPAddress.Parse("10.99.2.7"))), "no datagram to 10.99.2.7 came out of " + first.Name);

        routes.Withdraw([R(first.Name, "10.99.2.0/24", 100), R(first.Name, "fd00:99:2::/64")]);
        Assert.Equal([$"10.99.2.0/24 dev {first.Name} scope link metric 100"], Lines(ns.Ip("route", "show", "10.99.2.0/24")));
        Assert.Equal([$"fd00:99:2::/64 dev {first.Name} metric 1024 pref medium"], Lines(ns.Ip("-6", "route", "show", "fd00:99:2::/64")));

        routes.Dispose();
        Assert.DoesNotContain("10.99.2.0/24", ns.Ip("route", "show"), StringComparison.Ordinal);
        Assert.DoesNotContain("fd00:99:2::", ns.Ip("-6", "route", "show"), StringComparison.Ordinal);
    }

    private static string[] Lines(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The devices <c>ip route get</c> picks for 32 UDP flows to 10.99.2.0/24 or fd00:99:2::/64 (addresses and ports differ).</summary>
    private static HashSet<string> Lookups(TestNamespace ns, bool ipv6)
    {
        var batch = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(batch, Enumerable.Range(1, 32).Select(i =>
                $"route get {(ipv6 ? $"fd00:99:2::{i:x}" : $"10.99.2.{i}")} ipproto udp sport {40000 + i} dport {1000 + i}"));
            var words = ns.Ip("-batch", batch).Split([' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries);
            return [.. words.Zip(words.Skip(1)).Where(w => w.First == "dev").Select(w => w.Second)];
        }
        finally
        {
            File.Delete(batch);
        }
    }

    /// <summary>Sends one UDP datagram to <paramref name="destination"/> from inside the namespace; true when it comes out of <paramref name="tun"/>.</summary>
    private static bool Delivered(TestNamespace ns, TunDevice tun, IPAddress destination)
    {
        try
        {
            ns.OnThread(() =>
            {
                using var socket = new Socket(destination.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                return socket.SendTo("s2s"u8, new IPEndPoint(destination, 9));
            });
        }
        catch (SocketException)
        {
            return false; // an IPv6 source address may still be tentative
        }
        var packet = new byte[2048];
        int length;
        while ((length = tun.Read(0, packet, 100)) > 0)
        {
            var ipv6 = packet[0] >> 4 == 6;
            var protocol = ipv6 ? packet[6] : packet[9];
            var target = ipv6 ? packet.AsSpan(24, 16) : packet.AsSpan(16, 4);
            if (length > 20 && protocol == (byte)ProtocolType.Udp && new IPAddress(target).Equals(destination))
                return true;
        }
        return false;
    }

    private static Func<IReadOnlyList<string>, IpCommand.Result> Recorder(List<string> ran) => arguments =>
    {
        ran.Add(string.Join('|', arguments));
        return Ok;
    };
}
