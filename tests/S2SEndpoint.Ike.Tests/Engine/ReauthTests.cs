using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Tests.Engine;

/// <summary>
/// IKE SA reauthentication (reauth_time, RFC 7296 2.8.3), make-before-break: a new IKE SA from IKE_SA_INIT with a
/// fresh IKE_AUTH and every Child SA again, installed before the old SA is deleted; a failed one keeps the old SA.
/// </summary>
public sealed class ReauthTests
{
    private static readonly TimeSpan Reauth = TimeSpan.FromHours(1);

    /// <summary>Two children (one in IKE_AUTH, one in CREATE_CHILD_SA), and A reauthenticates every hour, exactly.</summary>
    private static IkeSaConfig TwoChildren(IkeSaConfig c, string localTs, string remoteTs, bool reauth) => c with
    {
        ReauthTime = reauth ? Reauth : TimeSpan.Zero,
        RekeyTime = reauth ? TimeSpan.Zero : c.RekeyTime,
        RandTime = TimeSpan.Zero,
        // Child SAs rekeyed after the reauthentications, so that they do not cross them here.
        Children = [c.Children[0] with { RekeyTime = TimeSpan.FromHours(5) }, c.Children[0] with { Name = "net2", RekeyTime = TimeSpan.FromHours(5), LocalTs = [EngineHarness.Prefix(localTs)], RemoteTs = [EngineHarness.Prefix(remoteTs)] }],
    };

    private static EngineHarness Pair(Func<IkeSaConfig, IkeSaConfig>? a = null, Func<IkeSaConfig, IkeSaConfig>? b = null) => new(
        c => (a ?? (x => x))(TwoChildren(c, "10.3.0.0/24", "10.4.0.0/24", reauth: true)),
        c => (b ?? (x => x))(TwoChildren(c, "10.4.0.0/24", "10.3.0.0/24", reauth: false)));

    private static void Establish(EngineHarness h)
    {
        h.A.Engine.Initiate("moon");
        h.Pump();
        h.AssertEstablished(children: 2);
    }

    [Fact]
    public void Reauth_AtReauthTime_NewSaAndChildrenUpBeforeTheOldIsDeleted()
    {
        var h = Pair();
        Establish(h);
        var oldA = h.A.Established!;
        var oldB = h.B.Established!;
        var oldSpis = h.A.Kernel.Active.Select(i => i.InboundSpi).Concat(h.B.Kernel.Active.Select(i => i.InboundSpi)).ToList();
        var oldKeys = oldA.Keys!.SkD.ToArray();
        Assert.Equal(FakeClock.Start2026 + Reauth, oldA.ReauthAt);
        // The data plane at the moment A deletes the old SA: each side has the new Child SAs already.
        var atDelete = new List<(int A, int B)>();
        h.Net.Filter = (from, d) =>
        {
            var header = EstablishmentTests.Parse(d.Data).Header;
            if (from == h.A && header.Exchange == ExchangeType.Informational && !header.IsResponse && header.InitiatorSpi == oldA.InitiatorSpi)
                atDelete.Add((h.A.Kernel.Active.Count(i => !oldSpis.Contains(i.InboundSpi)), h.B.Kernel.Active.Count(i => !oldSpis.Contains(i.InboundSpi))));
            return [d];
        };

        h.Run(Reauth - TimeSpan.FromSeconds(1));
        Assert.Same(oldA, Assert.Single(h.A.Engine.Sas));
        h.Run(TimeSpan.FromSeconds(2));

        Assert.Equal((2, 2), Assert.Single(atDelete));
        var a = Assert.Single(h.A.Engine.Sas);
        var b = Assert.Single(h.B.Engine.Sas);
        Assert.NotSame(oldA, a);
        Assert.Equal(IkeSaState.Destroyed, oldA.State);
        Assert.Equal(IkeSaState.Destroyed, oldB.State);
        h.AssertEstablished(children: 2);
        Assert.True(a.IsOriginalInitiator);
        Assert.NotEqual(oldKeys, a.Keys!.SkD);
        Assert.Equal(2, h.A.Kernel.Active.Count());
        Assert.Equal(2, h.B.Kernel.Active.Count());
        Assert.DoesNotContain(h.A.Kernel.Active, i => oldSpis.Contains(i.InboundSpi));
        Assert.DoesNotContain(h.B.Kernel.Active, i => oldSpis.Contains(i.InboundSpi));
        // The old Child SAs leave as a rekey's do (their inbound sides linger); the peer removes its own on the delete.
        Assert.Equal(2, h.A.Kernel.Calls.Count(c => c.StartsWith("remove-superseded", StringComparison.Ordinal)));
        var done = Assert.Single(h.A.EventsOf<IkeSaReauthenticated>());
        Assert.Equal((oldA.Id, a.Id), (done.IkeSaId, done.NewIkeSaId));
        Assert.Equal(1, h.A.Engine.Statistics.IkeReauths);
        // No INITIAL_CONTACT: B kept the old SA until A deleted it.
        Assert.DoesNotContain(h.B.EventsOf<IkeSaClosed>(), c => c.Reason.Contains("INITIAL_CONTACT", StringComparison.Ordinal));
        Assert.Empty(h.A.EventsOf<NegotiationFailed>());
        Assert.Empty(h.B.EventsOf<NegotiationFailed>());
        // The next one falls due a reauth_time after the new SA came up.
        Assert.Equal(FakeClock.Start2026 + Reauth + Reauth, a.ReauthAt);
        h.Run(Reauth);
        Assert.Equal(2, h.A.EventsOf<IkeSaReauthenticated>().Count());
        h.AssertEstablished(children: 2);
    }

    [Fact]
    public void Reauth_FromTheOriginalResponder_ItInitiatesTheNewSa()
    {
        var h = new EngineHarness(
            c => TwoChildren(c, "10.3.0.0/24", "10.4.0.0/24", reauth: false),
            c => TwoChildren(c, "10.4.0.0/24", "10.3.0.0/24", reauth: true));
        Establish(h);
        var oldB = h.B.Established!;
        Assert.False(oldB.IsOriginalInitiator);
        h.Run(Reauth + TimeSpan.FromSeconds(1));
        var b = Assert.Single(h.B.Engine.Sas);
        Assert.True(b.IsOriginalInitiator);
        Assert.Equal(IkeSaState.Destroyed, oldB.State);
        Assert.Single(h.B.EventsOf<IkeSaReauthenticated>());
        Assert.Single(h.A.Engine.Sas);
        h.AssertEstablished(children: 2);
    }

    [Fact]
    public void Reauth_PeerRefusesTheNewAuth_OldSaStaysAndItIsTriedAgain()
    {
        var h = Pair();
        Establish(h);
        var oldA = h.A.Established!;
        var installed = h.A.Kernel.Installed.Count;
        var sun = h.B.Engine.Connections.Single();
        // The peer's pre-shared key changed after the first authentication: the reauthentication cannot prove ours.
        h.B.Engine.SetConnection(sun with { PreSharedKey = "another key"u8.ToArray() });
        h.Run(Reauth + TimeSpan.FromSeconds(1));

        Assert.Same(oldA, h.A.Established);
        Assert.Equal(IkeSaState.Established, oldA.State);
        Assert.Single(h.A.Engine.Sas);
        Assert.Equal(2, oldA.Children.Count);
        Assert.Equal(2, h.A.Kernel.Active.Count());
        Assert.Equal(installed, h.A.Kernel.Installed.Count);
        Assert.Contains(h.A.EventsOf<NegotiationFailed>(), f => f.Notify == NotifyType.AuthenticationFailed);
        Assert.Empty(h.A.EventsOf<IkeSaReauthenticated>());
        // Tried again in 30 to 40 s, and with the key back, it succeeds.
        Assert.InRange(oldA.ReauthAt - h.Clock.GetUtcNow(), TimeSpan.FromSeconds(28), TimeSpan.FromSeconds(41));
        h.B.Engine.SetConnection(sun);
        h.Run(TimeSpan.FromSeconds(45));
        Assert.Single(h.A.EventsOf<IkeSaReauthenticated>());
        Assert.Equal(IkeSaState.Destroyed, oldA.State);
        h.AssertEstablished(children: 2);
    }

    [Fact]
    public void Reauth_PeerSilent_OldSaStaysAndTheNewOneIsNotFailedOver()
    {
        var h = Pair();
        Establish(h);
        var oldA = h.A.Established!;
        // The peer answers nothing new (IKE_SA_INIT requests lost); the old SA still works.
        h.Net.Filter = (from, d) => EstablishmentTests.Parse(d.Data).Header.Exchange == ExchangeType.IkeSaInit ? [] : [d];
        h.Run(Reauth + TimeSpan.FromMinutes(3));
        Assert.Same(oldA, Assert.Single(h.A.Engine.Sas));
        Assert.Equal(IkeSaState.Established, oldA.State);
        Assert.True(oldA.ReauthAt < DateTimeOffset.MaxValue);
        Assert.Empty(h.A.EventsOf<IkeSaReauthenticated>());
    }

    [Fact]
    public void Reauth_SurvivesAnIkeRekey_DueWhenItWas()
    {
        var h = Pair(a => a with { RekeyTime = TimeSpan.FromMinutes(20) });
        Establish(h);
        h.Run(TimeSpan.FromMinutes(21));
        var rekeyed = h.A.Established!;
        Assert.Equal(1, h.A.Engine.Statistics.IkeRekeys);
        Assert.Equal(FakeClock.Start2026 + Reauth, rekeyed.ReauthAt);
        h.Run(Reauth - TimeSpan.FromMinutes(20));
        Assert.Single(h.A.EventsOf<IkeSaReauthenticated>());
        h.AssertEstablished(children: 2);
    }

    [Fact]
    public void Reauth_Defaults_AsSwanctl()
    {
        var c = EngineHarness.Config("moon", EngineHarness.AddressA, EngineHarness.AddressB, "a", "b", "10.1.0.0/24", "10.2.0.0/24")
            with { ReauthTime = TimeSpan.FromHours(2), RekeyTime = TimeSpan.Zero };
        // over_time: 10% of the longer of rekey_time and reauth_time, after the earlier of them.
        Assert.Equal(TimeSpan.FromMinutes(132), c.EffectiveLifeTime);
        Assert.Equal(TimeSpan.FromMinutes(72), (c with { RekeyTime = TimeSpan.FromHours(1) }).EffectiveLifeTime);
        Assert.Equal(TimeSpan.FromMinutes(67), (c with { ReauthTime = TimeSpan.FromMinutes(70), RekeyTime = TimeSpan.FromHours(1) }).EffectiveLifeTime);
    }

    [Fact]
    public void Reauth_CertificateExpiredSinceTheFirstAuth_RefusedAndTheOldSaEndsAtItsLifeTime()
    {
        var root = TestPki.CreateCa("C=CH, O=Lab, CN=Lab Root CA");
        var moonKey = TestKey.Get(SigningKeyType.EcdsaP256, 1);
        var sunKey = TestKey.Get(SigningKeyType.EcdsaP256, 2);
        // Moon's certificate is good for the first authentication and has expired by the reauthentication.
        var moon = TestPki.Issue(root, "C=CH, O=Lab, CN=moon", moonKey, dns: ["moon.s2s.test"], to: FakeClock.Start2026.AddMinutes(30));
        var sun = TestPki.Issue(root, "C=CH, O=Lab, CN=sun", sunKey, dns: ["sun.s2s.test"]);
        Func<IkeSaConfig, IkeSaConfig> Pubkey(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, TestKey key) => c => c with
        {
            LocalAuth = AuthClass.PublicKey,
            RemoteAuth = AuthClass.PublicKey,
            LocalCredential = new LocalCredential(certificate, [], key.Signing),
            TrustAnchors = [root.Certificate],
        };
        var h = Pair(Pubkey(moon, moonKey), Pubkey(sun, sunKey));
        Establish(h);
        var oldA = h.A.Established!;
        Assert.Equal(FakeClock.Start2026 + Reauth + (Reauth / 10), oldA.ExpireAt);

        h.Run(Reauth + TimeSpan.FromSeconds(1));
        Assert.Same(oldA, h.A.Established);
        var refused = Assert.Single(h.B.EventsOf<NegotiationFailed>());
        Assert.Equal(NotifyType.AuthenticationFailed, refused.Notify);
        Assert.Contains("expired", refused.Detail, StringComparison.Ordinal);
        Assert.Empty(h.A.EventsOf<IkeSaReauthenticated>());

        // Each retry is refused the same way, until the old SA reaches its life_time (reauth_time plus 10%).
        h.Run(Reauth / 10 - TimeSpan.FromSeconds(2));
        Assert.Same(oldA, h.A.Established);
        Assert.True(h.B.EventsOf<NegotiationFailed>().Count() > 1);
        h.Run(TimeSpan.FromSeconds(5));
        Assert.Empty(h.A.Engine.Sas);
        Assert.Empty(h.B.Engine.Sas);
        Assert.Empty(h.A.Kernel.Active);
        Assert.Empty(h.B.Kernel.Active);
    }
}
