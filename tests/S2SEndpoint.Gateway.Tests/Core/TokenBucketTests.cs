namespace S2SEndpoint.Gateway.Tests.Core;

/// <summary>The rate limit in front of the control lock: a burst, then the rate, then quiet refills it.</summary>
public sealed class TokenBucketTests
{
    [Fact]
    public void Burst_ThenRate_ThenRefill()
    {
        var clock = new Clock();
        var bucket = new TokenBucket(clock, burst: 10, perSecond: 100);
        Assert.Equal(10, Enumerable.Range(0, 50).Count(_ => bucket.TryTake()));

        clock.Now += TimeSpan.FromMilliseconds(50);
        Assert.Equal(5, Enumerable.Range(0, 50).Count(_ => bucket.TryTake()));

        // A long quiet spell refills to the burst, no more, and does not overflow.
        clock.Now += TimeSpan.FromDays(3000);
        Assert.Equal(10, Enumerable.Range(0, 50).Count(_ => bucket.TryTake()));
    }

    [Fact]
    public async Task ManyThreads_NeverTakeMoreThanTheBurst()
    {
        var clock = new Clock();
        var bucket = new TokenBucket(clock, burst: 100, perSecond: 10);
        var taken = 0;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 1000; i++)
            {
                if (bucket.TryTake())
                    Interlocked.Increment(ref taken);
            }
        })));
        Assert.Equal(100, taken);
    }
}
