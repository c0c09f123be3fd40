using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Tests.Engine;

/// <summary>Child SA rekeying (RFC 7296 1.3.3, 2.8) from each side, with and without PFS, and collisions in every order.</summary>
public sealed class RekeyTests
{
    private static EngineHarness WithEsp(string esp, TimeSpan? rekey = null, int seed = 0) => new(
        a => a with { Children = [a.Children[0] with { EspProposals = EngineHarness.Esp(esp), RekeyTime = rekey ?? TimeSpan.FromHours(1) }] },
        b => b with { Children = [b.Children[0] with { EspProposals = EngineHarness.Esp(esp), RekeyTime = rekey ?? TimeSpan.FromHours(1) }] },
        seed: seed);

    public static TheoryData<string, bool> Cases => new()
    {
        { "aes256gcm16", true },
        { "aes256gcm16", false },
        { "aes256gcm16-modp2048", true },
        { "aes256gcm16-modp2048", false },
        { "aes128-sha256-x25519", true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Rekey_FromEitherSide_NewSaReplacesTheOldInBothDirections(string esp, bool fromInitiator)
    {
        var h = WithEsp(esp);
        h.Establish();
        var old = h.A.Kernel.Installed[0];
        h.Net.Wire.Clear();
        if (fromInitiator)
            h.A.Engine.Rekey("moon");
        else
            h.B.Engine.Rekey("sun");
        h.Pump();

        h.AssertEstablished();
        var fresh = Assert.Single(h.A.Kernel.Active);
        Assert.NotEqual(old.InboundSpi, fresh.InboundSpi);
        Assert.Contains(old.InboundSpi, h.A.Kernel.Removed);
        Assert.NotEqual(old.OutboundEncryptionKey, fresh.OutboundEncryptionKey);
        var request = EstablishmentTests.Parse(h.Net.Wire[0].Datagram.Data);
        Assert.Equal(ExchangeType.CreateChildSa, request.Header.Exchange);
        // CREATE_CHILD_SA then the delete of the old SA: four datagrams, the new one installed before the delete.
        Assert.Equal(4, h.Net.Wire.Count);
        Assert.Equal(ExchangeType.Informational, EstablishmentTests.Parse(h.Net.Wire[2].Datagram.Data).Header.Exchange);
        Assert.Contains(h.A.EventsOf<ChildSaEstablished>(), e => e.Rekeyed);
    }

    /// <summary>The order in which the two crossing rekey exchanges reach the other side.</summary>
    public enum CollisionOrder
    {
        /// <summary>Both requests cross on the wire; each side answers the other's before its own answer arrives.</summary>
        Simultaneous,
        /// <summary>A's request is held until B's exchange has completed on both sides.</summary>
        InitiatorRequestLate,
        /// <summary>B's request is held until A's exchange has completed on both sides.</summary>
        ResponderRequestLate,
        /// <summary>Both requests cross, and A's response to B is held until A's own exchange is done.</summary>
        ResponseLate,
    }

    public static TheoryData<CollisionOrder, string> Collisions => new()
    {
        { CollisionOrder.Simultaneous, "aes256gcm16" },
        { CollisionOrder.Simultaneous, "aes256gcm16-modp2048" },
        { CollisionOrder.InitiatorRequestLate, "aes256gcm16" },
        { CollisionOrder.ResponderRequestLate, "aes256gcm16" },
        { CollisionOrder.ResponseLate, "aes256gcm16" },
        { CollisionOrder.ResponseLate, "aes256gcm16-modp2048" },
    };

    [Theory]
    [MemberData(nameof(Collisions))]
    public void Rekey_BothSidesAtOnce_OneNewSaSurvivesOnBothSides(CollisionOrder order, string esp)
    {
        // Different seeds give different nonces, so each side wins the lowest-nonce rule in some runs.
        var winners = new HashSet<bool>();
        for (var seed = 0; seed < 8; seed++)
        {
            var h = WithEsp(esp, seed: seed);
            h.Establish();
            var old = h.A.Kernel.Installed[0];
            var held = h.CrossRekeys(order, ike: false, TimeSpan.FromSeconds(30));

            // One Child SA on each side, the same pair, and not the old one.
            var a = Assert.Single(h.A.Kernel.Active);
            var b = Assert.Single(h.B.Kernel.Active);
            Assert.Equal(a.InboundSpi, b.OutboundSpi);
            Assert.Equal(a.OutboundSpi, b.InboundSpi);
            Assert.NotEqual(old.InboundSpi, a.InboundSpi);
            h.AssertEstablished();
            Assert.Single(h.A.Established!.Children);
            var requests = h.Net.Wire.Select(w => w.Datagram).Concat(held.Select(x => x.Datagram))
                .Count(d => EstablishmentTests.Parse(d.Data).Header is { Exchange: ExchangeType.CreateChildSa, IsResponse: false });
            Assert.Equal(2, requests);
            // The survivor was created by A's exchange when B installed it as a responder first, or else by B's.
            winners.Add(h.A.Kernel.Installed.FindIndex(i => i.InboundSpi == a.InboundSpi) == 1);
        }
        if (order is CollisionOrder.Simultaneous or CollisionOrder.ResponseLate)
            Assert.Equal(2, winners.Count);
    }

    [Fact]
    public void Rekey_ByTimer_KeepsOneChildAndReplacesItEachPeriod()
    {
        var h = WithEsp("aes256gcm16", TimeSpan.FromSeconds(10));
        h.Establish();
        var spis = new HashSet<uint> { h.A.Kernel.Installed[0].InboundSpi };
        for (var i = 0; i < 6; i++)
        {
            h.Run(TimeSpan.FromSeconds(10));
            spis.Add(Assert.Single(h.A.Kernel.Active).InboundSpi);
            Assert.Single(h.B.Kernel.Active);
        }
        Assert.True(spis.Count >= 6, $"only {spis.Count} generations in a minute");
        h.AssertChildKeysMirror();
    }

    [Fact]
    public void Rekey_UnknownSpi_ChildSaNotFound()
    {
        var h = WithEsp("aes256gcm16");
        h.Establish();
        // B forgets the child (as after a restart of its data plane) and A rekeys it.
        var bSa = h.B.Established!;
        bSa.Children.Clear();
        h.A.Engine.Rekey("moon");
        h.Pump();
        Assert.Contains(h.A.EventsOf<NegotiationFailed>(), e => e.Notify == NotifyType.ChildSaNotFound);
    }
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Rekey_TheResponderSendsOnTheNewSaOnlyOnceTheOldOneIsDeleted(bool fromInitiator)
    {
        var h = WithEsp("aes256gcm16");
        h.Establish();
        var (initiator, responder) = fromInitiator ? (h.A, h.B) : (h.B, h.A);
        var old = Assert.Single(responder.Kernel.Active);
        if (fromInitiator)
            h.A.Engine.Rekey("moon");
        else
            h.B.Engine.Rekey("sun");
        h.Pump();

        // The initiator's new SA carries traffic at once; the responder's waits, then takes over just before
        // the old one goes (so that no packet finds neither), and the old one's inbound side lingers.
        var initiatorNew = Assert.Single(initiator.Kernel.Active);
        Assert.False(initiatorNew.OutboundDeferred);
        var responderNew = Assert.Single(responder.Kernel.Active);
        Assert.True(responderNew.OutboundDeferred);
        Assert.Equal([$"activate {responderNew.InboundSpi}", $"remove-superseded {old.InboundSpi}"], responder.Kernel.Calls);
        Assert.Equal([$"remove-superseded {initiator.Kernel.Installed[0].InboundSpi}"], initiator.Kernel.Calls);
    }

    public static TheoryData<CollisionOrder> CollisionOrders =>
        [CollisionOrder.Simultaneous, CollisionOrder.InitiatorRequestLate, CollisionOrder.ResponderRequestLate, CollisionOrder.ResponseLate];

    [Theory]
    [MemberData(nameof(CollisionOrders))]
    public void Rekey_Collision_TheLoserGoesBackToTheOldSaThenToTheWinners(CollisionOrder order)
    {
        foreach (var seed in Enumerable.Range(0, 6))
        {
            var h = WithEsp("aes256gcm16", seed: seed);
            h.Establish();
            var oldA = h.A.Kernel.Installed[0].InboundSpi;
            var oldB = h.B.Kernel.Installed[0].InboundSpi;
            h.CrossRekeys(order, ike: false, TimeSpan.FromSeconds(30));
            h.AssertEstablished();
            foreach (var (side, old) in new[] { (h.A, oldA), (h.B, oldB) })
            {
                // Whatever the order: the survivor is the last SA chosen to carry traffic (installed at once, or
                // activated), the old SA is removed as superseded, and the redundant one too.
                var survivor = Assert.Single(side.Kernel.Active);
                var lastChosen = side.Kernel.Calls.LastOrDefault(c => c.StartsWith("activate", StringComparison.Ordinal));
                Assert.True(!survivor.OutboundDeferred || lastChosen == $"activate {survivor.InboundSpi}",
                    $"seed {seed}: {side.Name} ends on {survivor.InboundSpi} without choosing it: {string.Join(", ", side.Kernel.Calls)}");
                Assert.Contains($"remove-superseded {old}", side.Kernel.Calls);
                // Removed outright, without the inbound linger, only an SA this side never sent on: the peer's
                // redundant one, deleted by the peer before this side's own exchange had finished.
                var deferred = side.Kernel.Installed.Where(i => i.OutboundDeferred).Select(i => $"remove {i.InboundSpi}").ToHashSet();
                Assert.All(side.Kernel.Calls.Where(c => c.StartsWith("remove ", StringComparison.Ordinal)), c => Assert.Contains(c, deferred));
            }
        }
    }
    [Fact]
    public void Rekey_ResponderSideNewSaDeletedBeforeTheOldOne_TheOldOneIsTheChildsAgainAndIsRekeyedLater()
    {
        var h = WithEsp("aes256gcm16");
        h.Establish();
        var old = Assert.Single(h.B.Established!.Children);
        // A's rekey request reaches B, B's answer is lost; A then gives up on it and (as strongSwan does when
        // it refuses an answer) deletes the SA B made. Here B's engine is told that delete directly.
        h.Net.Filter = (from, d) => from == h.B ? [] : [d];
        h.A.Engine.Rekey("moon");
        h.Pump();
        var pending = Assert.Single(h.B.Established!.Children, c => c != old);
        Assert.True(pending.OutboundPending);
        Assert.Equal(ChildSaState.Rekeyed, old.State);

        h.B.Established!.Context.RemoveChild(h.B.Established!, pending, "deleted by the peer");

        // The old SA carries the child again (it never stopped sending), and is rekeyed again in 5 to 15 s.
        Assert.Equal(ChildSaState.Installed, old.State);
        Assert.False(old.Superseded);
        Assert.InRange(old.RekeyAt, h.Clock.GetUtcNow() + TimeSpan.FromSeconds(5), h.Clock.GetUtcNow() + TimeSpan.FromSeconds(15));
        Assert.Equal([$"remove {pending.InboundSpi}"], h.B.Kernel.Calls);
    }

    /// <summary>A Child SA rekey refused with TEMPORARY_FAILURE is tried again later (strongSwan retries after 5 to 15 s).</summary>
    [Fact]
    public void Rekey_RefusedWithTemporaryFailure_IsRetried()
    {
        var h = new EngineHarness(a => a with { Children = [a.Children[0] with { RekeyTime = TimeSpan.FromSeconds(100) }] });
        h.Establish();
        var requests = 0;
        var forged = false;
        h.Net.Filter = (from, d) =>
        {
            var m = EstablishmentTests.Parse(d.Data);
            if (m.Header.Exchange != ExchangeType.CreateChildSa)
                return [d];
            if (from == h.A && !m.Header.IsResponse)
                requests++;
            if (from == h.B && m.Header.IsResponse && !forged)
            {
                forged = true;
                var bSa = h.B.Engine.Sas.First(s => s.InitiatorSpi == m.Header.InitiatorSpi);
                var header = bSa.Header(ExchangeType.CreateChildSa, true, m.Header.MessageId);
                return [new Datagram(d.Local, d.Remote, SkProtection.Seal(header, [NotifyPayload.Status(NotifyType.TemporaryFailure)], bSa.OutboundCipher!))];
            }
            return [d];
        };
        h.Run(TimeSpan.FromSeconds(100 + 60));
        Assert.True(forged);
        Assert.True(requests >= 2, $"{requests} CREATE_CHILD_SA request(s) from A");
    }
}
