using S2SEndpoint.Ike.Diagnostics;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Tests.Diagnostics;

/// <summary>The one drop-counter type: a slot per reason, named in snake_case for status, counted from any thread.</summary>
public sealed class DropCountersTests
{
    private enum Gapped
    {
        First = 0,
        Third = 2,
    }

    [Fact]
    public void Counts_ByReason_AndNamesTheNonzeroOnesInSnakeCase()
    {
        var drops = new DropCounters<IkeDropReason>();
        drops.Increment(IkeDropReason.UnknownIkeSpi);
        drops.Increment(IkeDropReason.UnknownIkeSpi);
        drops.Increment(IkeDropReason.CookieRequested);

        Assert.Equal(2, drops.Count(IkeDropReason.UnknownIkeSpi));
        Assert.Equal(3, drops.Total);
        Assert.Equal([new("unknown_ike_spi", 2L), new("cookie_requested", 1L)], drops.Nonzero().ToList());
    }

    [Fact]
    public async Task ManyThreads_LoseNoCount()
    {
        var drops = new DropCounters<IkeDropReason>();
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
                drops.Increment(IkeDropReason.InvalidSyntax);
        })));
        Assert.Equal(40_000, drops.Count(IkeDropReason.InvalidSyntax));
    }

    [Fact]
    public void ReasonsWithAGap_AreRefusedWhenTheTypeIsFirstUsed() =>
        Assert.IsType<NotSupportedException>(Assert.Throws<TypeInitializationException>(() => new DropCounters<Gapped>()).InnerException);
}
