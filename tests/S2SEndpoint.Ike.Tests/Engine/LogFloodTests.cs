using System.Text;
using Microsoft.Extensions.Logging;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;
using S2SEndpoint.Ike.Tests.Support;

namespace S2SEndpoint.Ike.Tests.Engine;

/// <summary>A peer cannot flood the log, forge a line or hide one: its texts are escaped and cut, its lines rate-limited.</summary>
public sealed class LogFloodTests
{
    /// <summary>35 proposals of 30 transforms each that nobody implements: an IKE_SA_INIT just under the 10,000 octets taken.</summary>
    private static IReadOnlyList<Proposal> HugeOffer() =>
        [.. Enumerable.Range(1, 35).Select(n => new Proposal((byte)n, ProtocolId.Ike, [],
            [new Transform(TransformType.Encryption, (ushort)EncryptionAlgorithm.AesCbc, 128),
             .. Enumerable.Range(0, 27).Select(i => new Transform(TransformType.Integrity, (ushort)(100 + i))),
             new Transform(TransformType.Prf, (ushort)PrfAlgorithm.HmacSha1),
             new Transform(TransformType.KeyExchange, (ushort)KeyExchangeMethod.Modp2048)]))];

    [Fact]
    public void RefusedHugeOffer_IsLoggedCutToABoundedLine()
    {
        var log = new ListLogger();
        var h = new EngineHarness(a => a with { Proposals = HugeOffer() }, logB: log);
        h.A.Engine.Initiate("moon");
        h.Pump();

        var line = Assert.Single(log.Lines, l => l.Level == LogLevel.Warning).Text;
        Assert.Contains("NO_PROPOSAL_CHOSEN", line, StringComparison.Ordinal);
        Assert.Contains("more characters", line, StringComparison.Ordinal);
        Assert.True(line.Length < SafeText.MaxLogLength + 200, $"{line.Length} characters");
    }

    [Fact]
    public void RefusedOffers_FromOneSource_AreRateLimited()
    {
        var log = new ListLogger();
        var h = new EngineHarness(a => a with { Proposals = HugeOffer() }, logB: log);
        for (var i = 0; i < 30; i++)
        {
            h.A.Engine.Initiate("moon");
            h.Pump();
        }

        Assert.Equal(IkeEngine.PeerLogBurst, log.Lines.Count(l => l.Level == LogLevel.Warning));
        Assert.Equal(30 - IkeEngine.PeerLogBurst, h.B.Engine.Drops.Count(IkeDropReason.LogLineSuppressed));

        // Later the source gets a line again, which says how many were left out.
        h.Clock.Advance(TimeSpan.FromSeconds(10));
        h.A.Engine.Initiate("moon");
        h.Pump();
        Assert.Contains("20 similar line(s) from this peer suppressed", log.Lines.Last(l => l.Level == LogLevel.Warning).Text, StringComparison.Ordinal);
        // The closing lines of the refused half-open SAs count against the same source.
        Assert.True(log.Lines.Count(l => l.Text.Contains("IKE SA closed", StringComparison.Ordinal)) <= IkeEngine.PeerLogBurst + 1);
    }

    [Fact]
    public void PeerIdentity_WithControlCharacters_ReachesTheLogEscaped()
    {
        var log = new ListLogger();
        var evil = new Identity(IdentificationType.Fqdn, Encoding.ASCII.GetBytes("spoke\r\n12:00:00 info: forged line\u001b[2K"));
        var h = new EngineHarness(a => a with { LocalId = evil }, logB: log);
        h.A.Engine.Initiate("moon");
        h.Pump();

        var line = Assert.Single(log.Lines, l => l.Level == LogLevel.Warning).Text;
        Assert.Contains("AUTHENTICATION_FAILED", line, StringComparison.Ordinal);
        Assert.True(line.Contains(@"spoke\x0d\x0a12:00:00 info: forged line\x1b[2K", StringComparison.Ordinal), line);
        Assert.DoesNotContain(log.Lines, l => l.Text.Any(c => c is '\r' or '\n' or '\u001b'));
    }

    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("a\rb\nc\u001bd\u007fe\u0085f", @"a\x0db\x0ac\x1bd\x7fe\x85f")]
    [InlineData("back\\slash", @"back\slash")]
    [InlineData("bidi\u202eoverride\u2028line", @"bidi\u202eoverride\u2028line")]
    public void SafeText_EscapesWhatATerminalActsOn(string text, string expected)
    {
        Assert.Equal(expected, SafeText.Clean(text));
        Assert.Equal(expected, SafeText.Clean(SafeText.Clean(text)));
    }
}
