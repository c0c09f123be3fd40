using System.Net;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Tests.Engine;

/// <summary>
/// Point-to-site (RFC 7296 2.19, 3.15): A is a road warrior asking for a virtual IP (vips), B a responder leasing them
/// from a pool to a child whose remote_ts is dynamic; the Child SA's TSi is narrowed to the leased address.
/// </summary>
public sealed class VirtualIpTests
{
    private static readonly IPAddress Dns4 = IPAddress.Parse("10.2.0.53");

    private static AddressPoolConfig Pool4(string prefix = "10.9.0.0/24") =>
        AddressPoolConfig.FromPrefix("rw", IPNetwork.Parse(prefix), [Dns4]);

    /// <summary>A road warrior: vips, and a child whose local_ts is dynamic.</summary>
    internal static IkeSaConfig Client(IkeSaConfig c, params IPAddress[] vips) => c with
    {
        VirtualIps = vips.Length == 0 ? [IPAddress.Any] : vips,
        Children = [c.Children[0] with { LocalTs = [], LocalDynamic = true }],
    };

    /// <summary>The responder: pools, a child whose remote_ts is dynamic, any peer and any identity.</summary>
    internal static IkeSaConfig Server(IkeSaConfig c, params AddressPoolConfig[] pools) => c with
    {
        RemoteAddresses = [IPAddress.Any],
        RemoteId = null,
        Pools = pools,
        Children = [c.Children[0] with { RemoteTs = [], RemoteDynamic = true }],
    };

    [Fact]
    public void Initiate_ClientAsksForAnAddress_GetsOneNarrowedSelectorsAndDns()
    {
        var h = new EngineHarness(a => Client(a), b => Server(b, Pool4()));
        h.Establish();

        var client = h.A.Established!;
        Assert.Equal([IPAddress.Parse("10.9.0.1")], client.LocalVirtualIps);
        Assert.Equal([Dns4], client.DnsServers);
        Assert.Equal(("moon", client.Id, IPAddress.Parse("10.9.0.1")), Assert.Single(h.A.Kernel.VirtualIps));
        // RFC 7296 2.19: TSi narrowed to the virtual IP, on both sides.
        Assert.Equal("10.9.0.1/32", Assert.Single(Assert.Single(h.A.Kernel.Installed).LocalTs).ToString());
        Assert.Equal("10.9.0.1/32", Assert.Single(Assert.Single(h.B.Kernel.Installed).RemoteTs).ToString());
        var lease = Assert.Single(h.B.Engine.Leases);
        Assert.Equal(("rw", IPAddress.Parse("10.9.0.1"), "moon.s2s.test", h.B.Established!.Id), (lease.Pool, lease.Address, lease.Identity.ToString(), lease.IkeSaId!.Value));
        Assert.Equal([IPAddress.Parse("10.9.0.1")], h.B.Established!.RemoteVirtualIps);
    }

    [Fact]
    public void Initiate_ClientProposesTheWholeFamily_AsTheRfcExample()
    {
        var h = new EngineHarness(a => Client(a), b => Server(b, Pool4()));
        h.A.Engine.Initiate("moon");
        h.Pump();
        // The IKE_AUTH request, read back by the responder's log of it: TSi 0.0.0.0/0 and a CP request (checked by the
        // responder accepting it); the narrowed result is what both installed.
        Assert.Equal("10.2.0.0/24", Assert.Single(Assert.Single(h.A.Kernel.Installed).RemoteTs).ToString());
        Assert.Empty(h.A.EventsOf<NegotiationFailed>());
    }

    [Fact]
    public void Initiate_ClientWishesForAnAddress_GetsIt()
    {
        var h = new EngineHarness(a => Client(a, IPAddress.Parse("10.9.0.77")), b => Server(b, Pool4()));
        h.Establish();
        Assert.Equal([IPAddress.Parse("10.9.0.77")], h.A.Established!.LocalVirtualIps);
    }

    [Fact]
    public void Terminate_ClientGoes_LeaseReleasedAndAddressLeavesTheDevice()
    {
        var h = new EngineHarness(a => Client(a), b => Server(b, Pool4()));
        h.Establish();
        h.A.Engine.Terminate("moon");
        h.Pump();

        Assert.Empty(h.A.Kernel.VirtualIps);
        Assert.Contains("remove-vip 10.9.0.1", h.A.Kernel.Calls);
        var lease = Assert.Single(h.B.Engine.Leases);
        Assert.False(lease.Online);
        Assert.Equal("moon.s2s.test", lease.Identity.ToString());
    }

    [Fact]
    public void Initiate_ClientReturnsAfterAnotherTookAnAddress_GetsItsOwnAddressBack()
    {
        var h = new EngineHarness(a => Client(a), b => Server(b, Pool4()));
        h.Establish();
        h.A.Engine.Terminate("moon");
        h.Pump();
        var other = h.AddSide("star", IPAddress.Parse("192.0.2.3"), Client(EngineHarness.Config("star", IPAddress.Parse("192.0.2.3"), EngineHarness.AddressB,
            "star.s2s.test", "sun.s2s.test", "10.3.0.0/24", "10.2.0.0/24")), seed: 7, firstSpi: 0xc3000001);
        other.Engine.Initiate("star");
        h.Pump();
        Assert.Equal([IPAddress.Parse("10.9.0.2")], other.Established!.LocalVirtualIps);

        h.A.Engine.Initiate("moon");
        h.Pump();
        Assert.Equal([IPAddress.Parse("10.9.0.1")], h.A.Established!.LocalVirtualIps);
    }

    [Fact]
    public void Initiate_PoolExhausted_ChildRefusedWithInternalAddressFailureIkeSaStays()
    {
        var one = AddressPoolConfig.FromRange("one", IPAddress.Parse("10.9.0.10"), IPAddress.Parse("10.9.0.10"), []);
        var h = new EngineHarness(a => Client(a), b => Server(b, one));
        h.Establish();
        Assert.Equal([IPAddress.Parse("10.9.0.10")], h.A.Established!.LocalVirtualIps);

        var other = h.AddSide("star", IPAddress.Parse("192.0.2.3"), Client(EngineHarness.Config("star", IPAddress.Parse("192.0.2.3"), EngineHarness.AddressB,
            "star.s2s.test", "sun.s2s.test", "10.3.0.0/24", "10.2.0.0/24")), seed: 7, firstSpi: 0xc3000001);
        other.Engine.Initiate("star");
        h.Pump();

        Assert.NotNull(other.Established);
        Assert.Empty(other.Established!.LocalVirtualIps);
        Assert.Empty(other.Kernel.Installed);
        Assert.Contains(other.EventsOf<NegotiationFailed>(), f => f.Notify == NotifyType.InternalAddressFailure && f.ReceivedFromPeer);
        Assert.Contains(h.B.EventsOf<NegotiationFailed>(), f => f.Notify == NotifyType.InternalAddressFailure && !f.ReceivedFromPeer);
        Assert.Single(h.B.Engine.Leases);
    }

    [Fact]
    public void Initiate_ClientAsksForNoAddress_ChildRefusedWithFailedCpRequired()
    {
        var h = new EngineHarness(configureB: b => Server(b, Pool4()));
        h.A.Engine.Initiate("moon");
        h.Pump();

        Assert.NotNull(h.A.Established);
        Assert.Empty(h.A.Kernel.Installed);
        Assert.Contains(h.A.EventsOf<NegotiationFailed>(), f => f.Notify == NotifyType.FailedCpRequired);
        Assert.Empty(h.B.Engine.Leases);
    }

    [Fact]
    public void Initiate_Ipv6Pool_AddressWithPrefixLengthAndSlash128Selectors()
    {
        var pool = AddressPoolConfig.FromPrefix("rw6", IPNetwork.Parse("fd00:9::/112"), [IPAddress.Parse("fd00:2::53")]);
        var h = new EngineHarness(
            a => Client(EngineHarness.Config("moon", EngineHarness.AddressA, EngineHarness.AddressB, "moon.s2s.test", "sun.s2s.test", "fd00:1::/64", "fd00:2::/64"), IPAddress.IPv6Any),
            b => Server(EngineHarness.Config("sun", EngineHarness.AddressB, EngineHarness.AddressA, "sun.s2s.test", "moon.s2s.test", "fd00:2::/64", "fd00:1::/64"), pool));
        h.Establish();

        Assert.Equal([IPAddress.Parse("fd00:9::1")], h.A.Established!.LocalVirtualIps);
        Assert.Equal([IPAddress.Parse("fd00:2::53")], h.A.Established!.DnsServers);
        Assert.Equal("fd00:9::1/128", Assert.Single(Assert.Single(h.A.Kernel.Installed).LocalTs).ToString());
        Assert.Equal("fd00:9::1/128", Assert.Single(Assert.Single(h.B.Kernel.Installed).RemoteTs).ToString());
    }

    [Fact]
    public void Initiate_TwoClientsOnOneAnyConnection_EachItsOwnIkeSaChildSaAndAddress()
    {
        var h = new EngineHarness(a => Client(a), b => Server(b, Pool4()));
        var other = h.AddSide("star", IPAddress.Parse("192.0.2.3"), Client(EngineHarness.Config("star", IPAddress.Parse("192.0.2.3"), EngineHarness.AddressB,
            "star.s2s.test", "sun.s2s.test", "10.3.0.0/24", "10.2.0.0/24")), seed: 7, firstSpi: 0xc3000001);
        h.A.Engine.Initiate("moon");
        other.Engine.Initiate("star");
        h.Pump();

        Assert.Equal(2, h.B.Engine.Sas.Count(s => s.State == IkeSaState.Established));
        Assert.Equal(2, h.B.Kernel.Installed.Count);
        var remotes = h.B.Kernel.Installed.Select(i => Assert.Single(i.RemoteTs).ToString()).Order().ToList();
        Assert.Equal(["10.9.0.1/32", "10.9.0.2/32"], remotes);
        Assert.NotEqual(h.A.Established!.LocalVirtualIps[0], other.Established!.LocalVirtualIps[0]);
        Assert.Equal(2, h.B.Engine.Leases.Count(l => l.Online));
    }

    /// <summary>A reload that parses the same pool again keeps its leases: the next client never gets an address in use.</summary>
    [Fact]
    public void Reload_SamePoolParsedAgain_LeasesKept_NoAddressTwice()
    {
        var h = new EngineHarness(a => Client(a), b => Server(b, Pool4()));
        h.Establish();
        var reloaded = h.B.Engine.Connections.Single() with { Pools = [Pool4()] };
        h.B.Engine.SetConnection(reloaded);
        var other = h.AddSide("star", IPAddress.Parse("192.0.2.3"), Client(EngineHarness.Config("star", IPAddress.Parse("192.0.2.3"), EngineHarness.AddressB,
            "star.s2s.test", "sun.s2s.test", "10.3.0.0/24", "10.2.0.0/24")), seed: 7, firstSpi: 0xc3000001);
        other.Engine.Initiate("star");
        h.Pump();

        Assert.Equal([IPAddress.Parse("10.9.0.1")], h.A.Established!.LocalVirtualIps);
        Assert.Equal([IPAddress.Parse("10.9.0.2")], other.Established!.LocalVirtualIps);
        Assert.Equal(2, h.B.Engine.Leases.Count(l => l.Online));
    }

    [Fact]
    public void RekeyIke_LeaseAndVirtualIpPassToTheNewSa()
    {
        var h = new EngineHarness(a => Client(a), b => Server(b, Pool4()));
        h.Establish();
        h.A.Engine.RekeyIke("moon");
        h.Pump();
        h.Advance(TimeSpan.FromSeconds(1));

        var client = Assert.Single(h.A.Engine.Sas, s => s.State == IkeSaState.Established);
        Assert.Equal([IPAddress.Parse("10.9.0.1")], client.LocalVirtualIps);
        // Held by the new SA now, and by it alone.
        var held = Assert.Single(h.A.Kernel.VirtualIps);
        Assert.Equal(client.Id, held.IkeSaId);
        var lease = Assert.Single(h.B.Engine.Leases);
        Assert.Equal(Assert.Single(h.B.Engine.Sas, s => s.State == IkeSaState.Established).Id, lease.IkeSaId);
    }
}
