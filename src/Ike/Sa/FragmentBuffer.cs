using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Sa;

/// <summary>
/// Reassembly of one fragmented message (RFC 7383 2.6): fragments verified one by one, collected by
/// number, joined when all have arrived. A fragment of a newer message replaces an incomplete older one.
/// What it holds is bounded: at most <see cref="MaxFragments"/> pieces and <c>maxBytes</c> octets in all; the
/// task manager also charges what it holds to the engine's budget for SAs not yet authenticated.
/// </summary>
internal sealed class FragmentBuffer(int maxBytes)
{
    /// <summary>RFC 7383 does not bound the count; this bounds the memory one message can hold.</summary>
    public const int MaxFragments = 64;

    private uint _messageId;
    private byte[]?[] _pieces = [];
    private PayloadType _first;

    /// <summary>The octets of fragment content held now.</summary>
    public int Held { get; private set; }

    /// <summary>What adding a fragment does.</summary>
    public enum Result
    {
        /// <summary>Kept; more fragments are missing.</summary>
        Incomplete,
        /// <summary>The message is whole.</summary>
        Complete,
        /// <summary>Refused: more fragments or octets than one message may have.</summary>
        TooLarge,
    }

    /// <summary>The octets held once <paramref name="fragment"/> is added (for a budget check before adding).</summary>
    public int HeldAfter(uint messageId, EncryptedFragmentPayload fragment, int contentLength)
    {
        var restart = _pieces.Length == 0 || messageId != _messageId || fragment.TotalFragments != _pieces.Length;
        var held = restart ? 0 : Held - (_pieces[fragment.FragmentNumber - 1]?.Length ?? 0);
        return held + contentLength;
    }

    public Result TryAdd(uint messageId, EncryptedFragmentPayload fragment, byte[] content, out byte[] whole, out PayloadType first)
    {
        whole = [];
        first = PayloadType.NoNextPayload;
        if (fragment.TotalFragments > MaxFragments || HeldAfter(messageId, fragment, content.Length) > maxBytes)
            return Result.TooLarge;
        if (_pieces.Length == 0 || messageId != _messageId || fragment.TotalFragments != _pieces.Length)
        {
            // RFC 7383 2.6.1: a different Total Fragments for the same message means the sender
            // refragmented; the old pieces are dropped.
            _messageId = messageId;
            _pieces = new byte[fragment.TotalFragments][];
            Held = 0;
        }
        Held += content.Length - (_pieces[fragment.FragmentNumber - 1]?.Length ?? 0);
        _pieces[fragment.FragmentNumber - 1] = content;
        if (fragment.FragmentNumber == 1)
            _first = fragment.FirstInnerPayload;
        foreach (var p in _pieces)
        {
            if (p is null)
                return Result.Incomplete;
        }
        whole = [.. _pieces.SelectMany(p => p!)];
        first = _first;
        return Result.Complete;
    }
}
