using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Tests.Engine;

/// <summary>
/// IkeEngineOptions.KeyLog: each IKE SA is reported once when it is keyed (IKE_SA_INIT, or as the new SA of an IKE SA
/// rekey, collisions included) with the SPIs and keys it uses, and again when it goes, so that a key log holds exactly
/// the SAs up now.
/// </summary>
public sealed class KeyLogTests
{
    /// <summary>What the engine reported, keys copied (the engine zeroes its own when the SA goes).</summary>
    private sealed class RecordingKeyLog : IIkeKeyLog
    {
        public List<(ulong I, ulong R, IkeSuite Suite, byte[] Ei, byte[] Er, byte[] Ai, byte[] Ar)> Keyed { get; } = [];
        public List<(ulong I, ulong R)> Forgotten { get; } = [];

        /// <summary>The SAs reported keyed and not yet forgotten.</summary>
        public HashSet<(ulong, ulong)> Live => [.. Keyed.Select(k => (k.I, k.R)).Where(k => !Forgotten.Contains(k))];

        void IIkeKeyLog.Keyed(ulong initiatorSpi, ulong responderSpi, IkeSuite suite, ReadOnlySpan<byte> skEi, ReadOnlySpan<byte> skEr, ReadOnlySpan<byte> skAi, ReadOnlySpan<byte> skAr) =>
            Keyed.Add((initiatorSpi, responderSpi, suite, skEi.ToArray(), skEr.ToArray(), skAi.ToArray(), skAr.ToArray()));

        void IIkeKeyLog.Forgotten(ulong initiatorSpi, ulong responderSpi) => Forgotten.Add((initiatorSpi, responderSpi));
    }

    private static (EngineHarness H, RecordingKeyLog A, RecordingKeyLog B) Harness(string ike = "aes256-sha256-modp2048", int seed = 0)
    {
        Assert.True(ProposalKeywords.TryParseList(ike, ProtocolId.Ike, out var proposals, out var error), error);
        var (a, b) = (new RecordingKeyLog(), new RecordingKeyLog());
        var h = new EngineHarness(c => c with { Proposals = proposals }, c => c with { Proposals = proposals },
            new IkeEngineOptions { KeyLog = a }, new IkeEngineOptions { KeyLog = b }, seed);
        return (h, a, b);
    }

    [Theory]
    [InlineData("aes256-sha256-modp2048", 32, 32)]
    [InlineData("aes256gcm16-prfsha384-ecp384", 36, 0)]
    public void Establish_EachSideReportsItsSaOnce_WithTheSpisAndKeysItUses(string ike, int encryptionKey, int integrityKey)
    {
        var (h, logA, logB) = Harness(ike);

        h.Establish();

        var sa = h.A.Established!;
        foreach (var log in new[] { logA, logB })
        {
            var k = Assert.Single(log.Keyed);
            Assert.Equal((sa.InitiatorSpi, sa.ResponderSpi), (k.I, k.R));
            Assert.Equal(ike, ProposalKeywords.Format(sa.Proposal!));
            Assert.Equal(sa.Keys!.SkEi, k.Ei);
            Assert.Equal(sa.Keys.SkEr, k.Er);
            Assert.Equal(sa.Keys.SkAi, k.Ai);
            Assert.Equal(sa.Keys.SkAr, k.Ar);
            Assert.Equal((encryptionKey, integrityKey), (k.Ei.Length, k.Ai.Length));
            Assert.Same(sa.Suite!.Encryption, k.Suite.Encryption);
            Assert.Empty(log.Forgotten);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void RekeyIke_TheNewSaIsReported_TheOldOneForgotten_AndTerminateForgetsTheRest(bool fromInitiator)
    {
        var (h, logA, logB) = Harness();
        h.Establish();
        var old = h.A.Established!;
        var oldSpis = (old.InitiatorSpi, old.ResponderSpi);

        if (fromInitiator)
            h.A.Engine.RekeyIke("moon");
        else
            h.B.Engine.RekeyIke("sun");
        h.Pump();

        var now = Assert.Single(h.A.Engine.Sas);
        foreach (var log in new[] { logA, logB })
        {
            Assert.Equal(2, log.Keyed.Count);
            Assert.Equal(now.Keys!.SkEi, log.Keyed[1].Ei);
            Assert.Equal([oldSpis], log.Forgotten);
            Assert.Equal([(now.InitiatorSpi, now.ResponderSpi)], log.Live);
        }

        h.A.Engine.Terminate("moon");
        h.Pump();

        Assert.Empty(logA.Live);
        Assert.Empty(logB.Live);
    }

    [Theory]
    [MemberData(nameof(IkeRekeyTests.Orders), MemberType = typeof(IkeRekeyTests))]
    public void RekeyIke_BothSidesAtOnce_TheRedundantSaIsForgottenToo(RekeyTests.CollisionOrder order)
    {
        for (var seed = 0; seed < 4; seed++)
        {
            var (h, logA, logB) = Harness(seed: seed);
            h.Establish();
            h.CrossRekeys(order, ike: true, TimeSpan.FromSeconds(200));

            var a = Assert.Single(h.A.Engine.Sas);
            Assert.Equal([(a.InitiatorSpi, a.ResponderSpi)], logA.Live);
            Assert.Equal([(a.InitiatorSpi, a.ResponderSpi)], logB.Live);
            Assert.Equal(logA.Keyed.Count, logA.Keyed.Select(k => (k.I, k.R)).Distinct().Count());
        }
    }

    [Fact]
    public void Default_NoKeyLog() => Assert.Null(new IkeEngineOptions().KeyLog);
}
