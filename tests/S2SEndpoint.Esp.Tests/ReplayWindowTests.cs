using System.Globalization;

namespace S2SEndpoint.Esp.Tests;

/// <summary>
/// The anti-replay window (RFC 4303 3.4.3, RFC 6479 bitmap, RFC 4303 Appendix A ESN inference) against a table of
/// sequences, for windows of 64 and 4096 packets, and against a reference model over long random walks.
/// </summary>
public sealed class ReplayWindowTests
{
    /// <summary>
    /// Rows: (case, window size, ESN, script). A script is a list of full sequence numbers, each marked:
    /// "n+" the window lets it through (with ESN: inferring exactly n from its low 32 bits), then the ICV passes and
    /// the window records it; "n-" the window refuses it; "n~" (ESN only) the window infers another number, so the
    /// ICV over the wrong high half fails and nothing is recorded (RFC 4303 A2.2: a number left of the window reads
    /// as one in the next subspace); "=n" the window already stands at n.
    /// </summary>
    public static TheoryData<string, int, bool, string> Table() => new()
    {
        { "in order", 64, false, "1+ 2+ 3+ 4+ 5+" },
        { "duplicates", 64, false, "1+ 2+ 2- 1- 3+ 3-" },
        { "out of order inside the window", 64, false, "10+ 5+ 7+ 9+ 7- 1+ 10- 8+ 6+" },
        { "left edge", 64, false, "100+ 37+ 36- 37- 99+ 38+" },
        { "far behind", 64, false, "100000+ 5- 99936- 99937+ 99937-" },
        { "far ahead", 64, false, "1+ 1000000+ 1- 999999+ 999937+ 999936- 1000000-" },
        { "zero is never sent", 64, false, "0- 1+ 0-" },
        { "end of the 32-bit counter", 64, false, "4294967294+ 4294967295+ 0- 1- 4294967295-" },
        { "slide by exactly one word", 64, false, "64+ 128+ 65+ 64- 127+" },
        { "ESN in order across 2^32", 64, true, "=4294967293 4294967294+ 4294967295+ 4294967296+ 4294967297+" },
        { "ESN wrap, late packets from the old subspace", 64, true,
            "=4294967200 4294967280+ 4294967296+ 4294967301+ 4294967290+ 4294967280- 4294967301- 4294967300+ 4294967295+ 4294967237~ 4294967238+" },
        { "ESN far ahead into the next subspace", 64, true, "1000+ 4294967396+ 4294967395+ 1000~ 4294967332~ 4294967333+" },
        { "ESN zero is never sent", 64, true, "0- 1+ 0-" },
        { "ESN end of the 64-bit counter", 64, true, "=18446744073709551600 18446744073709551615+ 18446744073709551610+ 18446744073709551615- 5-" },
        { "in order", 4096, false, "1+ 2+ 3+ 4+ 5+" },
        { "duplicates", 4096, false, "1+ 2+ 2- 1- 3+ 3-" },
        { "out of order inside the window", 4096, false, "3000+ 5+ 2999+ 1000+ 5- 3000-" },
        { "left edge", 4096, false, "5000+ 905+ 904- 905- 4999+" },
        { "far behind", 4096, false, "100000+ 95904- 95905+ 99999+" },
        { "far ahead", 4096, false, "1+ 10000000+ 1- 9995905+ 9995904- 10000000-" },
        { "end of the 32-bit counter", 4096, false, "4294967295+ 0- 4294963200+ 4294963199-" },
        { "ESN wrap, late packets from the old subspace", 4096, true,
            "=4294966000 4294967000+ 4294967296+ 4294967100+ 4294967000- 4294967297+ 4294963202+ 4294963201~" },
        { "ESN far ahead into the next subspace", 4096, true, "10000+ 4294967396+ 10000~ 4294963300~ 4294963301+" },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Window_Script_AcceptsAndRefusesAsListed(string name, int size, bool esn, string script)
    {
        var window = new ReplayWindow(size, esn);
        foreach (var token in script.Split(' '))
        {
            if (token[0] == '=')
            {
                window.Update(ulong.Parse(token.AsSpan(1), CultureInfo.InvariantCulture));
                continue;
            }
            var sequence = ulong.Parse(token.AsSpan(0, token.Length - 1), CultureInfo.InvariantCulture);
            var passed = window.TryCheck(unchecked((uint)sequence), out var inferred);
            switch (token[^1])
            {
                case '+':
                    Assert.True(passed && inferred == sequence, $"{name}: {sequence} should pass as itself (inferred {inferred}, window at {window.Highest})");
                    window.Update(inferred);
                    break;
                case '-':
                    Assert.False(passed && inferred == sequence, $"{name}: {sequence} should be refused (window at {window.Highest})");
                    Assert.False(passed, $"{name}: {sequence} should be refused before the ICV (inferred {inferred})");
                    break;
                default:
                    Assert.True(passed && inferred != sequence, $"{name}: {sequence} should be inferred as another number (got {inferred})");
                    break;
            }
        }
    }

    [Theory]
    [InlineData(64, false)]
    [InlineData(64, true)]
    [InlineData(4096, false)]
    [InlineData(4096, true)]
    [InlineData(100, false)]
    public void Window_LongRandomWalk_AgreesWithAReferenceModel(int size, bool esn)
    {
        var random = new Random(size + (esn ? 1 : 0));
        var window = new ReplayWindow(size, esn);
        var start = esn ? (1UL << 32) - 5000 : 1UL;
        window.Update(start);
        var received = new HashSet<ulong> { start };
        var highest = start;
        for (var i = 0; i < 50_000; i++)
        {
            // Mostly near the right edge, sometimes far ahead, sometimes behind; with ESN never further back than the
            // window, where a different high half would be inferred and only the ICV could tell.
            var roll = random.Next(100);
            long delta = roll switch
            {
                < 70 => random.Next(-size, 8),
                < 75 => random.Next(1, 5 * size),
                _ => random.Next(-3 * size, 0),
            };
            if (esn && delta <= -size)
                delta = -size + 1;
            var candidate = (long)highest + delta;
            if (candidate < 1 || (!esn && candidate > uint.MaxValue))
                continue;
            var sequence = (ulong)candidate;

            var expected = sequence > highest || (highest - sequence < (ulong)size && !received.Contains(sequence));
            var passed = window.TryCheck(unchecked((uint)sequence), out var inferred);

            Assert.Equal(expected, passed);
            if (passed)
            {
                Assert.Equal(sequence, inferred);
                window.Update(inferred);
                received.Add(sequence);
                highest = Math.Max(highest, sequence);
            }
        }
        Assert.Equal(highest, window.Highest);
    }

    [Theory]
    [InlineData(31)]
    [InlineData(0)]
    [InlineData(65537)]
    public void Constructor_SizeOutsideTheSupportedRange_Throws(int size) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReplayWindow(size));

    [Fact]
    public void Constructor_Defaults_Are1024PacketsWithoutEsn()
    {
        var window = new ReplayWindow();

        Assert.Equal(1024, window.Size);
        Assert.False(window.ExtendedSequenceNumbers);
        Assert.Equal(0UL, window.Highest);
    }
}
