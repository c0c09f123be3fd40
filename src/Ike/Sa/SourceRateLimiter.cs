using System.Net;
using System.Net.Sockets;

namespace S2SEndpoint.Ike.Sa;

/// <summary>
/// Token buckets per source: one per IPv4 address, one per IPv6 /64 (a host owns a whole /64, so counting its
/// addresses apart would count nothing). The gateway thins new IKE SA requests with one before its control lock,
/// the engine thins the log lines a peer can cause with another. At most <c>capacity</c> sources are tracked; the
/// oldest is forgotten first (a forgotten source starts again with a full bucket, which only ever favours it), so
/// the memory is bounded whatever the sources. Thread-safe: a lock held for a few instructions.
/// </summary>
public sealed class SourceRateLimiter(TimeProvider time, int burst, double perSecond, int capacity = SourceRateLimiter.DefaultCapacity)
{
    public const int DefaultCapacity = 4096;

    private readonly Lock _sync = new();
    private readonly Dictionary<UInt128, Bucket> _buckets = [];
    private readonly Queue<UInt128> _order = new();

    private sealed class Bucket
    {
        public double Tokens;
        public long Updated;
        public long Refused;
    }

    /// <summary>The key of a source address: an IPv4 address (as IPv4-mapped IPv6), or the /64 of an IPv6 address.</summary>
    public static UInt128 KeyOf(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        Span<byte> b = stackalloc byte[16];
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            b[10] = 0xff;
            b[11] = 0xff;
            address.TryWriteBytes(b[12..], out _);
            return System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(b);
        }
        if (address.IsIPv4MappedToIPv6)
            return KeyOf(address.MapToIPv4());
        address.TryWriteBytes(b, out _);
        b[8..].Clear();
        return System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(b);
    }

    /// <summary>Sources tracked now (at most the capacity).</summary>
    public int Count
    {
        get
        {
            lock (_sync)
                return _buckets.Count;
        }
    }

    /// <summary>Takes a token of <paramref name="source"/>'s bucket; false when it is empty.</summary>
    public bool TryTake(IPAddress source) => TryTake(source, out _);

    /// <summary>
    /// Takes a token; on success <paramref name="refusedBefore"/> says how many were refused to this source since
    /// its last success (for a "N more suppressed" remark).
    /// </summary>
    public bool TryTake(IPAddress source, out long refusedBefore)
    {
        var key = KeyOf(source);
        var now = time.GetTimestamp();
        lock (_sync)
        {
            if (!_buckets.TryGetValue(key, out var bucket))
            {
                if (_buckets.Count >= capacity)
                    _buckets.Remove(_order.Dequeue());
                bucket = new Bucket { Tokens = burst, Updated = now };
                _buckets.Add(key, bucket);
                _order.Enqueue(key);
            }
            var elapsed = Math.Max(0, now - bucket.Updated) / (double)time.TimestampFrequency;
            bucket.Tokens = Math.Min(burst, bucket.Tokens + (elapsed * perSecond));
            bucket.Updated = Math.Max(now, bucket.Updated);
            if (bucket.Tokens < 1)
            {
                bucket.Refused++;
                refusedBefore = 0;
                return false;
            }
            bucket.Tokens -= 1;
            refusedBefore = bucket.Refused;
            bucket.Refused = 0;
            return true;
        }
    }
}
