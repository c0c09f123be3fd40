using System.Net;
using S2SEndpoint.Ike.Diagnostics;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Tests.Engine;

/// <summary>
/// A connection whose remote_addrs name hosts (<see cref="IkeSaConfig.HasRemoteNames"/>): the engine resolves nothing.
/// It initiates to and accepts the addresses the host gave (<see cref="IkeEngine.SetRemoteAddresses"/>), none before,
/// and when the peer dies with dpd_action restart it asks the host to establish the connection again
/// (<see cref="RestartWanted"/>) rather than going back to addresses that may be stale.
/// </summary>
public sealed class RemoteNamesTests
{
    private static IkeSaConfig Named(IkeSaConfig c) => c with { RemoteAddresses = [], HasRemoteNames = true };

    [Fact]
    public void Initiate_NamesNotResolvedYet_NoAddressToGoTo()
    {
        var h = new EngineHarness(Named);

        var e = Assert.Throws<InvalidOperationException>(() => h.A.Engine.Initiate("moon"));
        Assert.Contains("its remote_addrs name hosts that did not resolve", e.Message, StringComparison.Ordinal);
        Assert.Empty(h.A.Engine.RemoteAddressesOf("moon"));
    }

    [Fact]
    public void Initiate_AfterTheHostGaveAddresses_GoesToTheFirst()
    {
        var h = new EngineHarness(Named);
        h.A.Engine.SetRemoteAddresses("moon", [EngineHarness.AddressB]);

        h.Establish();

        Assert.Equal(EngineHarness.AddressB, h.A.Established!.RemoteEndpoint.Address);
        Assert.Equal([EngineHarness.AddressB], h.A.Engine.RemoteAddressesOf("moon"));
    }

    [Fact]
    public void Responder_AcceptsOnlyTheAddressesTheHostGave()
    {
        var h = new EngineHarness(configureB: Named);

        h.A.Engine.Initiate("moon");
        h.Pump();
        Assert.Null(h.B.Established);
        Assert.True(h.B.Engine.Drops.Count(IkeDropReason.NoMatchingConnection) > 0);

        h.B.Engine.SetRemoteAddresses("sun", [IPAddress.Parse("192.0.2.9")]);
        h.A.Engine.Terminate("moon");
        h.A.Engine.Initiate("moon");
        h.Pump();
        Assert.Null(h.B.Established);

        h.B.Engine.SetRemoteAddresses("sun", [IPAddress.Parse("192.0.2.9"), EngineHarness.AddressA]);
        h.A.Engine.Terminate("moon");
        h.Establish();
    }

    [Fact]
    public void SetConnection_AReloadedConnection_ForgetsTheAddressesOfTheOldOne()
    {
        var h = new EngineHarness(Named);
        h.A.Engine.SetRemoteAddresses("moon", [EngineHarness.AddressB]);

        h.A.Engine.SetConnection(h.A.Engine.Connections.Single() with { RekeyTime = TimeSpan.FromHours(2) });

        Assert.Empty(h.A.Engine.RemoteAddressesOf("moon"));
    }

    [Fact]
    public void PeerDied_DpdRestartWithNames_AsksTheHostAndStartsNothingItself()
    {
        var h = new EngineHarness(a => Named(a) with { DpdDelay = TimeSpan.FromSeconds(30), DpdAction = DpdAction.Restart });
        h.A.Engine.SetRemoteAddresses("moon", [EngineHarness.AddressB]);
        h.Establish();
        var old = h.A.Established!;

        h.Net.Filter = (from, d) => from == h.B || d.Remote.Address.Equals(EngineHarness.AddressB) ? [] : [d];
        h.Run(TimeSpan.FromMinutes(5));

        Assert.Equal(IkeSaState.Destroyed, old.State);
        var wanted = Assert.Single(h.A.EventsOf<RestartWanted>());
        Assert.Equal(("moon", old.Id), (wanted.Connection, wanted.IkeSaId));
        Assert.Equal(["net"], wanted.Children);
        Assert.DoesNotContain(h.A.Engine.Sas, s => s.State != IkeSaState.Destroyed);
    }

    [Fact]
    public void Connecting_NoAnswer_FailsOverToTheNextAddressTheHostGave()
    {
        var h = new EngineHarness(Named);
        var silent = IPAddress.Parse("192.0.2.9");
        h.A.Engine.SetRemoteAddresses("moon", [silent, EngineHarness.AddressB]);
        h.A.Engine.Initiate("moon");
        h.Pump();

        h.Run(TimeSpan.FromMinutes(3));

        Assert.Equal(EngineHarness.AddressB, h.A.Established!.RemoteEndpoint.Address);
    }
}
