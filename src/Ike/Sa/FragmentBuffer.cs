using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Sa;

/// <summary>
/// Reassembly of one fragmented message (RFC 7383 2.6): fragments verified one by one, collected by
/// number, joined when all have arrived. A fragment of a newer message replaces an incomplete older one.
/// </summary>
internal sealed class FragmentBuffer
{
    /// <summary>RFC 7383 does not bound the count; this bounds the memory one message can hold.</summary>
    public const int MaxFragments = 64;

    private uint _messageId;
    private byte[]?[] _pieces = [];
    private PayloadType _first;

    public bool TryAdd(uint messageId, EncryptedFragmentPayload fragment, byte[] content, out byte[] whole, out PayloadType first)
    {
        whole = [];
        first = PayloadType.NoNextPayload;
        if (fragment.TotalFragments > MaxFragments)
            return false;
        if (_pieces.Length == 0 || messageId != _messageId || fragment.TotalFragments != _pieces.Length)
        {
            // RFC 7383 2.6.1: a different Total Fragments for the same message means the sender
            // refragmented; the old pieces are dropped.
            _messageId = messageId;
            _pieces = new byte[fragment.TotalFragments][];
        }
        _pieces[fragment.FragmentNumber - 1] = content;
        if (fragment.FragmentNumber == 1)
            _first = fragment.FirstInnerPayload;
        foreach (var p in _pieces)
        {
            if (p is null)
                return false;
        }
        whole = [.. _pieces.SelectMany(p => p!)];
        first = _first;
        return true;
    }
}
