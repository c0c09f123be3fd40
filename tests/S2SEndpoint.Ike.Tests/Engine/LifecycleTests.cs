using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Tests.Engine;

/// <summary>Deletes from each side, additional Child SAs, NAT traversal and fragmentation.</summary>
public sealed class LifecycleTests
{
    [Fact]
    public void Terminate_FromInitiator_BothSidesRemoveEverything()
    {
        var h = new EngineHarness();
        h.Establish();
        h.A.Engine.Terminate("moon");
        h.Pump();
        Assert.Empty(h.A.Engine.Sas);
        Assert.Empty(h.B.Engine.Sas);
        Assert.Empty(h.A.Kernel.Active);
        Assert.Empty(h.B.Kernel.Active);
        Assert.Contains(h.B.EventsOf<IkeSaClosed>(), e => e.Reason == "deleted by the peer");
    }

    [Fact]
    public void Terminate_FromResponder_BothSidesRemoveEverything()
    {
        var h = new EngineHarness();
        h.Establish();
        h.B.Engine.Terminate("sun");
        h.Pump();
        Assert.Empty(h.A.Engine.Sas);
        Assert.Empty(h.B.Engine.Sas);
        Assert.Empty(h.A.Kernel.Active);
        Assert.Empty(h.B.Kernel.Active);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TerminateChild_FromEachSide_RemovesBothDirectionsOnBothSides(bool fromInitiator)
    {
        var h = new EngineHarness();
        h.Establish();
        if (fromInitiator)
            h.A.Engine.TerminateChild("moon", "net");
        else
            h.B.Engine.TerminateChild("sun", "net");
        h.Pump();
        Assert.Empty(h.A.Kernel.Active);
        Assert.Empty(h.B.Kernel.Active);
        Assert.NotNull(h.A.Established);
        Assert.NotNull(h.B.Established);
    }

    [Theory]
    [InlineData("aes256gcm16")]
    [InlineData("aes256gcm16-modp2048")]
    [InlineData("aes128-sha256-ecp256")]
    [InlineData("chacha20poly1305-x25519")]
    public void CreateChildSa_SecondChild_WithAndWithoutPfs(string esp)
    {
        static IkeSaConfig WithSecond(IkeSaConfig c, string local, string remote, string esp) => c with
        {
            Children = [c.Children[0], c.Children[0] with { Name = "second", LocalTs = [EngineHarness.Prefix(local)], RemoteTs = [EngineHarness.Prefix(remote)], EspProposals = EngineHarness.Esp(esp) }],
        };
        var h = new EngineHarness(a => WithSecond(a, "10.11.0.0/24", "10.12.0.0/24", esp), b => WithSecond(b, "10.12.0.0/24", "10.11.0.0/24", esp));
        h.A.Engine.Initiate("moon");
        h.Pump();
        h.AssertEstablished(children: 2);
        var second = h.A.Established!.Children.Single(c => c.Config.Name == "second");
        Assert.Equal(esp, ProposalKeywords.Format(second.Proposal));
        var exchange = h.Net.Wire.Select(w => EstablishmentTests.Parse(w.Datagram.Data).Header.Exchange).ToList();
        Assert.Equal([ExchangeType.IkeSaInit, ExchangeType.IkeSaInit, ExchangeType.IkeAuth, ExchangeType.IkeAuth, ExchangeType.CreateChildSa, ExchangeType.CreateChildSa], exchange);
    }

    [Fact]
    public void CreateChildSa_PfsMismatch_ReportedAsNoProposalChosen()
    {
        static IkeSaConfig WithSecond(IkeSaConfig c, string local, string remote, string esp) => c with
        {
            Children = [c.Children[0], c.Children[0] with { Name = "second", LocalTs = [EngineHarness.Prefix(local)], RemoteTs = [EngineHarness.Prefix(remote)], EspProposals = EngineHarness.Esp(esp) }],
        };
        var h = new EngineHarness(a => WithSecond(a, "10.11.0.0/24", "10.12.0.0/24", "aes256gcm16"), b => WithSecond(b, "10.12.0.0/24", "10.11.0.0/24", "aes256gcm16-modp2048"));
        h.A.Engine.Initiate("moon");
        h.Pump();
        h.AssertEstablished(children: 1);
        var failed = Assert.Single(h.A.EventsOf<NegotiationFailed>());
        Assert.Equal(NotifyType.NoProposalChosen, failed.Notify);
        Assert.Contains("aes256gcm16", failed.Detail, StringComparison.Ordinal);
        Assert.Contains("aes256gcm16-modp2048", Assert.Single(h.B.EventsOf<NegotiationFailed>()).Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Nat_BetweenTheGateways_DetectedAndIkeMovesTo4500WithUdpEncapsulation()
    {
        var h = new EngineHarness(configureB: b => b with { RemoteAddresses = [] });
        h.PutABehindNat();
        h.Establish();
        var a = h.A.Established!;
        var b = h.B.Established!;
        Assert.True(a.LocalBehindNat);
        Assert.False(a.RemoteBehindNat);
        Assert.True(b.RemoteBehindNat);
        Assert.Equal(4500, a.RemoteEndpoint.Port);
        Assert.Equal(44500, b.RemoteEndpoint.Port);
        Assert.True(h.A.Kernel.Installed[0].UdpEncapsulation);
        Assert.True(h.B.Kernel.Installed[0].UdpEncapsulation);
        Assert.Equal(4500, h.B.Kernel.Installed[0].LocalEndpoint.Port);
    }

    [Fact]
    public void ForcedEncapsulation_NoNat_PeerStillSeesOneAndBothEncapsulate()
    {
        // What strongSwan's kernel-libipsec does: a faked NAT_DETECTION_SOURCE_IP.
        var h = new EngineHarness(a => a with { ForceEncapsulation = true });
        h.Establish();
        Assert.True(h.B.Established!.RemoteBehindNat);
        Assert.True(h.A.Kernel.Installed[0].UdpEncapsulation);
        Assert.True(h.B.Kernel.Installed[0].UdpEncapsulation);
        Assert.Equal(4500, h.A.Established!.RemoteEndpoint.Port);
    }

    [Fact]
    public void Fragmentation_IkeAuthLargerThanTheFragmentSize_SplitAndReassembled()
    {
        var many = Enumerable.Range(0, 40).Select(i => EngineHarness.Prefix($"10.{i + 100}.0.0/24")).ToList();
        var h = new EngineHarness(
            a => a with { FragmentSize = 400, Children = [a.Children[0] with { LocalTs = [.. a.Children[0].LocalTs, .. many] }] },
            b => b with { FragmentSize = 400, Children = [b.Children[0] with { RemoteTs = [.. b.Children[0].RemoteTs, .. many] }] });
        h.Establish();
        var auth = h.Net.Wire.Where(w => w.From == h.A && EstablishmentTests.Parse(w.Datagram.Data).Header.Exchange == ExchangeType.IkeAuth).ToList();
        Assert.True(auth.Count > 2, $"IKE_AUTH went in {auth.Count} datagram(s)");
        Assert.All(auth, w => Assert.True(w.Datagram.Data.Length <= 400));
        Assert.All(auth, w => Assert.IsType<EncryptedFragmentPayload>(EstablishmentTests.Parse(w.Datagram.Data).Payloads[^1]));
        Assert.Equal(41, h.A.Kernel.Installed[0].LocalTs.Count);
    }

    [Fact]
    public void Fragmentation_OneFragmentLost_WholeMessageRetransmittedAndReassembled()
    {
        var many = Enumerable.Range(0, 40).Select(i => EngineHarness.Prefix($"10.{i + 100}.0.0/24")).ToList();
        var h = new EngineHarness(
            a => a with { FragmentSize = 400, Children = [a.Children[0] with { LocalTs = [.. a.Children[0].LocalTs, .. many] }] },
            b => b with { FragmentSize = 400, Children = [b.Children[0] with { RemoteTs = [.. b.Children[0].RemoteTs, .. many] }] });
        var dropped = false;
        h.Net.Filter = (from, d) =>
        {
            if (!dropped && EstablishmentTests.Parse(d.Data).Payloads is [.., EncryptedFragmentPayload { FragmentNumber: 2 }])
            {
                dropped = true;
                return [];
            }
            return [d];
        };
        h.A.Engine.Initiate("moon");
        h.Pump();
        Assert.Null(h.A.Established);
        h.Advance(TimeSpan.FromSeconds(4));
        h.AssertEstablished();
    }

    /// <summary>RFC 7296 1.4.1, crossing Child SA deletes: "the responses MUST NOT include Delete payloads for the deleted SAs".</summary>
    [Fact]
    public void TerminateChild_CrossingDeletes_ResponsesCarryNoDelete()
    {
        var h = new EngineHarness();
        h.Establish();
        var aSa = h.A.Established!;
        var bSa = h.B.Established!;
        var responses = new List<(Side From, byte[] Data)>();
        h.Net.Filter = (from, d) =>
        {
            var m = EstablishmentTests.Parse(d.Data);
            if (m.Header.IsResponse && m.Header.Exchange == ExchangeType.Informational)
                responses.Add((from, d.Data));
            return [d];
        };
        h.A.Engine.TerminateChild("moon", "net");
        h.B.Engine.TerminateChild("sun", "net");
        h.Pump();
        Assert.NotEmpty(responses);
        foreach (var (from, data) in responses)
        {
            var receiver = from == h.A ? bSa : aSa;
            Assert.True(IkeMessage.TryParse(data, out var m, out _));
            Assert.True(SkProtection.TryOpen(m, receiver.InboundCipher!, out var inner, out _));
            Assert.DoesNotContain(inner, p => p is DeletePayload);
        }
    }

    /// <summary>A delete that times out is no dead peer: dpd_action = restart does not bring the connection back up.</summary>
    [Fact]
    public void Terminate_UnreachablePeerWithDpdRestart_DoesNotRestart()
    {
        var h = new EngineHarness(a => a with { DpdAction = DpdAction.Restart });
        h.Establish();
        var sent = new List<IkeMessage>();
        h.Net.Filter = (from, d) => { if (from == h.A) sent.Add(EstablishmentTests.Parse(d.Data)); return []; };
        h.A.Engine.Terminate("moon");
        h.Pump();
        h.Run(TimeSpan.FromSeconds(200));
        Assert.DoesNotContain(sent, m => m.Header.Exchange == ExchangeType.IkeSaInit);
    }
}
