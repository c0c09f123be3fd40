using System.Diagnostics.CodeAnalysis;

namespace S2SEndpoint.Esp;

// The packet buffers of the data path, made once. Bounded: when every buffer is out, TryRent says no and the reader
// stops reading (a full queue pushes back instead of growing memory). A buffer has one owner at a time: returning
// one that is not out, or that belongs to another pool, is a bug in the caller and throws.

/// <summary>A fixed set of <see cref="PacketBuffer"/>s, rented and returned by the TUN and socket loops.</summary>
public sealed class PacketBufferPool
{
    /// <summary>Room for a 1500-octet inner packet (and a jumbo-free datagram) with head- and tailroom.</summary>
    public const int DefaultBufferSize = 2048;

    private readonly PacketBuffer[] _free;
    private readonly Lock _lock = new();
    private int _count;

    public PacketBufferPool(int bufferCount, int bufferSize = DefaultBufferSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferCount, 1);
        _free = new PacketBuffer[bufferCount];
        for (var i = 0; i < bufferCount; i++)
            _free[i] = new PacketBuffer(bufferSize) { Pool = this };
        _count = bufferCount;
        BufferSize = bufferSize;
    }

    public int BufferCount => _free.Length;
    public int BufferSize { get; }

    /// <summary>How many buffers are in the pool now.</summary>
    public int Available
    {
        get
        {
            lock (_lock)
                return _count;
        }
    }

    /// <summary>Takes a buffer, ready for an inner packet; false when all are out.</summary>
    public bool TryRent([NotNullWhen(true)] out PacketBuffer? buffer)
    {
        lock (_lock)
        {
            if (_count == 0)
            {
                buffer = null;
                return false;
            }
            buffer = _free[--_count];
            _free[_count] = null!;
        }
        buffer.IsRented = true;
        buffer.ResetForInnerPacket();
        return true;
    }

    /// <summary>Gives a rented buffer back. The caller must not touch it afterwards.</summary>
    public void Return(PacketBuffer buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (buffer.Pool != this)
            throw new InvalidOperationException("this buffer belongs to another pool");
        lock (_lock)
        {
            if (!buffer.IsRented)
                throw new InvalidOperationException("this buffer is not rented: it was returned twice");
            buffer.IsRented = false;
            _free[_count++] = buffer;
        }
    }
}
