using S2SEndpoint.Ike.Crypto;

namespace S2SEndpoint.TestSupport;

/// <summary>
/// A random source that hands out fixed bytes, for known-answer tests (private keys, IVs, IV masks), in one of two modes:
/// <see cref="Chunks(string[])"/> gives one whole chunk per request and fails loudly when a request does not match it;
/// <see cref="Stream(string)"/> gives the bytes in order, whatever sizes the code under test asks for, then zeros.
/// </summary>
public sealed class FixedRandom : IRandomSource
{
    private readonly Queue<byte[]>? _chunks;
    private readonly byte[] _stream;
    private int _next;

    private FixedRandom(Queue<byte[]>? chunks, byte[] stream)
    {
        _chunks = chunks;
        _stream = stream;
    }

    /// <summary>Each request takes the next chunk, which must be exactly the size asked for; running out throws.</summary>
    public static FixedRandom Chunks(params byte[][] chunks) => new(new Queue<byte[]>(chunks), []);

    /// <inheritdoc cref="Chunks(byte[][])"/>
    public static FixedRandom Chunks(params string[] hexChunks) => Chunks([.. hexChunks.Select(Convert.FromHexString)]);

    /// <summary>Requests take the bytes in order, in whatever sizes; once they are used up, requests get zeros.</summary>
    public static FixedRandom Stream(string hex) => new(null, Convert.FromHexString(hex));

    public void Fill(Span<byte> destination)
    {
        if (_chunks is null)
        {
            destination.Clear();
            var take = Math.Min(destination.Length, _stream.Length - _next);
            if (take > 0)
            {
                _stream.AsSpan(_next, take).CopyTo(destination);
                _next += take;
            }
            return;
        }
        if (_chunks.Count == 0)
            throw new InvalidOperationException("FixedRandom ran out of bytes");
        var chunk = _chunks.Dequeue();
        if (chunk.Length != destination.Length)
            throw new InvalidOperationException($"FixedRandom chunk of {chunk.Length} octets asked for {destination.Length}");
        chunk.CopyTo(destination);
    }
}
