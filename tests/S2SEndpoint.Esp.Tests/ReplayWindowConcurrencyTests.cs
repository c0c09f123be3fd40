namespace S2SEndpoint.Esp.Tests;

/// <summary>
/// The replay window checked and updated by several threads at once, without a lock (ReplayWindow.cs): a number is
/// accepted at most once however the threads interleave, exactly once when the window is wide enough to hold every
/// number, and slides racing with marks leave no stray bit behind, so the window goes on accepting every new number.
/// </summary>
public sealed class ReplayWindowConcurrencyTests
{
    private const int Threads = 4;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Update_ThreadsOfferingEveryNumberInTheirOwnOrder_EachAcceptedExactlyOnce(bool esn)
    {
        const int count = 20_000;
        var window = new ReplayWindow(ReplayWindow.MaxSize, esn);
        var start = esn ? (1UL << 32) - 7000 : 1UL;
        window.Update(start - 1);
        var accepted = new int[count];
        Run(thread =>
        {
            var order = Enumerable.Range(0, count).ToArray();
            if (thread == 1)
                Array.Reverse(order);
            else if (thread > 1)
                new Random(thread).Shuffle(order);
            foreach (var i in order)
            {
                if (Offer(window, start + (ulong)i))
                    Interlocked.Increment(ref accepted[i]);
            }
        });

        Assert.All(accepted, n => Assert.Equal(1, n));
        Assert.Equal(start + count - 1, window.Highest);
    }

    [Theory]
    [InlineData(64, false)]
    [InlineData(100, true)]
    [InlineData(1024, false)]
    public void Update_ThreadsRacingSlidesInANarrowWindow_NeverTwiceAndNoStrayBitsAfter(int size, bool esn)
    {
        const int steps = 30_000;
        var window = new ReplayWindow(size, esn);
        var start = esn ? (1UL << 32) - 10_000 : 1UL;
        window.Update(start);
        var accepted = new System.Collections.Concurrent.ConcurrentDictionary<ulong, int>();
        var twice = 0;
        Run(thread =>
        {
            // Each thread walks the same mostly-forward path with jumps (slides of one word to several windows) and
            // steps back inside the window, so that slides, marks and duplicates of one number race.
            var random = new Random(42);
            var position = start;
            for (var i = 0; i < steps; i++)
            {
                var roll = random.Next(100);
                var sequence = roll switch
                {
                    < 60 => position + 1,
                    < 70 => position + (ulong)random.Next(1, 4 * size),
                    _ => position - Math.Min(position - start, (ulong)random.Next(0, size)),
                };
                position = Math.Max(position, sequence);
                if (Offer(window, sequence + (ulong)(thread & 1)) && accepted.AddOrUpdate(sequence + (ulong)(thread & 1), 1, (_, n) => n + 1) > 1)
                    Interlocked.Increment(ref twice);
            }
        });

        Assert.Equal(0, twice);
        // Whatever the races left, every new number on the right is accepted once, and a second time refused.
        var highest = window.Highest;
        Assert.Equal(accepted.Keys.Max(), highest);
        for (var sequence = highest + 1; sequence <= highest + (ulong)(8 * size); sequence++)
        {
            Assert.True(Offer(window, sequence), $"{sequence} refused after the races (window at {window.Highest})");
            Assert.False(Offer(window, sequence));
        }
        // And numbers left out while the window moved on are still free inside it, out of order.
        var edge = window.Highest;
        for (ulong k = 2; k <= 64; k += 2)
            Assert.True(Offer(window, edge + k));
        for (ulong k = 1; k < 64; k += 2)
            Assert.True(Offer(window, edge + k), $"{edge + k} refused behind the right edge {window.Highest}");
    }

    [Fact]
    public void Update_SameNumberOfferedByEveryThreadAtOnce_OneWins()
    {
        var window = new ReplayWindow(64);
        const int rounds = 5000;
        var winners = new int[rounds];
        using var barrier = new Barrier(Threads);
        Run(_ =>
        {
            for (var i = 0; i < rounds; i++)
            {
                barrier.SignalAndWait();
                // Every thread offers the same new number: one slide, three duplicates racing with it.
                if (Offer(window, (ulong)(i * 40 + 1)))
                    Interlocked.Increment(ref winners[i]);
            }
        });

        Assert.All(winners, n => Assert.Equal(1, n));
    }

    /// <summary>What Inbound.Open does around an ICV that always passes: check, then update.</summary>
    private static bool Offer(ReplayWindow window, ulong sequence) =>
        window.TryCheck(unchecked((uint)sequence), out var inferred) && inferred == sequence && window.Update(inferred);

    private static void Run(Action<int> body)
    {
        using var gate = new Barrier(Threads);
        var failures = new Exception?[Threads];
        var threads = Enumerable.Range(0, Threads).Select(thread => new Thread(() =>
        {
            try
            {
                gate.SignalAndWait();
                body(thread);
            }
            catch (Exception e)
            {
                failures[thread] = e;
            }
        })).ToArray();
        foreach (var thread in threads)
            thread.Start();
        foreach (var thread in threads)
            thread.Join();
        var first = Array.Find(failures, f => f is not null);
        if (first is not null)
            throw new AggregateException(first);
    }
}
