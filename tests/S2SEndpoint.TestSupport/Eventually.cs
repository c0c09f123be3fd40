using System.Diagnostics;

namespace S2SEndpoint.TestSupport;

/// <summary>
/// Waiting for a condition, never for a fixed time: a loaded 2-core machine turns sleeps into flakes. The condition is
/// checked at once and then again after pauses that grow from a millisecond to <c>interval</c>, until it holds or a
/// generous timeout has passed.
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>True as soon as <paramref name="condition"/> holds; false if it still does not after <paramref name="timeout"/>.</summary>
    public static bool Holds(Func<bool> condition, TimeSpan? timeout = null, TimeSpan? interval = null)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var limit = timeout ?? DefaultTimeout;
        var longest = interval ?? DefaultInterval;
        var started = Stopwatch.GetTimestamp();
        var pause = TimeSpan.FromMilliseconds(1);
        while (!condition())
        {
            var left = limit - Stopwatch.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
                return false;
            Thread.Sleep(pause < left ? pause : left);
            pause = pause * 2 < longest ? pause * 2 : longest;
        }
        return true;
    }
}
