namespace S2SEndpoint.Gateway;

/// <summary>
/// A token bucket: <c>burst</c> tokens at most, refilled at <c>perSecond</c>. The gateway thins new IKE
/// SA requests with it before they reach the control lock; its own lock is held for a few instructions.
/// </summary>
public sealed class TokenBucket(TimeProvider time, int burst, int perSecond)
{
    private readonly Lock _sync = new();

    // Tokens are kept scaled by the clock's frequency, so that a refill is an integer multiply.
    private readonly long _capacity = burst * time.TimestampFrequency;
    private long _tokens = burst * time.TimestampFrequency;
    private long _updated = time.GetTimestamp();

    /// <summary>Takes one token; false when the bucket is empty.</summary>
    public bool TryTake()
    {
        var now = time.GetTimestamp();
        lock (_sync)
        {
            // Elapsed time is capped (a full refill never needs more than burst / perSecond seconds) so that the
            // product cannot overflow after a long quiet spell.
            var elapsed = Math.Clamp(now - _updated, 0, _capacity);
            _tokens = Math.Min(_capacity, _tokens + elapsed * perSecond);
            _updated = Math.Max(now, _updated);
            if (_tokens < time.TimestampFrequency)
                return false;
            _tokens -= time.TimestampFrequency;
            return true;
        }
    }
}
