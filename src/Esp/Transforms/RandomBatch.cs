using System.Security.Cryptography;
using S2SEndpoint.Ike.Crypto;

namespace S2SEndpoint.Esp.Transforms;

// Random IVs for AES-CBC, drawn from the injected IRandomSource a batch at a time: asking the operating system for
// 16 octets per packet costs as much as encrypting the packet. The batch is zeroed when its SA is disposed.
internal sealed class RandomBatch : IDisposable
{
    public const int DefaultSize = 4096;

    private readonly IRandomSource _source;
    private readonly byte[] _bytes;
    private int _next;

    public RandomBatch(IRandomSource source, int size = DefaultSize)
    {
        _source = source;
        _bytes = new byte[size];
        _next = size;
    }

    public void Take(Span<byte> destination)
    {
        if (_next + destination.Length > _bytes.Length)
        {
            _source.Fill(_bytes);
            _next = 0;
        }
        _bytes.AsSpan(_next, destination.Length).CopyTo(destination);
        _next += destination.Length;
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(_bytes);
}
