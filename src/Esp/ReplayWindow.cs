namespace S2SEndpoint.Esp;

// The anti-replay window of an inbound SA (RFC 4303 3.4.3), kept as the RFC 6479 ring of 64-bit words: sliding
// the window clears whole words instead of shifting bits, so a packet far ahead costs no more than one next door.
// With extended sequence numbers the high 32 bits are never sent; they are inferred from the window's position as
// RFC 4303 Appendix A2.2 prescribes, and the inferred value enters the ICV, so a wrong guess fails the ICV check.
//
// Two steps, because the window may only move after the ICV is verified:
//   TryCheck (before the ICV): infer the full number, refuse duplicates and numbers left of the window;
//   Update   (after the ICV):  slide the window if the number is new on the right, mark it received.
// Not thread-safe: its SA calls it under the SA's lock (EspSa.Sync).

/// <summary>An RFC 6479 anti-replay bitmap of configurable size, with RFC 4303 Appendix A ESN inference.</summary>
public sealed class ReplayWindow
{
    public const int DefaultSize = 1024;
    public const int MinSize = 32;
    public const int MaxSize = 1 << 16;

    private const int BitsPerWord = 64;
    private const int WordShift = 6;

    private readonly ulong[] _bitmap;
    private readonly ulong _wordMask;
    private readonly uint _size;
    private ulong _highest;

    /// <param name="size">Packets the window spans, <see cref="MinSize"/> to <see cref="MaxSize"/>.</param>
    /// <param name="extendedSequenceNumbers">Whether the SA uses 64-bit ESNs of which only the low half is sent.</param>
    public ReplayWindow(int size = DefaultSize, bool extendedSequenceNumbers = false)
    {
        // RFC 4303 3.4.3: "A minimum window size of 32 packets MUST be supported when 32-bit sequence numbers
        // are employed".
        ArgumentOutOfRangeException.ThrowIfLessThan(size, MinSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, MaxSize);
        _size = (uint)size;
        ExtendedSequenceNumbers = extendedSequenceNumbers;
        // RFC 6479 2.2: one word more than the window needs, so that the word being cleared on a slide is never
        // one the window still covers; a power of two, so the ring index is a mask.
        var words = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)((size + BitsPerWord - 1) / BitsPerWord + 1));
        _bitmap = new ulong[words];
        _wordMask = (ulong)(words - 1);
    }

    public int Size => (int)_size;
    public bool ExtendedSequenceNumbers { get; }

    /// <summary>The highest sequence number authenticated so far: T, the right edge of the window.</summary>
    public ulong Highest => _highest;

    /// <summary>
    /// Before the ICV check: derives the full sequence number from the 32 bits on the wire and says whether it
    /// may be new. Nothing changes until <see cref="Update"/>.
    /// </summary>
    public bool TryCheck(uint sequenceLow, out ulong sequence)
    {
        // Sequence number 0 is never sent (RFC 4303 3.3.3: the first packet carries 1).
        if (!TryInfer(sequenceLow, out sequence) || sequence == 0)
            return false;
        if (sequence > _highest)
            return true;
        // RFC 4303 3.4.3: "Packets that contain sequence numbers lower than the "left" edge of the window are
        // rejected. Packets falling within the window are checked against a list of received packets".
        if (_highest - sequence >= _size)
            return false;
        return (_bitmap[(sequence >> WordShift) & _wordMask] & (1UL << (int)(sequence & (BitsPerWord - 1)))) == 0;
    }

    /// <summary>After the ICV check: records <paramref name="sequence"/>, sliding the window when it is the new right edge.</summary>
    public void Update(ulong sequence)
    {
        if (sequence > _highest)
        {
            var current = _highest >> WordShift;
            var target = sequence >> WordShift;
            var stale = Math.Min(target - current, (ulong)_bitmap.Length);
            for (ulong i = 1; i <= stale; i++)
                _bitmap[(current + i) & _wordMask] = 0;
            _highest = sequence;
        }
        _bitmap[(sequence >> WordShift) & _wordMask] |= 1UL << (int)(sequence & (BitsPerWord - 1));
    }

    private bool TryInfer(uint sequenceLow, out ulong sequence)
    {
        if (!ExtendedSequenceNumbers)
        {
            sequence = sequenceLow;
            return true;
        }
        // RFC 4303 Appendix A2.2, with W the window size and B the left edge (Bl = Tl - W + 1, modulo 2^32):
        //   Case A, Tl >= W - 1: Seql >= Bl gives Seqh = Th, else Seqh = Th + 1.
        //   Case B, Tl <  W - 1: Seql >= Bl gives Seqh = Th - 1, else Seqh = Th.
        var th = (uint)(_highest >> 32);
        var tl = unchecked((uint)_highest);
        var bl = unchecked(tl - _size + 1);
        ulong high;
        if (tl >= _size - 1)
        {
            high = sequenceLow >= bl ? th : (ulong)th + 1;
            if (high > uint.MaxValue)
            {
                // The 64-bit counter would cycle: the sender must have stopped before (RFC 4303 3.3.3).
                sequence = 0;
                return false;
            }
        }
        else if (sequenceLow >= bl)
        {
            if (th == 0)
            {
                // Left of sequence number 1: nothing there was ever sent.
                sequence = 0;
                return false;
            }
            high = th - 1u;
        }
        else
        {
            high = th;
        }
        sequence = (high << 32) | sequenceLow;
        return true;
    }
}
