using System.Net;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;
using S2SEndpoint.Ike.Tests.Engine;
using S2SEndpoint.Ike.Tests.Support;

namespace S2SEndpoint.Ike.Tests.GoldenTests;

/// <summary>
/// The engine against strongSwan 5.9.8's real IKE_SA_INIT messages: it answers a captured request, and
/// what it sends has strongSwan's payload order and flags.
/// </summary>
public sealed class StrongSwanEngineTests
{
    public static TheoryData<string> Cases => GoldenCase.All;

    private static IkeSaConfig Responder(GoldenCase golden) => EngineHarness.Config("sun", IPAddress.Parse(golden.Text("responder_addr")),
        IPAddress.Parse(golden.Text("initiator_addr")), golden.Text("id_r_text"), golden.Text("id_i_text"),
        golden.Text("ts_r"), golden.Text("ts_i"), golden.Text("ike_proposal"), golden.Text("esp_proposal").Split('-')[0] == "aes256gcm16" ? "aes256gcm16" : golden.Text("esp_proposal"));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Responder_StrongSwansIkeSaInitRequest_AnswersWithItsProposalAndStrongSwansOrder(string name)
    {
        var golden = GoldenCase.Load(name);
        var kernel = new FakeKernel(0xc0000001);
        var engine = new IkeEngine([Responder(golden)], kernel, new FakeClock(), new SeededRandom(3));
        var local = new IPEndPoint(IPAddress.Parse(golden.Text("responder_addr")), 500);
        var remote = new IPEndPoint(IPAddress.Parse(golden.Text("initiator_addr")), 500);
        engine.Receive(new Datagram(local, remote, golden.Message(0)));

        var response = EstablishmentTests.Parse(Assert.Single(engine.TakeOutgoing()).Data);
        var theirs = EstablishmentTests.Parse(golden.Message(1));
        Assert.Equal(HeaderFlags.Response, response.Header.Flags);
        Assert.Equal(theirs.Header.InitiatorSpi, response.Header.InitiatorSpi);
        Assert.Equal(golden.Text("ike_proposal"), ProposalKeywords.Format(Assert.Single(response.Find<SecurityAssociationPayload>()!.Proposals)));
        Assert.Equal(Sequence(theirs, Sent), Sequence(response, Sent));
        // strongSwan's kernel-libipsec fakes its NAT_DETECTION_SOURCE_IP: we see it behind a NAT.
        Assert.True(Assert.Single(engine.Sas).RemoteBehindNat);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Initiator_IkeSaInitRequest_HasStrongSwansPayloadOrder(string name)
    {
        var golden = GoldenCase.Load(name);
        var h = new EngineHarness(a => EngineHarness.Config("moon", EngineHarness.AddressA, EngineHarness.AddressB, "moon.s2s.test", "sun.s2s.test",
            "10.1.0.0/24", "10.2.0.0/24", golden.Text("ike_proposal"), "aes256gcm16"));
        h.A.Engine.Initiate("moon");
        var ours = EstablishmentTests.Parse(h.A.Engine.TakeOutgoing()[0].Data);
        var theirs = EstablishmentTests.Parse(golden.Message(0));
        Assert.Equal(theirs.Header.Flags, ours.Header.Flags);
        Assert.Equal(Sequence(theirs, Sent), Sequence(ours, Sent));
        Assert.Equal(ProposalKeywords.Format(theirs.Find<SecurityAssociationPayload>()!.Proposals[0]),
            ProposalKeywords.Format(ours.Find<SecurityAssociationPayload>()!.Proposals[0]));
    }

    [Fact]
    public void IkeAuth_BothDirections_HaveStrongSwansPayloadOrder()
    {
        var golden = GoldenCase.Load("ike-aes256-sha256-modp2048");
        var h = new EngineHarness();
        h.Establish();
        var authRequest = EstablishmentTests.Parse(h.Net.Wire[2].Datagram.Data);
        var authResponse = EstablishmentTests.Parse(h.Net.Wire[3].Datagram.Data);
        Assert.True(SkProtection.TryOpen(authRequest, h.B.Established!.InboundCipher!, out var request, out var error), error.ToString());
        Assert.True(SkProtection.TryOpen(authResponse, h.A.Established!.InboundCipher!, out var response, out error), error.ToString());

        var theirsRequest = new List<IkePayload>();
        var theirsResponse = new List<IkePayload>();
        Assert.True(PayloadChain.TryRead((PayloadType)int.Parse(golden.Text("msg.2.sk_first_payload"), System.Globalization.CultureInfo.InvariantCulture), golden.Bytes("msg.2.sk_plain"), 0, theirsRequest, out error));
        Assert.True(PayloadChain.TryRead((PayloadType)int.Parse(golden.Text("msg.3.sk_first_payload"), System.Globalization.CultureInfo.InvariantCulture), golden.Bytes("msg.3.sk_plain"), 0, theirsResponse, out error));
        HashSet<NotifyType> auth = [NotifyType.InitialContact];
        Assert.Equal(Sequence(new IkeMessage(default, theirsRequest), auth), Sequence(new IkeMessage(default, request), auth));
        Assert.Equal(Sequence(new IkeMessage(default, theirsResponse), auth), Sequence(new IkeMessage(default, response), auth));
    }

    /// <summary>
    /// The notifies this implementation sends in IKE_SA_INIT of a PSK connection; strongSwan sends a few more (REDIRECT_SUPPORTED,
    /// ..., and SIGNATURE_HASH_ALGORITHMS, which we announce only when a side of the connection signs).
    /// </summary>
    private static readonly HashSet<NotifyType> Sent =
        [NotifyType.NatDetectionSourceIp, NotifyType.NatDetectionDestinationIp, NotifyType.Ikev2FragmentationSupported];

    private static List<string> Sequence(IkeMessage m, HashSet<NotifyType> notifies) =>
    [
        .. m.Payloads.Where(p => p is not NotifyPayload n || notifies.Contains(n.NotifyType))
            .Select(p => p is NotifyPayload n ? n.NotifyType.ToRfcName() : p.Type.ToString()),
    ];
}
