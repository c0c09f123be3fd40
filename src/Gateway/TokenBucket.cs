namespace S2SEndpoint.Gateway;

/// <summary>
/// A token bucket any thread may draw from without a lock: <c>burst</c> tokens at most, refilled at
/// <c>perSecond</c>. The gateway thins new IKE SA requests with it before they reach the control lock.
/// </summary>
public sealed class TokenBucket(TimeProvider time, int burst, int perSecond)
{
    // Tokens are stored scaled by the clock's frequency, so that a refill is an integer multiply.
    private readonly long _capacity = burst * time.TimestampFrequency;
    private long _tokens = burst * time.TimestampFrequency;
    private long _updated = time.GetTimestamp();

    /// <summary>Takes one token; false when the bucket is empty.</summary>
    public bool TryTake()
    {
        var cost = time.TimestampFrequency;
        while (true)
        {
            var now = time.GetTimestamp();
            var updated = Volatile.Read(ref _updated);
            var tokens = Volatile.Read(ref _tokens);
            // Elapsed time is capped (a full refill never needs more than burst / perSecond seconds) so that the
            // product cannot overflow after a long quiet spell.
            var elapsed = Math.Clamp(now - updated, 0, _capacity);
            var refilled = Math.Min(_capacity, tokens + elapsed * perSecond);
            if (refilled < cost)
                return false;
            // Both fields move together; a lost race retries with the winner's values.
            if (Interlocked.CompareExchange(ref _updated, now, updated) != updated)
                continue;
            Interlocked.Add(ref _tokens, refilled - cost - tokens);
            return true;
        }
    }
}
