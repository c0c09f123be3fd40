namespace S2SEndpoint.Esp;

// The anti-replay window of an inbound SA (RFC 4303 3.4.3), kept as an RFC 6479 ring of blocks of 32 bits: sliding
// the window retires whole blocks instead of shifting bits, so a packet far ahead costs no more than one next door.
// With extended sequence numbers the high 32 bits are never sent; they are inferred from the window's position as
// RFC 4303 Appendix A2.2 prescribes, and the inferred value enters the ICV, so a wrong guess fails the ICV check.
//
// Two steps, because the window may only move after the ICV is verified:
//   TryCheck (before the ICV): infer the full number, refuse duplicates and numbers left of the window;
//   Update   (after the ICV):  slide the window if the number is new on the right, mark it received; false if
//                              another worker marked it first, or the window has meanwhile slid past it.
//
// Any number of workers check and update at once, without a lock. Each 64-bit word of the ring holds a tag, the low
// 32 bits of the block number (sequence number / 32) its bits belong to, and the 32 bits; one compare-and-swap
// changes both, so a word never holds the bits of one block under the tag of another.
//   - Marking a number is a compare-and-swap that succeeds only on a word tagged with the number's block whose bit
//     is clear. A word's tag only grows, and its bits are only cleared by a new tag: once a number is marked, no
//     other marking of it can succeed. That is the "accepted at most once", whatever the interleaving.
//   - A slide to a new highest number first re-tags (empties) every word it passes, each by compare-and-swap and only
//     if the word is older than the block it installs, then publishes the new highest number by compare-and-swap.
//     So when a highest number is published, every word holds the block the window expects at its place, or a newer
//     one: a worker finding a word tagged other than its number's block knows the window has slid past the number
//     (the ring has one block more than the window spans, so a re-tagged block lies wholly left of the new window).
//   - Highest is one 64-bit word, read once per check (ESN inference and the window test see one value), and moved
//     only forward. After marking, Update reads it again and refuses a number the window has meanwhile left behind.
// Tags are compared as the block's distance from the block the window expected, which is exact while the window
// moves less than 2^37 numbers during one slide: inference keeps each packet within 2^32 numbers of the window.

/// <summary>An RFC 6479 anti-replay bitmap of configurable size, with RFC 4303 Appendix A ESN inference; lock-free.</summary>
public sealed class ReplayWindow
{
    public const int DefaultSize = 1024;
    public const int MinSize = 32;
    public const int MaxSize = 1 << 16;

    private const int BitsPerBlock = 32;
    private const int BlockShift = 5;
    private const int TagShift = 32;

    private readonly ulong[] _ring;
    private readonly ulong _indexMask;
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
        // RFC 6479 2.2: one block more than the window needs, so that the block being retired on a slide is never
        // one the window still covers; a power of two, so the ring index is a mask.
        var blocks = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)((size + BitsPerBlock - 1) / BitsPerBlock + 1));
        _ring = new ulong[blocks];
        _indexMask = (ulong)(blocks - 1);
        // The window at 0 expects blocks -blocks+1 .. 0, empty.
        for (var index = 0; index < blocks; index++)
            _ring[index] = Word(ExpectedBlock(0, (ulong)index), 0);
    }

    public int Size => (int)_size;
    public bool ExtendedSequenceNumbers { get; }

    /// <summary>The highest sequence number authenticated so far: T, the right edge of the window.</summary>
    public ulong Highest => Volatile.Read(ref _highest);

    /// <summary>
    /// Before the ICV check: derives the full sequence number from the 32 bits on the wire and says whether it
    /// may be new. Nothing changes until <see cref="Update"/>.
    /// </summary>
    public bool TryCheck(uint sequenceLow, out ulong sequence)
    {
        var highest = Volatile.Read(ref _highest);
        // Sequence number 0 is never sent (RFC 4303 3.3.3: the first packet carries 1).
        if (!TryInfer(sequenceLow, highest, out sequence) || sequence == 0)
            return false;
        if (sequence > highest)
            return true;
        // RFC 4303 3.4.3: "Packets that contain sequence numbers lower than the "left" edge of the window are
        // rejected. Packets falling within the window are checked against a list of received packets".
        if (highest - sequence >= _size)
            return false;
        var block = sequence >> BlockShift;
        var word = Volatile.Read(ref _ring[block & _indexMask]);
        return Tag(word) == unchecked((uint)block) && (word & Bit(sequence)) == 0;
    }

    /// <summary>
    /// After the ICV check: records <paramref name="sequence"/>, sliding the window when it is the new right edge.
    /// False when another worker recorded it first, or the window has meanwhile moved past it: a replay.
    /// </summary>
    public bool Update(ulong sequence)
    {
        var block = sequence >> BlockShift;
        var highest = Volatile.Read(ref _highest);
        while (sequence > highest)
        {
            Retire(highest >> BlockShift, block);
            var seen = Interlocked.CompareExchange(ref _highest, sequence, highest);
            if (seen == highest)
            {
                highest = sequence;
                break;
            }
            highest = seen;
        }
        if (highest - sequence >= _size)
            return false;

        ref var word = ref _ring[block & _indexMask];
        var tag = unchecked((uint)block);
        var bit = Bit(sequence);
        var current = Volatile.Read(ref word);
        while (true)
        {
            if (Tag(current) != tag || (current & bit) != 0)
                return false;
            var seen = Interlocked.CompareExchange(ref word, current | bit, current);
            if (seen == current)
                break;
            current = seen;
        }
        return Volatile.Read(ref _highest) - sequence < _size;
    }

    /// <summary>
    /// Empties the words of blocks <paramref name="from"/> + 1 to <paramref name="to"/> (at most the whole ring),
    /// each re-tagged only if it still holds an older block than the one it now stands for.
    /// </summary>
    private void Retire(ulong from, ulong to)
    {
        var count = Math.Min(to - from, (ulong)_ring.Length);
        for (var block = to - count + 1; block <= to; block++)
        {
            var index = block & _indexMask;
            var expected = ExpectedBlock(from, index);
            var distance = unchecked(block - expected);
            var replacement = Word(block, 0);
            ref var word = ref _ring[index];
            var current = Volatile.Read(ref word);
            while (unchecked(Tag(current) - (uint)expected) < distance)
            {
                var seen = Interlocked.CompareExchange(ref word, replacement, current);
                if (seen == current)
                    break;
                current = seen;
            }
        }
    }

    /// <summary>The block the window whose highest block is <paramref name="highestBlock"/> keeps at <paramref name="index"/> (below 0 at the start: modulo 2^64).</summary>
    private ulong ExpectedBlock(ulong highestBlock, ulong index) => unchecked(highestBlock - ((highestBlock - index) & _indexMask));

    private static ulong Word(ulong block, uint bits) => ((ulong)unchecked((uint)block) << TagShift) | bits;

    private static uint Tag(ulong word) => (uint)(word >> TagShift);

    private static ulong Bit(ulong sequence) => 1UL << (int)(sequence & (BitsPerBlock - 1));

    private bool TryInfer(uint sequenceLow, ulong highest, out ulong sequence)
    {
        if (!ExtendedSequenceNumbers)
        {
            sequence = sequenceLow;
            return true;
        }
        // RFC 4303 Appendix A2.2, with W the window size and B the left edge (Bl = Tl - W + 1, modulo 2^32):
        //   Case A, Tl >= W - 1: Seql >= Bl gives Seqh = Th, else Seqh = Th + 1.
        //   Case B, Tl <  W - 1: Seql >= Bl gives Seqh = Th - 1, else Seqh = Th.
        var th = (uint)(highest >> 32);
        var tl = unchecked((uint)highest);
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
