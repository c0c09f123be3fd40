using System.Security.Cryptography;
using S2SEndpoint.Ike.Crypto;

namespace S2SEndpoint.Esp.Transforms;

// The transforms of one SA direction, one per data-path worker, so that workers sealing or opening on the same SA
// never wait for each other (the Linux kernel keeps per-CPU crypto requests for the same reason). Outbound.Seal and
// Inbound.Open call Enter just before the cryptographic step and Exit just after it.
//
//   keys     the SA's encryption and integrity keys (and an AEAD's IV mask) are copied once, into pinned arrays;
//            they are zeroed when the SA is disposed
//   workers  an array indexed by WorkerSlot.Current: a worker's first packet on the SA makes its transform from the
//            keys (the first one takes the transform made with the SA, which checked the keys); after that, Enter is
//            a thread-static read, an array read and one write to the worker's own flag: nothing is allocated.
//            All transforms of an AEAD share the IV mask, and sequence numbers come from one atomic counter
//            (EspSa.TryNextSequenceNumber), so no two workers ever use the same IV under the key (RFC 4106 3.1).
//
// Dispose while packets are in flight. Each worker has an InUse flag that only it writes, in its own object, so the
// guard costs one uncontended atomic exchange on a cache line the worker already owns, where a shared reference count
// would move one line between cores on every packet. The two sides are Dekker's:
//   worker:   InUse = 1, full fence (Interlocked.Exchange), read Closed: if set, InUse = 0 and the packet is dropped
//             as Expired; else use the transform, then InUse = 0
//   Dispose:  Closed = 1 (under the lock that makes new workers), full fence, then for each worker wait while its
//             InUse is 1, and dispose its transform
// With a full fence on both sides, either the worker sees Closed or Dispose sees InUse: no transform is disposed while
// a worker is inside it, and none is entered afterwards. Dispose waits for at most one packet's cryptography per
// worker; it must not be called by a worker between its own Enter and Exit (nothing in Seal or Open calls out there).

/// <summary>One transform per data-path worker for one SA direction, made lazily from shared keys, with a contention-free dispose guard.</summary>
internal sealed class WorkerTransforms : IDisposable
{
    private readonly EncryptionTransform _encryption;
    private readonly Integrity? _integrity;
    private readonly bool _extendedSequenceNumbers;
    private readonly byte[] _encryptionKey;
    private readonly byte[] _integrityKey;
    private readonly IRandomSource _random;
    private readonly Lock _sync = new();
    private ulong _ivMask;
    private EspTransform? _spare;
    private Worker?[] _workers = [];
    private bool _closed;

    /// <summary>Checks the keys and makes the first transform; an AEAD's IV mask is drawn from <paramref name="random"/>.</summary>
    public WorkerTransforms(EncryptionTransform encryption, Integrity? integrity, bool extendedSequenceNumbers,
        ReadOnlySpan<byte> encryptionKey, ReadOnlySpan<byte> integrityKey, IRandomSource random)
    {
        _random = new SerializedRandom(random);
        var first = EspTransform.Create(encryption, integrity, extendedSequenceNumbers, encryptionKey, integrityKey, _random);
        _spare = first;
        _ivMask = (first as AeadTransform)?.IvMask ?? 0;
        _encryption = encryption;
        _integrity = integrity;
        _extendedSequenceNumbers = extendedSequenceNumbers;
        _encryptionKey = Pinned(encryptionKey);
        _integrityKey = Pinned(integrityKey);
        IvSize = first.IvSize;
        IcvSize = first.IcvSize;
        BlockSize = first.BlockSize;
    }

    public int IvSize { get; }
    public int IcvSize { get; }

    /// <inheritdoc cref="EspTransform.BlockSize"/>
    public int BlockSize { get; }

    /// <inheritdoc cref="EspTransform.RequiresWholeBlocks"/>
    public bool RequiresWholeBlocks => BlockSize > 4;

    /// <summary>
    /// The calling worker's transform, marked in use until <see cref="Worker.Exit"/>; null once the SA is disposed.
    /// </summary>
    public Worker? Enter()
    {
        var slot = WorkerSlot.Current;
        var workers = Volatile.Read(ref _workers);
        var worker = (uint)slot < (uint)workers.Length ? Volatile.Read(ref workers[slot]) : null;
        worker ??= Join(slot);
        if (worker is null)
            return null;
        Interlocked.Exchange(ref worker.InUse, 1);
        if (Volatile.Read(ref _closed))
        {
            worker.Exit();
            return null;
        }
        return worker;
    }

    /// <summary>The calling thread's transform outside the guard: for tests and sample packets, never while the SA may be disposed.</summary>
    internal EspTransform ForThisThread
    {
        get
        {
            var slot = WorkerSlot.Current;
            var workers = Volatile.Read(ref _workers);
            var worker = (uint)slot < (uint)workers.Length ? workers[slot] : null;
            worker ??= Join(slot);
            ObjectDisposedException.ThrowIf(worker is null, this);
            return worker.Transform;
        }
    }

    /// <summary>A worker's first packet on this SA: its transform, made from the keys; null once disposed.</summary>
    private Worker? Join(int slot)
    {
        lock (_sync)
        {
            if (_closed)
                return null;
            var workers = _workers;
            if (slot < workers.Length && workers[slot] is { } existing)
                return existing;
            if (slot >= workers.Length)
            {
                var grown = new Worker?[Math.Max(slot + 1, workers.Length * 2)];
                Array.Copy(workers, grown, workers.Length);
                workers = grown;
            }
            var transform = _spare ?? EspTransform.Create(_encryption, _integrity, _extendedSequenceNumbers, _encryptionKey, _integrityKey, _random, _ivMask);
            _spare = null;
            var worker = new Worker(transform);
            Volatile.Write(ref workers[slot], worker);
            Volatile.Write(ref _workers, workers);
            return worker;
        }
    }

    public void Dispose()
    {
        Worker?[] workers;
        lock (_sync)
        {
            if (_closed)
                return;
            Volatile.Write(ref _closed, true);
            workers = _workers;
            _spare?.Dispose();
            _spare = null;
            CryptographicOperations.ZeroMemory(_encryptionKey);
            CryptographicOperations.ZeroMemory(_integrityKey);
            _ivMask = 0;
        }
        Interlocked.MemoryBarrier();
        foreach (var worker in workers)
        {
            if (worker is null)
                continue;
            var spin = new SpinWait();
            while (Volatile.Read(ref worker.InUse) != 0)
                spin.SpinOnce();
            worker.Transform.Dispose();
        }
    }

    private static byte[] Pinned(ReadOnlySpan<byte> key)
    {
        var copy = GC.AllocateArray<byte>(key.Length, pinned: true);
        key.CopyTo(copy);
        return copy;
    }

    /// <summary>One worker's transform and its in-use flag, which only that worker writes.</summary>
    internal sealed class Worker(EspTransform transform)
    {
        internal int InUse;

        public EspTransform Transform { get; } = transform;

        /// <summary>Leaves the transform; Dispose may free it from now on.</summary>
        public void Exit() => Volatile.Write(ref InUse, 0);
    }

    /// <summary>
    /// The SA's random source, one fill at a time: workers refill their AES-CBC IV batches (RandomBatch, every 256
    /// packets) from it, and a test's seeded source is not thread-safe.
    /// </summary>
    private sealed class SerializedRandom(IRandomSource source) : IRandomSource
    {
        private readonly Lock _sync = new();

        public void Fill(Span<byte> destination)
        {
            lock (_sync)
                source.Fill(destination);
        }
    }
}
