using System.Net;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Tests.Engine;

/// <summary>IKE_SA_INIT and IKE_AUTH between two engines in memory: every proposal family, retries and failures.</summary>
public sealed class EstablishmentTests
{
    public static TheoryData<string, string> Families => new()
    {
        { "aes256-sha256-modp2048", "aes256gcm16" },
        { "aes128-sha1-modp1024", "aes128-sha1" },
        { "aes256gcm16-prfsha384-ecp384", "aes256-sha256" },
        { "chacha20poly1305-prfsha256-x25519", "chacha20poly1305" },
        { "aes192-sha384-modp3072", "aes192-sha384" },
        { "aes128gcm16-prfsha256-ecp256", "aes128gcm16-esn" },
        { "aes256-sha512-ecp521", "null-sha256" },
        { "aes256-sha256-x448", "aes256-sha512" },
        { "aes128-sha256-modp2048s256", "aes192gcm16" },
        { "aes256-sha256-modp1536", "aes128-sha1" },
        { "aes256-sha256-modp4096", "aes256gcm16" },
    };

    [Theory]
    [MemberData(nameof(Families))]
    public void Initiate_EveryProposalFamily_EstablishesWithEqualKeys(string ike, string esp)
    {
        var h = new EngineHarness(
            a => EngineHarness.Config("moon", EngineHarness.AddressA, EngineHarness.AddressB, "moon.s2s.test", "sun.s2s.test", "10.1.0.0/24", "10.2.0.0/24", ike, esp),
            b => EngineHarness.Config("sun", EngineHarness.AddressB, EngineHarness.AddressA, "sun.s2s.test", "moon.s2s.test", "10.2.0.0/24", "10.1.0.0/24", ike, esp));
        h.Establish();

        var a = h.A.Established!;
        var b = h.B.Established!;
        Assert.Equal(ike, ProposalKeywords.Format(a.Proposal!));
        Assert.Equal(a.Keys!.SkD, b.Keys!.SkD);
        Assert.Equal(a.Keys.SkPi, b.Keys.SkPi);
        Assert.Equal("sun.s2s.test", a.RemoteId!.ToString());
        Assert.Equal("moon.s2s.test", b.RemoteId!.ToString());
        var install = Assert.Single(h.A.Kernel.Installed);
        Assert.Equal(esp, ProposalKeywords.Format(h.A.Established!.Children[0].Proposal));
        Assert.Equal("10.1.0.0/24", Assert.Single(install.LocalTs).ToString());
        Assert.Equal("10.2.0.0/24", Assert.Single(install.RemoteTs).ToString());
        Assert.False(install.UdpEncapsulation);
        Assert.Single(h.A.EventsOf<IkeSaEstablished>());
        Assert.Single(h.B.EventsOf<ChildSaEstablished>());
        // Four datagrams: IKE_SA_INIT and IKE_AUTH, each a request and a response.
        Assert.Equal(4, h.Net.Wire.Count);
    }

    /// <summary>
    /// Without local_addrs an initiator sends from the wildcard of the peer's family, and the host picks the source (the
    /// network here fills it in, as the kernel does); the authenticated response shows the address, which the Child SA gets.
    /// </summary>
    [Fact]
    public void Initiate_OverIpv6WithoutLocalAddresses_SendsFromTheIpv6WildcardAndInstallsTheAddressTheResponseCameTo()
    {
        var v6A = IPAddress.Parse("2001:db8::1");
        var v6B = IPAddress.Parse("2001:db8::2");
        var h = new EngineHarness(
            a => EngineHarness.Config("moon", v6A, v6B, "moon.s2s.test", "sun.s2s.test", "fd00:1::/64", "fd00:2::/64") with { LocalAddresses = [] },
            b => EngineHarness.Config("sun", v6B, v6A, "sun.s2s.test", "moon.s2s.test", "fd00:2::/64", "fd00:1::/64"));
        h.Net.Add(v6A, h.A);
        h.Net.Add(v6B, h.B);
        h.Net.Filter = (from, d) => [d.Local.Address.Equals(IPAddress.IPv6Any) ? d with { Local = new IPEndPoint(from == h.A ? v6A : v6B, d.Local.Port) } : d];
        h.A.Engine.Initiate("moon");
        var first = Assert.Single(h.A.TakeSent());
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Any, 500), first.Local);
        Assert.Equal(new IPEndPoint(v6B, 500), first.Remote);
        h.Net.Deliver(h.Net.Filter(h.A, first).Single());
        h.Pump();

        var install = Assert.Single(h.A.Kernel.Installed);
        Assert.Equal(v6A, install.LocalEndpoint.Address);
        Assert.Equal(v6B, install.RemoteEndpoint.Address);
        Assert.Equal("fd00:2::/64", Assert.Single(install.RemoteTs).ToString());
        Assert.Equal(v6A, Assert.Single(h.B.Kernel.Installed).RemoteEndpoint.Address);
    }

    [Fact]
    public void Initiate_WrongGroupFirst_RetriesAfterInvalidKePayload()
    {
        // A offers ecp256 first and sends its KE for it; B only accepts modp2048 and asks for it.
        var h = new EngineHarness(
            a => a with { Proposals = Ike("aes256-sha256-ecp256-modp2048") },
            b => b with { Proposals = Ike("aes256-sha256-modp2048") });
        h.Establish();
        var first = Parse(h.Net.Wire[1].Datagram.Data);
        Assert.Equal(NotifyType.InvalidKePayload, Assert.IsType<NotifyPayload>(Assert.Single(first.Payloads)).NotifyType);
        Assert.Equal(KeyExchangeMethod.Modp2048, h.A.Established!.Suite!.KeyExchange);
        Assert.Equal(0u, Parse(h.Net.Wire[2].Datagram.Data).Header.MessageId);
        Assert.Equal(6, h.Net.Wire.Count);
    }

    [Fact]
    public void Initiate_ResponderUnderLoad_RetriesWithCookie()
    {
        var h = new EngineHarness(optionsB: new IkeEngineOptions { CookieThreshold = 0 });
        h.Establish();
        var cookieResponse = Parse(h.Net.Wire[1].Datagram.Data);
        Assert.Equal(NotifyType.Cookie, Assert.IsType<NotifyPayload>(Assert.Single(cookieResponse.Payloads)).NotifyType);
        Assert.Equal(0ul, cookieResponse.Header.ResponderSpi);
        // RFC 7296 2.6: the retry carries the COOKIE as its first payload.
        var retry = Parse(h.Net.Wire[2].Datagram.Data);
        Assert.Equal(NotifyType.Cookie, Assert.IsType<NotifyPayload>(retry.Payloads[0]).NotifyType);
    }

    [Fact]
    public void Initiate_WrongPsk_BothSidesReportAuthenticationFailed()
    {
        var h = new EngineHarness(b => b with { PreSharedKey = "another-psk"u8.ToArray() });
        h.A.Engine.Initiate("moon");
        h.Pump();
        Assert.Null(h.A.Established);
        Assert.Null(h.B.Established);
        Assert.Empty(h.A.Engine.Sas);
        Assert.Empty(h.B.Engine.Sas);
        var local = Assert.Single(h.B.EventsOf<NegotiationFailed>());
        Assert.Equal(NotifyType.AuthenticationFailed, local.Notify);
        Assert.Contains("pre-shared key", local.Detail, StringComparison.Ordinal);
        var remote = Assert.Single(h.A.EventsOf<NegotiationFailed>());
        Assert.Equal(NotifyType.AuthenticationFailed, remote.Notify);
        Assert.True(remote.ReceivedFromPeer);
        Assert.Empty(h.A.Kernel.Installed);
        Assert.Empty(h.B.Kernel.Installed);
    }

    [Fact]
    public void Initiate_ProposalMismatch_NoProposalChosenNamesBothSides()
    {
        var h = new EngineHarness(
            a => a with { Proposals = Ike("aes128-sha1-modp2048") },
            b => b with { Proposals = Ike("aes256gcm16-prfsha384-ecp384") });
        h.A.Engine.Initiate("moon");
        h.Pump();
        var responder = Assert.Single(h.B.EventsOf<NegotiationFailed>());
        Assert.Equal(NotifyType.NoProposalChosen, responder.Notify);
        Assert.Contains("aes128-sha1-modp2048", responder.Detail, StringComparison.Ordinal);
        Assert.Contains("aes256gcm16-prfsha384-ecp384", responder.Detail, StringComparison.Ordinal);
        var initiator = Assert.Single(h.A.EventsOf<NegotiationFailed>());
        Assert.Equal(NotifyType.NoProposalChosen, initiator.Notify);
        Assert.Contains("aes128-sha1-modp2048", initiator.Detail, StringComparison.Ordinal);
        Assert.Empty(h.A.Engine.Sas);
        Assert.Empty(h.B.Engine.Sas);
    }

    [Fact]
    public void Initiate_ResponderSelectsInItsConfiguredOrder()
    {
        var h = new EngineHarness(
            a => a with { Proposals = Ike("aes128-sha1-modp2048,aes256gcm16-prfsha384-modp2048") },
            b => b with { Proposals = Ike("aes256gcm16-prfsha384-modp2048,aes128-sha1-modp2048") });
        h.Establish();
        Assert.Equal("aes256gcm16-prfsha384-modp2048", ProposalKeywords.Format(h.A.Established!.Proposal!));
    }

    [Fact]
    public void Initiate_EspProposalMismatch_IkeSaUpChildRefused()
    {
        var h = new EngineHarness(
            a => a with { Children = [a.Children[0] with { EspProposals = EngineHarness.Esp("aes128-sha1") }] },
            b => b with { Children = [b.Children[0] with { EspProposals = EngineHarness.Esp("aes256gcm16") }] });
        h.A.Engine.Initiate("moon");
        h.Pump();
        Assert.NotNull(h.A.Established);
        Assert.NotNull(h.B.Established);
        Assert.Empty(h.A.Kernel.Installed);
        Assert.Empty(h.B.Kernel.Installed);
        Assert.Equal(NotifyType.NoProposalChosen, Assert.Single(h.A.EventsOf<NegotiationFailed>()).Notify);
    }

    [Fact]
    public void Initiate_ResponderNarrowsSelectors_InitiatorInstallsTheNarrowedOnes()
    {
        var h = new EngineHarness(
            a => a with { Children = [a.Children[0] with { LocalTs = [EngineHarness.Prefix("10.1.0.0/16")], RemoteTs = [EngineHarness.Prefix("10.2.0.0/16")] }] });
        h.Establish();
        var install = Assert.Single(h.A.Kernel.Installed);
        Assert.Equal("10.1.0.0/24", Assert.Single(install.LocalTs).ToString());
        Assert.Equal("10.2.0.0/24", Assert.Single(install.RemoteTs).ToString());
    }

    [Fact]
    public void Initiate_ProtocolAndPortSelectors_InstalledAsConfiguredOnBothSides()
    {
        var https = TrafficSelector.FromPrefix(IPAddress.Parse("10.2.0.0"), 24, 6, 443, 443);
        var tcp = TrafficSelector.FromPrefix(IPAddress.Parse("10.1.0.0"), 24, 6);
        var h = new EngineHarness(
            a => a with { Children = [a.Children[0] with { LocalTs = [tcp], RemoteTs = [https] }] },
            b => b with { Children = [b.Children[0] with { LocalTs = [https], RemoteTs = [tcp] }] });
        h.Establish();
        var install = Assert.Single(h.A.Kernel.Installed);
        Assert.Equal("10.1.0.0/24[tcp]", Assert.Single(install.LocalTs).ToString());
        Assert.Equal("10.2.0.0/24[tcp/443]", Assert.Single(install.RemoteTs).ToString());
        var theirs = Assert.Single(h.B.Kernel.Installed);
        Assert.Equal("10.2.0.0/24[tcp/443]", Assert.Single(theirs.LocalTs).ToString());
        Assert.Equal(["10.1.0.0/24[tcp] === 10.2.0.0/24[tcp/443]"], h.A.EventsOf<ChildSaEstablished>().Select(e => $"{e.LocalTs} === {e.RemoteTs}"));
    }

    [Fact]
    public void Initiate_ResponderAllowsOnlyOnePort_InitiatorInstallsThatPort()
    {
        var h = new EngineHarness(
            configureB: b => b with { Children = [b.Children[0] with { LocalTs = [TrafficSelector.FromPrefix(IPAddress.Parse("10.2.0.0"), 24, 17, 53, 53)] }] });
        h.Establish();
        var install = Assert.Single(h.A.Kernel.Installed);
        Assert.Equal("10.1.0.0/24", Assert.Single(install.LocalTs).ToString());
        Assert.Equal("10.2.0.0/24[udp/53]", Assert.Single(install.RemoteTs).ToString());
    }

    [Fact]
    public void Initiate_DisjointPorts_TsUnacceptable()
    {
        var h = new EngineHarness(
            a => a with { Children = [a.Children[0] with { RemoteTs = [TrafficSelector.FromPrefix(IPAddress.Parse("10.2.0.0"), 24, 6, 80, 80)] }] },
            b => b with { Children = [b.Children[0] with { LocalTs = [TrafficSelector.FromPrefix(IPAddress.Parse("10.2.0.0"), 24, 6, 443, 443)] }] });
        h.A.Engine.Initiate("moon");
        h.Pump();
        Assert.Empty(h.A.Kernel.Installed);
        Assert.Equal(NotifyType.TsUnacceptable, Assert.Single(h.A.EventsOf<NegotiationFailed>()).Notify);
    }

    [Fact]
    public void Initiate_DisjointSelectors_TsUnacceptable()
    {
        var h = new EngineHarness(a => a with { Children = [a.Children[0] with { RemoteTs = [EngineHarness.Prefix("10.9.0.0/24")] }] });
        h.A.Engine.Initiate("moon");
        h.Pump();
        Assert.NotNull(h.A.Established);
        Assert.Empty(h.A.Kernel.Installed);
        Assert.Equal(NotifyType.TsUnacceptable, Assert.Single(h.A.EventsOf<NegotiationFailed>()).Notify);
    }

    [Fact]
    public void Initiate_TwoPrefixesEachSide_FourSelectorCombinationsNegotiated()
    {
        // Azure's UsePolicyBasedTrafficSelectors: several prefixes per side in one Child SA.
        static IkeSaConfig Two(IkeSaConfig c, string l1, string l2, string r1, string r2) => c with
        {
            Children = [c.Children[0] with { LocalTs = [EngineHarness.Prefix(l1), EngineHarness.Prefix(l2)], RemoteTs = [EngineHarness.Prefix(r1), EngineHarness.Prefix(r2)] }],
        };
        var h = new EngineHarness(
            a => Two(a, "10.1.0.0/24", "10.3.0.0/24", "10.2.0.0/24", "10.4.0.0/24"),
            b => Two(b, "10.2.0.0/24", "10.4.0.0/24", "10.1.0.0/24", "10.3.0.0/24"));
        h.Establish();
        var install = Assert.Single(h.A.Kernel.Installed);
        Assert.Equal(2, install.LocalTs.Count);
        Assert.Equal(2, install.RemoteTs.Count);
    }

    [Theory]
    [InlineData("192.0.2.1", "192.0.2.2")]
    [InlineData("2001:db8::1", "2001:db8::2")]
    [InlineData("moon.s2s.test", "sun.s2s.test")]
    [InlineData("moon@s2s.test", "sun@s2s.test")]
    [InlineData("keyid:0x6d6f6f6e", "keyid:sun")]
    [InlineData("C=CH, O=s2s, CN=moon", "C=CH, O=s2s, CN=sun")]
    public void Initiate_EveryIdentityType_AuthenticatesAndReportsThePeer(string moon, string sun)
    {
        var h = new EngineHarness(
            a => a with { LocalId = Identity.Parse(moon), RemoteId = Identity.Parse(sun) },
            b => b with { LocalId = Identity.Parse(sun), RemoteId = Identity.Parse(moon) });
        h.Establish();
        Assert.Equal(Identity.Parse(sun), h.A.Established!.RemoteId);
        Assert.Equal(Identity.Parse(moon), h.B.Established!.RemoteId);
    }

    [Fact]
    public void Initiate_PeerClaimsAnotherIdentity_AuthenticationFailed()
    {
        var h = new EngineHarness(a => a with { LocalId = Identity.Parse("mallory.s2s.test") });
        h.A.Engine.Initiate("moon");
        h.Pump();
        Assert.Empty(h.B.Engine.Sas);
        Assert.Contains("mallory.s2s.test", Assert.Single(h.B.EventsOf<NegotiationFailed>()).Detail, StringComparison.Ordinal);
    }

    private static IReadOnlyList<Proposal> Ike(string keywords)
    {
        Assert.True(ProposalKeywords.TryParseList(keywords, ProtocolId.Ike, out var list, out var error), error);
        return list;
    }

    internal static IkeMessage Parse(byte[] datagram)
    {
        Assert.True(IkeMessage.TryParse(datagram, out var m, out var error), error.ToString());
        return m;
    }

    /// <summary>The IKE_SA_INIT request sent again with a COOKIE (or after INVALID_KE_PAYLOAD) still carries the NAT detection notifies.</summary>
    [Fact]
    public void Initiate_ResponderUnderLoad_CookieRetryKeepsNatDetection()
    {
        var h = new EngineHarness(configureB: b => b with { RemoteAddresses = [] }, optionsB: new IkeEngineOptions { CookieThreshold = 0 });
        h.PutABehindNat();
        h.Establish();
        var retry = EstablishmentTests.Parse(h.Net.Wire[2].Datagram.Data);
        Assert.Contains(retry.Payloads, p => p is NotifyPayload { NotifyType: NotifyType.NatDetectionSourceIp });
        Assert.True(h.A.Kernel.Installed[0].UdpEncapsulation);
    }

    [Fact]
    public void Initiate_WrongGroupFirst_InvalidKeRetryKeepsNatDetection()
    {
        var h = new EngineHarness(
            a => a with { Proposals = Ike("aes256-sha256-ecp256-modp2048") },
            b => b with { Proposals = Ike("aes256-sha256-modp2048") });
        h.Establish();
        var retry = EstablishmentTests.Parse(h.Net.Wire[2].Datagram.Data);
        Assert.Contains(retry.Payloads, p => p is NotifyPayload { NotifyType: NotifyType.NatDetectionSourceIp });
    }

    [Fact]
    public void Initiate_BehindNatResponderUnderLoad_CookieRetryEncapsulatesEsp()
    {
        var h = new EngineHarness(configureB: b => b with { RemoteAddresses = [] }, optionsB: new IkeEngineOptions { CookieThreshold = 0 });
        h.PutABehindNat();
        h.Establish();
        Assert.True(h.A.Kernel.Installed[0].UdpEncapsulation, "A installed ESP without UDP encapsulation behind a NAT");
        Assert.True(h.B.Kernel.Installed[0].UdpEncapsulation, "B installed ESP without UDP encapsulation");
    }
}
