using System.Net;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Tests.Engine;

/// <summary>
/// What an unauthenticated peer can make the responder hold through IKE fragments (RFC 7383) is bounded: fragments
/// only where both sides announced them, only for the message expected next, a cap per message and one cap over all
/// SAs not yet authenticated; and all half-open state together stays under the bound the README documents.
/// </summary>
public sealed class FragmentLimitsTests
{
    private static readonly IPEndPoint B500 = new(EngineHarness.AddressB, 500);

    /// <summary>
    /// Runs IKE_SA_INIT from a fresh attacker engine at <paramref name="from"/> to <paramref name="b"/>, then
    /// returns the attacker's half-open SA (it holds the keys) without sending its IKE_AUTH.
    /// </summary>
    private static IkeSa HalfOpen(Side b, FakeClock clock, IPAddress from, int seed, Func<IkeSaConfig, IkeSaConfig>? configure = null)
    {
        var config = EngineHarness.Config("attacker", from, EngineHarness.AddressB, "spoke.s2s.test", "sun.s2s.test", "10.1.0.0/24", "10.2.0.0/24");
        var attacker = new IkeEngine([(configure ?? (c => c))(config)], new FakeKernel(0x10000), clock, new SeededRandom(seed));
        attacker.Initiate("attacker");
        var request = Assert.Single(attacker.TakeOutgoing());
        b.Engine.Receive(new Datagram(B500, new IPEndPoint(from, 500), request.Data));
        var response = Assert.Single(b.Engine.TakeOutgoing());
        attacker.Receive(new Datagram(new IPEndPoint(from, 500), B500, response.Data));
        attacker.TakeOutgoing();
        var sa = Assert.Single(attacker.Sas);
        Assert.Equal(IkeSaState.Authenticating, sa.State);
        return sa;
    }

    /// <summary>IKE_AUTH fragments of message <paramref name="messageId"/>, sealed with the attacker's keys, each with <paramref name="size"/> octets of content.</summary>
    private static IEnumerable<byte[]> Fragments(IkeSa attacker, int count, int size = 1000, uint messageId = 1)
    {
        var header = attacker.Header(ExchangeType.IkeAuth, false, messageId);
        var content = new byte[size];
        for (var n = 1; n <= count; n++)
            yield return SkProtection.SealFragment(header, PayloadType.IdInitiator, (ushort)n, (ushort)count, content, attacker.OutboundCipher!);
    }

    private static void Send(Side b, IPAddress from, IEnumerable<byte[]> datagrams)
    {
        foreach (var d in datagrams)
            b.Engine.Receive(new Datagram(B500, new IPEndPoint(from, 500), d));
        b.Engine.TakeOutgoing();
    }

    private static IPAddress Source(int i) => new([198, 18, unchecked((byte)(i >> 8)), unchecked((byte)i)]);

    [Fact]
    public void Fragments_WhenTheResponderDidNotAnnounceThem_AreDroppedAndHoldNothing()
    {
        var h = new EngineHarness(configureB: b => b with { Fragmentation = false, RemoteAddresses = [] });
        var attacker = HalfOpen(h.B, h.Clock, Source(1), 11);

        Send(h.B, Source(1), Fragments(attacker, 63));

        Assert.Equal(0, h.B.Engine.UnauthenticatedReassemblyBytes);
        Assert.Equal(63, h.B.Engine.Drops.Count(IkeDropReason.FragmentNotNegotiated));
    }

    [Fact]
    public void Fragments_WhenTheInitiatorDidNotAnnounceThem_AreDropped()
    {
        var h = new EngineHarness(configureB: b => b with { RemoteAddresses = [] });
        var attacker = HalfOpen(h.B, h.Clock, Source(1), 11, c => c with { Fragmentation = false });

        Send(h.B, Source(1), Fragments(attacker, 10));

        Assert.Equal(0, h.B.Engine.UnauthenticatedReassemblyBytes);
        Assert.Equal(10, h.B.Engine.Drops.Count(IkeDropReason.FragmentNotNegotiated));
    }

    [Fact]
    public void Fragments_OfAMessageNotExpectedNext_AreDropped()
    {
        var h = new EngineHarness(configureB: b => b with { RemoteAddresses = [] });
        var attacker = HalfOpen(h.B, h.Clock, Source(1), 11);

        Send(h.B, Source(1), Fragments(attacker, 10, messageId: 2));

        Assert.Equal(0, h.B.Engine.UnauthenticatedReassemblyBytes);
        Assert.Equal(10, h.B.Engine.Drops.Count(IkeDropReason.UnexpectedRequestMessageId));
    }

    [Fact]
    public void Fragments_OfOneMessage_StopAtTheOctetCap()
    {
        var h = new EngineHarness(configureB: b => b with { RemoteAddresses = [] });
        var attacker = HalfOpen(h.B, h.Clock, Source(1), 11);

        Send(h.B, Source(1), Fragments(attacker, 63));

        Assert.InRange(h.B.Engine.UnauthenticatedReassemblyBytes, 1, h.B.Engine.Options.MaxFragmentedMessage);
        Assert.True(h.B.Engine.Drops.Count(IkeDropReason.FragmentedMessageTooLarge) >= 63 - (h.B.Engine.Options.MaxFragmentedMessage / 1000));
    }

    [Fact]
    public void Fragments_OfAllUnauthenticatedSas_StayUnderOneBudget_GivenBackWhenTheyGo()
    {
        const int Budget = 100_000;
        var h = new EngineHarness(configureB: b => b with { RemoteAddresses = [] },
            optionsB: new IkeEngineOptions { UnauthenticatedReassemblyLimit = Budget, CookieThreshold = int.MaxValue });
        for (var i = 0; i < 10; i++)
        {
            var attacker = HalfOpen(h.B, h.Clock, Source(i), 100 + i);
            Send(h.B, Source(i), Fragments(attacker, 63).Take(30));
            Assert.InRange(h.B.Engine.UnauthenticatedReassemblyBytes, 0, Budget);
        }
        Assert.True(h.B.Engine.Drops.Count(IkeDropReason.ReassemblyMemoryFull) > 0, string.Join(", ", h.B.Engine.Drops));

        h.Advance(h.B.Engine.Options.HalfOpenTimeout + TimeSpan.FromSeconds(1));

        Assert.Empty(h.B.Engine.Sas);
        Assert.Equal(0, h.B.Engine.UnauthenticatedReassemblyBytes);
    }

    [Fact]
    public void LegitimateFragmentedIkeAuth_StillWorks_AndLeavesNothingCharged()
    {
        // A fragment size so small that IKE_AUTH goes in several fragments both ways.
        var h = new EngineHarness(a => a with { FragmentSize = 160 }, b => b with { FragmentSize = 160 });
        h.Establish();
        Assert.Contains(h.Net.Wire, w => EstablishmentTests.Parse(w.Datagram.Data).Payloads is [EncryptedFragmentPayload]);
        Assert.Equal(0, h.A.Engine.UnauthenticatedReassemblyBytes);
        Assert.Equal(0, h.B.Engine.UnauthenticatedReassemblyBytes);
    }

    [Fact]
    public void InitRequest_LargerThanMaxPacket_IsDropped()
    {
        var h = new EngineHarness(configureB: b => b with { RemoteAddresses = [] });
        var vendorId = new VendorIdPayload(new byte[h.B.Engine.Options.MaxInitRequest]);
        var request = new IkeMessage(new IkeHeader(0x1122334455667788, 0, PayloadType.NoNextPayload, ExchangeType.IkeSaInit, HeaderFlags.Initiator, 0, 0), [vendorId]).ToArray();

        h.B.Engine.Receive(new Datagram(B500, new IPEndPoint(Source(1), 500), request));

        Assert.Empty(h.B.Engine.Sas);
        Assert.Equal(1, h.B.Engine.Drops.Count(IkeDropReason.InitRequestTooLarge));
    }

    /// <summary>
    /// The documented bound: the half-open table full (1000 SAs from 1000 sources, each with an IKE_SA_INIT near the
    /// 10,000 octets taken and fragments up to the caps) holds under 64 MiB in all.
    /// </summary>
    [Fact]
    public void HalfOpenTableFull_OfLargestRequestsAndFragments_HoldsUnder64MiB()
    {
        var h = new EngineHarness(configureB: b => b with { RemoteAddresses = [] },
            optionsB: new IkeEngineOptions { CookieThreshold = int.MaxValue });
        // Proposals the responder does not take, before the one it does: an IKE_SA_INIT of about 9.5 KB.
        var padding = Enumerable.Range(1, 33).Select(n => new Proposal((byte)n, ProtocolId.Ike, [],
            [new Transform(TransformType.Encryption, (ushort)EncryptionAlgorithm.AesCbc, 128),
             .. Enumerable.Range(0, 27).Select(i => new Transform(TransformType.Integrity, (ushort)(100 + i))),
             new Transform(TransformType.Prf, (ushort)PrfAlgorithm.HmacSha1),
             new Transform(TransformType.KeyExchange, (ushort)KeyExchangeMethod.Modp2048)])).ToList();
        Func<IkeSaConfig, IkeSaConfig> large = c => c with { Proposals = [.. padding, .. c.Proposals.Select(p => new Proposal(34, p.Protocol, p.Spi, p.Transforms))] };

        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var limit = h.B.Engine.Options.HalfOpenLimit;
        for (var i = 0; i < limit; i++)
        {
            var attacker = HalfOpen(h.B, h.Clock, Source(i), 1000 + i, large);
            Send(h.B, Source(i), Fragments(attacker, 63));
        }
        var held = GC.GetTotalMemory(forceFullCollection: true) - before;

        Assert.Equal(limit, h.B.Engine.HalfOpenCount);
        Assert.InRange(h.B.Engine.UnauthenticatedReassemblyBytes, 1, h.B.Engine.Options.UnauthenticatedReassemblyLimit);
        Assert.True(held < 64L * 1024 * 1024, $"{held / (1024.0 * 1024):0.0} MiB held by {limit} half-open SAs");
    }
}
