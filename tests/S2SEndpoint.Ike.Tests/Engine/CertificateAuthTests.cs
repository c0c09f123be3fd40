using System.Net;
using System.Security.Cryptography.X509Certificates;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Tests.Engine;

/// <summary>
/// IKE_AUTH with certificates between two engines in memory (RFC 7296 2.15, RFC 7427): every key type in both roles,
/// an intermediate CA, one side PSK and the other a certificate, and each reason a peer is refused.
/// </summary>
public sealed class CertificateAuthTests
{
    private static readonly TestPki.Ca Root = TestPki.CreateCa("C=CH, O=Lab, CN=Lab Root CA");

    /// <summary>A's (moon's) and B's (sun's) certificates from <paramref name="ca"/>, with their FQDNs as subjectAltNames.</summary>
    private static (X509Certificate2 Moon, X509Certificate2 Sun) Pair(TestPki.Ca ca, TestKey moon, TestKey sun) =>
        (TestPki.Issue(ca, "C=CH, O=Lab, CN=moon", moon, dns: ["moon.s2s.test"]), TestPki.Issue(ca, "C=CH, O=Lab, CN=sun", sun, dns: ["sun.s2s.test"]));

    private static Func<IkeSaConfig, IkeSaConfig> Pubkey(X509Certificate2 certificate, TestKey key, X509Certificate2[]? anchors = null,
        X509Certificate2[]? intermediates = null, bool pss = false) =>
        c => c with
        {
            LocalAuth = AuthClass.PublicKey,
            RemoteAuth = AuthClass.PublicKey,
            LocalCredential = new LocalCredential(certificate, intermediates ?? [], key.Signing) { RsaPss = pss },
            TrustAnchors = anchors ?? [Root.Certificate],
        };

    public static TheoryData<SigningKeyType> KeyTypes =>
        [SigningKeyType.Rsa, SigningKeyType.EcdsaP256, SigningKeyType.EcdsaP384, SigningKeyType.EcdsaP521, SigningKeyType.Ed25519];

    /// <summary>Moon signs with the key type as initiator, sun with it as responder; each verifies the other's.</summary>
    [Theory]
    [MemberData(nameof(KeyTypes))]
    public void Initiate_EveryKeyTypeBothRoles_Establishes(SigningKeyType type)
    {
        var moonKey = TestKey.Get(type, 1);
        var sunKey = TestKey.Get(type, 2);
        var (moon, sun) = Pair(Root, moonKey, sunKey);
        var h = new EngineHarness(Pubkey(moon, moonKey), Pubkey(sun, sunKey));
        h.Establish();
        Assert.Equal("sun.s2s.test", h.A.Established!.RemoteId!.ToString());
        Assert.Equal("moon.s2s.test", h.B.Established!.RemoteId!.ToString());
        // RFC 7427 4 and RFC 7296 3.7: both announce their hashes, the responder asks for certificates from our root.
        var initResponse = EstablishmentTests.Parse(h.Net.Wire[1].Datagram.Data);
        var hashes = Assert.Single(initResponse.Payloads.OfType<NotifyPayload>(), n => n.NotifyType == NotifyType.SignatureHashAlgorithms);
        Assert.Equal(Convert.FromHexString("0002000300040005"), hashes.Data);
        var request = Assert.Single(initResponse.Payloads.OfType<CertificatePayload>());
        Assert.True(request.IsRequest);
#pragma warning disable CA5350 // RFC 7296 3.7 names a CA by the SHA-1 hash of its subjectPublicKeyInfo.
        Assert.Equal(System.Security.Cryptography.SHA1.HashData(Root.Certificate.PublicKey.ExportSubjectPublicKeyInfo()), request.Data);
#pragma warning restore CA5350
    }

    /// <summary>Each key type against another: moon RSA, sun ECDSA and so on round.</summary>
    [Theory]
    [InlineData(SigningKeyType.Rsa, SigningKeyType.EcdsaP384)]
    [InlineData(SigningKeyType.EcdsaP256, SigningKeyType.Ed25519)]
    [InlineData(SigningKeyType.Ed25519, SigningKeyType.EcdsaP521)]
    public void Initiate_DifferentKeyTypes_Establishes(SigningKeyType moonType, SigningKeyType sunType)
    {
        var moonKey = TestKey.Get(moonType, 1);
        var sunKey = TestKey.Get(sunType, 2);
        var (moon, sun) = Pair(Root, moonKey, sunKey);
        new EngineHarness(Pubkey(moon, moonKey), Pubkey(sun, sunKey)).Establish();
    }

    [Fact]
    public void Initiate_RsaPss_Establishes()
    {
        var moonKey = TestKey.Get(SigningKeyType.Rsa, 1);
        var sunKey = TestKey.Get(SigningKeyType.Rsa, 2);
        var (moon, sun) = Pair(Root, moonKey, sunKey);
        new EngineHarness(Pubkey(moon, moonKey, pss: true), Pubkey(sun, sunKey, pss: true)).Establish();
    }

    [Fact]
    public void Initiate_ThroughAnIntermediateCa_Establishes()
    {
        var intermediate = TestPki.CreateCa("C=CH, O=Lab, CN=Lab Intermediate CA", SigningKeyType.EcdsaP384, 1, Root);
        var moonKey = TestKey.Get(SigningKeyType.EcdsaP256, 1);
        var sunKey = TestKey.Get(SigningKeyType.Rsa, 2);
        var (moon, sun) = Pair(intermediate, moonKey, sunKey);
        var h = new EngineHarness(Pubkey(moon, moonKey, intermediates: [intermediate.Certificate]), Pubkey(sun, sunKey, intermediates: [intermediate.Certificate]));
        h.Establish();
    }

    [Fact]
    public void Initiate_IntermediateNotSent_ResponderRefusesAsNotChainingToItsCa()
    {
        var intermediate = TestPki.CreateCa("C=CH, O=Lab, CN=Lab Intermediate CA", SigningKeyType.EcdsaP384, 1, Root);
        var moonKey = TestKey.Get(SigningKeyType.EcdsaP256, 1);
        var sunKey = TestKey.Get(SigningKeyType.EcdsaP256, 2);
        var (moon, sun) = Pair(intermediate, moonKey, sunKey);
        var h = new EngineHarness(Pubkey(moon, moonKey), Pubkey(sun, sunKey, intermediates: [intermediate.Certificate]));
        AssertRefusedByResponder(h, "does not chain to a trusted CA");
    }

    [Fact]
    public void Initiate_PeerFromAnotherCa_ResponderRefusesNamingTheCa()
    {
        var other = TestPki.CreateCa("C=CH, O=Elsewhere, CN=Other CA", SigningKeyType.EcdsaP256, 2);
        var moonKey = TestKey.Get(SigningKeyType.EcdsaP256, 1);
        var sunKey = TestKey.Get(SigningKeyType.EcdsaP256, 2);
        var moon = TestPki.Issue(other, "C=CH, O=Lab, CN=moon", moonKey, dns: ["moon.s2s.test"]);
        var sun = TestPki.Issue(Root, "C=CH, O=Lab, CN=sun", sunKey, dns: ["sun.s2s.test"]);
        var h = new EngineHarness(Pubkey(moon, moonKey), Pubkey(sun, sunKey));
        var detail = AssertRefusedByResponder(h, "does not chain to a trusted CA of this connection");
        Assert.Contains("O=Elsewhere", detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Initiate_ExpiredCertificate_ResponderRefusesSayingExpired()
    {
        var moonKey = TestKey.Get(SigningKeyType.EcdsaP256, 1);
        var sunKey = TestKey.Get(SigningKeyType.EcdsaP256, 2);
        var moon = TestPki.Issue(Root, "C=CH, O=Lab, CN=moon", moonKey, dns: ["moon.s2s.test"], to: FakeClock.Start2026.AddDays(-1));
        var sun = TestPki.Issue(Root, "C=CH, O=Lab, CN=sun", sunKey, dns: ["sun.s2s.test"]);
        var detail = AssertRefusedByResponder(new EngineHarness(Pubkey(moon, moonKey), Pubkey(sun, sunKey)), "expired on 2026-11-23");
        Assert.Contains("CN=moon", detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Initiate_ExpiredResponderCertificate_InitiatorRefusesAndTellsThePeer()
    {
        var moonKey = TestKey.Get(SigningKeyType.EcdsaP256, 1);
        var sunKey = TestKey.Get(SigningKeyType.EcdsaP256, 2);
        var moon = TestPki.Issue(Root, "C=CH, O=Lab, CN=moon", moonKey, dns: ["moon.s2s.test"]);
        var sun = TestPki.Issue(Root, "C=CH, O=Lab, CN=sun", sunKey, dns: ["sun.s2s.test"], from: FakeClock.Start2026.AddDays(1));
        var h = new EngineHarness(Pubkey(moon, moonKey), Pubkey(sun, sunKey));
        h.A.Engine.Initiate("moon");
        h.Pump();
        Assert.Null(h.A.Established);
        var failed = Assert.Single(h.A.EventsOf<NegotiationFailed>());
        Assert.Equal(NotifyType.AuthenticationFailed, failed.Notify);
        Assert.False(failed.ReceivedFromPeer);
        Assert.Contains("is not valid before", failed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Initiate_IdInNoSubjectAltName_ResponderRefusesNamingTheId()
    {
        var moonKey = TestKey.Get(SigningKeyType.EcdsaP256, 1);
        var sunKey = TestKey.Get(SigningKeyType.EcdsaP256, 2);
        var (moon, sun) = Pair(Root, moonKey, sunKey);
        var h = new EngineHarness(
            c => Pubkey(moon, moonKey)(c) with { LocalId = Identity.Parse("mars.s2s.test") },
            c => Pubkey(sun, sunKey)(c) with { RemoteId = Identity.Parse("mars.s2s.test") });
        AssertRefusedByResponder(h, "peer ID 'mars.s2s.test' is neither the subject nor a subjectAltName of its certificate 'C=CH, O=Lab, CN=moon'");
    }

    [Fact]
    public void Initiate_KeyThatDoesNotMatchItsCertificate_ResponderRefusesTheSignature()
    {
        var moonKey = TestKey.Get(SigningKeyType.EcdsaP256, 1);
        var sunKey = TestKey.Get(SigningKeyType.EcdsaP256, 2);
        var (moon, sun) = Pair(Root, moonKey, sunKey);
        var h = new EngineHarness(Pubkey(moon, TestKey.Get(SigningKeyType.EcdsaP256, 3)), Pubkey(sun, sunKey));
        AssertRefusedByResponder(h, "does not verify with the key of its certificate 'C=CH, O=Lab, CN=moon'");
    }

    [Fact]
    public void Initiate_PeerUsesPskWhereACertificateIsExpected_Refused()
    {
        var sunKey = TestKey.Get(SigningKeyType.EcdsaP256, 2);
        var (_, sun) = Pair(Root, sunKey, sunKey);
        var h = new EngineHarness(null, Pubkey(sun, sunKey));
        AssertRefusedByResponder(h, "authenticates with a pre-shared key; this connection expects a certificate signature");
    }

    /// <summary>Moon proves itself with a PSK and checks sun's certificate; sun signs and checks moon's PSK.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Initiate_PskOnOneSideCertificateOnTheOther_Establishes(bool initiatorSigns)
    {
        var key = TestKey.Get(SigningKeyType.EcdsaP384, 1);
        var signer = TestPki.Issue(Root, "C=CH, O=Lab, CN=signer", key, dns: [initiatorSigns ? "moon.s2s.test" : "sun.s2s.test"]);
        Func<IkeSaConfig, IkeSaConfig> signs = c => c with
        {
            LocalAuth = AuthClass.PublicKey,
            LocalCredential = new LocalCredential(signer, [], key.Signing),
        };
        Func<IkeSaConfig, IkeSaConfig> verifies = c => c with { RemoteAuth = AuthClass.PublicKey, TrustAnchors = [Root.Certificate] };
        var h = initiatorSigns ? new EngineHarness(signs, verifies) : new EngineHarness(verifies, signs);
        h.Establish();
    }

    /// <summary>
    /// IDs as distinguished names: the peer sends its certificate's subject, and remote.id written with another string
    /// type and case of a PrintableString still matches it, RDN by RDN (strongSwan's DN comparison).
    /// </summary>
    [Fact]
    public void Initiate_DistinguishedNameIds_MatchRdnByRdn()
    {
        var moonKey = TestKey.Get(SigningKeyType.Rsa, 1);
        var sunKey = TestKey.Get(SigningKeyType.EcdsaP256, 2);
        var (moon, sun) = Pair(Root, moonKey, sunKey);
        var h = new EngineHarness(
            c => Pubkey(moon, moonKey)(c) with { LocalId = new Identity(IdentificationType.DerAsn1Dn, moon.SubjectName.RawData), RemoteId = Identity.Parse("C=CH, O=Lab, CN=sun") },
            c => Pubkey(sun, sunKey)(c) with { LocalId = new Identity(IdentificationType.DerAsn1Dn, sun.SubjectName.RawData), RemoteId = Identity.Parse("c=ch, o=lab, cn=MOON") });
        h.Establish();
        Assert.Equal("C=CH, O=Lab, CN=moon", h.B.Established!.RemoteId!.ToString());
    }

    [Fact]
    public void Initiate_RemoteDnThatDiffers_Refused()
    {
        var moonKey = TestKey.Get(SigningKeyType.EcdsaP256, 1);
        var sunKey = TestKey.Get(SigningKeyType.EcdsaP256, 2);
        var (moon, sun) = Pair(Root, moonKey, sunKey);
        var h = new EngineHarness(
            c => Pubkey(moon, moonKey)(c) with { LocalId = new Identity(IdentificationType.DerAsn1Dn, moon.SubjectName.RawData), RemoteId = null },
            c => Pubkey(sun, sunKey)(c) with { RemoteId = Identity.Parse("C=CH, O=Lab, OU=Gw, CN=moon") });
        AssertRefusedByResponder(h, "is not the configured");
    }

    [Fact]
    public void Initiate_PskBothSides_AnnouncesNoSignatureHashes()
    {
        var h = new EngineHarness();
        h.Establish();
        Assert.DoesNotContain(EstablishmentTests.Parse(h.Net.Wire[0].Datagram.Data).Payloads.OfType<NotifyPayload>(), n => n.NotifyType == NotifyType.SignatureHashAlgorithms);
        Assert.DoesNotContain(EstablishmentTests.Parse(h.Net.Wire[1].Datagram.Data).Payloads.OfType<NotifyPayload>(), n => n.NotifyType == NotifyType.SignatureHashAlgorithms);
    }

    /// <summary>The responder refuses; both sides report AUTHENTICATION_FAILED and no SA stays. Returns the responder's reason.</summary>
    private static string AssertRefusedByResponder(EngineHarness h, string reason)
    {
        h.A.Engine.Initiate("moon");
        h.Pump();
        Assert.Null(h.A.Established);
        Assert.Null(h.B.Established);
        Assert.Empty(h.B.Engine.Sas);
        var local = Assert.Single(h.B.EventsOf<NegotiationFailed>());
        Assert.Equal(NotifyType.AuthenticationFailed, local.Notify);
        Assert.Contains(reason, local.Detail, StringComparison.Ordinal);
        var remote = Assert.Single(h.A.EventsOf<NegotiationFailed>());
        Assert.Equal(NotifyType.AuthenticationFailed, remote.Notify);
        Assert.True(remote.ReceivedFromPeer);
        Assert.Empty(h.A.Kernel.Installed);
        Assert.Empty(h.B.Kernel.Installed);
        return local.Detail;
    }
}
