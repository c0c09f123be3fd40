using System.Net;
using S2SEndpoint.Ike.Sa;
using S2SEndpoint.Ike.Tests.Engine;

namespace S2SEndpoint.Ike.Tests.Sa;

/// <summary>Token buckets per source: a burst, then the rate; one per IPv4 address and per IPv6 /64; bounded in sources.</summary>
public sealed class SourceRateLimiterTests
{
    private static readonly IPAddress One = IPAddress.Parse("192.0.2.1");

    [Fact]
    public void Burst_ThenRate_ThenRefill()
    {
        var clock = new FakeClock();
        var limiter = new SourceRateLimiter(clock, burst: 10, perSecond: 100);
        Assert.Equal(10, Enumerable.Range(0, 50).Count(_ => limiter.TryTake(One)));

        clock.Advance(TimeSpan.FromMilliseconds(50));
        Assert.Equal(5, Enumerable.Range(0, 50).Count(_ => limiter.TryTake(One)));

        // A long quiet spell refills to the burst, no more.
        clock.Advance(TimeSpan.FromDays(3000));
        Assert.Equal(10, Enumerable.Range(0, 50).Count(_ => limiter.TryTake(One)));
    }

    [Fact]
    public void EachSourceHasItsOwnBucket_AndSaysHowManyWereRefused()
    {
        var clock = new FakeClock();
        var limiter = new SourceRateLimiter(clock, burst: 2, perSecond: 1);
        Assert.Equal(2, Enumerable.Range(0, 10).Count(_ => limiter.TryTake(One)));
        Assert.True(limiter.TryTake(IPAddress.Parse("192.0.2.2")));

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(limiter.TryTake(One, out var refused));
        Assert.Equal(8, refused);
    }

    [Theory]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:2:ffff::9", true)]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:3::1", false)]
    [InlineData("192.0.2.1", "::ffff:192.0.2.1", true)]
    [InlineData("192.0.2.1", "192.0.2.2", false)]
    public void Key_IsTheIpv4AddressOrTheIpv6Slash64(string a, string b, bool same) =>
        Assert.Equal(same, SourceRateLimiter.KeyOf(IPAddress.Parse(a)) == SourceRateLimiter.KeyOf(IPAddress.Parse(b)));

    [Fact]
    public void ManySources_TrackedUpToTheCapacity_OldestForgottenFirst()
    {
        var clock = new FakeClock();
        var limiter = new SourceRateLimiter(clock, burst: 1, perSecond: 0.001, capacity: 100);
        Assert.True(limiter.TryTake(One));
        Assert.False(limiter.TryTake(One));
        for (var i = 0; i < 1000; i++)
            limiter.TryTake(new IPAddress([198, 51, unchecked((byte)(i >> 8)), unchecked((byte)i)]));

        Assert.Equal(100, limiter.Count);
        // Forgotten, One starts again with a full bucket.
        Assert.True(limiter.TryTake(One));
    }

    [Fact]
    public async Task ManyThreads_NeverTakeMoreThanTheBurst()
    {
        var clock = new FakeClock();
        var limiter = new SourceRateLimiter(clock, burst: 100, perSecond: 10);
        var taken = 0;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 1000; i++)
            {
                if (limiter.TryTake(One))
                    Interlocked.Increment(ref taken);
            }
        })));
        Assert.Equal(100, taken);
    }
}
