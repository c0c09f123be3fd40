using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Tests.Engine;

/// <summary>IKE SA rekeying (RFC 7296 1.3.2, 2.18) from each side, crossing rekeys (2.8.2) and TEMPORARY_FAILURE (2.25).</summary>
public sealed class IkeRekeyTests
{
    [Theory]
    [InlineData(true, "aes256-sha256-modp2048")]
    [InlineData(false, "aes256-sha256-modp2048")]
    [InlineData(true, "chacha20poly1305-prfsha256-x25519")]
    [InlineData(false, "aes256gcm16-prfsha384-ecp384")]
    public void RekeyIke_FromEitherSide_ChildrenMoveAndTheOldSaGoes(bool fromInitiator, string ike)
    {
        Assert.True(ProposalKeywords.TryParseList(ike, ProtocolId.Ike, out var proposals, out _));
        var h = new EngineHarness(a => a with { Proposals = proposals }, b => b with { Proposals = proposals });
        h.Establish();
        var oldA = h.A.Established!;
        var oldKeys = oldA.Keys!.SkD.ToArray();
        var child = h.A.Kernel.Installed[0];
        if (fromInitiator)
            h.A.Engine.RekeyIke("moon");
        else
            h.B.Engine.RekeyIke("sun");
        h.Pump();

        var a = Assert.Single(h.A.Engine.Sas);
        var b = Assert.Single(h.B.Engine.Sas);
        Assert.NotSame(oldA, a);
        Assert.Equal(IkeSaState.Destroyed, oldA.State);
        Assert.Equal(a.InitiatorSpi, b.InitiatorSpi);
        Assert.Equal(a.ResponderSpi, b.ResponderSpi);
        Assert.NotEqual(oldA.InitiatorSpi, a.InitiatorSpi);
        Assert.Equal(a.Keys!.SkD, b.Keys!.SkD);
        Assert.NotEqual(oldKeys, a.Keys.SkD);
        // The new SA's original initiator is whoever started the rekey.
        Assert.Equal(fromInitiator, a.IsOriginalInitiator);
        // The Child SA moved without being touched in the data plane.
        Assert.Same(child, Assert.Single(h.A.Kernel.Active));
        Assert.Single(a.Children);
        Assert.Single(b.Children);

        // The new SA works: a liveness check, a child rekey, and a delete.
        h.A.Engine.CheckLiveness("moon");
        h.Pump();
        h.B.Engine.Rekey("sun");
        h.Pump();
        h.AssertEstablished();
        h.A.Engine.Terminate("moon");
        h.Pump();
        Assert.Empty(h.A.Engine.Sas);
        Assert.Empty(h.B.Engine.Sas);
        Assert.Empty(h.B.Kernel.Active);
    }

    /// <summary>
    /// RFC 7296 2.4: the SA a rekey made is the peer's SA as much as the one it replaced; when the peer restarts and
    /// sends INITIAL_CONTACT, the responder drops it.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void InitialContact_AfterAnIkeRekey_ReplacesTheRekeyedSa(bool fromInitiator)
    {
        var h = new EngineHarness();
        h.Establish();
        if (fromInitiator)
            h.A.Engine.RekeyIke("moon");
        else
            h.B.Engine.RekeyIke("sun");
        h.Pump();
        var rekeyed = Assert.Single(h.B.Engine.Sas);

        // A restarts with its state lost: a fresh engine at its address brings the tunnel up again.
        var restarted = h.AddSide("A'", EngineHarness.AddressA, EngineHarness.Config("moon", EngineHarness.AddressA, EngineHarness.AddressB,
            "moon.s2s.test", "sun.s2s.test", "10.1.0.0/24", "10.2.0.0/24"), 9, 0xc4000001);
        restarted.Engine.Initiate("moon");
        h.Pump();

        Assert.Equal(IkeSaState.Destroyed, rekeyed.State);
        var now = Assert.Single(h.B.Engine.Sas);
        Assert.Equal(IkeSaState.Established, now.State);
        Assert.Contains(h.B.EventsOf<IkeSaClosed>(), e => e.Reason.Contains("INITIAL_CONTACT", StringComparison.Ordinal));
    }

    public static TheoryData<RekeyTests.CollisionOrder> Orders => new(Enum.GetValues<RekeyTests.CollisionOrder>());

    [Theory]
    [MemberData(nameof(Orders))]
    public void RekeyIke_BothSidesAtOnce_OneNewSaSurvivesWithTheChildren(RekeyTests.CollisionOrder order)
    {
        var winners = new HashSet<bool>();
        for (var seed = 0; seed < 8; seed++)
        {
            var h = new EngineHarness(seed: seed);
            h.Establish();
            h.CrossRekeys(order, ike: true, TimeSpan.FromSeconds(200));

            var a = Assert.Single(h.A.Engine.Sas);
            var b = Assert.Single(h.B.Engine.Sas);
            Assert.Equal(IkeSaState.Established, a.State);
            Assert.Equal(a.InitiatorSpi, b.InitiatorSpi);
            Assert.Equal(a.ResponderSpi, b.ResponderSpi);
            Assert.Equal(a.Keys!.SkD, b.Keys!.SkD);
            Assert.Single(a.Children);
            Assert.Single(b.Children);
            Assert.Single(h.A.Kernel.Active);
            winners.Add(a.IsOriginalInitiator);
            h.A.Engine.CheckLiveness("moon");
            h.Pump();
            Assert.Equal(IkeSaState.Established, a.State);
        }
        if (order is RekeyTests.CollisionOrder.Simultaneous or RekeyTests.CollisionOrder.ResponseLate)
            Assert.Equal(2, winners.Count);
    }

    [Fact]
    public void RekeyIke_CrossingAChildRekey_TemporaryFailureThenRetried()
    {
        var h = new EngineHarness();
        h.Establish();
        h.A.Engine.RekeyIke("moon");
        h.B.Engine.Rekey("sun");
        h.Pump();
        var temporary = h.Net.Wire.Select(w => EstablishmentTests.Parse(w.Datagram.Data)).Count(m => m.Header.IsResponse && m.Header.Exchange == ExchangeType.CreateChildSa &&
            m.Payloads.Count == 1);
        Assert.True(temporary >= 1);
        h.Run(TimeSpan.FromSeconds(30));
        // The IKE SA rekey was retried and went through; one IKE SA and one Child SA remain on each side.
        var a = Assert.Single(h.A.Engine.Sas);
        Assert.True(a.Id > 1);
        h.AssertEstablished();
    }

    [Fact]
    public void RekeyIke_ByTimer_EveryPeriodForAMinute()
    {
        var h = new EngineHarness(a => a with { RekeyTime = TimeSpan.FromSeconds(10) });
        h.Establish();
        var ids = new HashSet<uint>();
        for (var i = 0; i < 6; i++)
        {
            h.Run(TimeSpan.FromSeconds(10));
            ids.Add(Assert.Single(h.A.Engine.Sas).Id);
            h.AssertEstablished();
        }
        Assert.True(ids.Count >= 5, $"{ids.Count} IKE SA generations in a minute");
    }
}
