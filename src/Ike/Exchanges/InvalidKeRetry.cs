using System.Buffers.Binary;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Exchanges;

/// <summary>
/// INVALID_KE_PAYLOAD (RFC 7296 1.2, 1.3, 3.10.1), both sides, for every exchange with a key exchange
/// (IKE_SA_INIT, a Child SA's CREATE_CHILD_SA with PFS, an IKE SA rekey): the responder names the group it
/// selected, the initiator starts the exchange over with that group.
/// </summary>
internal static class InvalidKeRetry
{
    /// <summary>
    /// Responder: whether the request's KE payload is not of the selected group, and then the notify's data, the
    /// selected group in two octets, network order (3.10.1). RFC 7296 3.4: "If the selected proposal uses a
    /// different Diffie-Hellman group (other than NONE), the message MUST be rejected with a Notify payload of
    /// type INVALID_KE_PAYLOAD"; 1.2: "the responder MUST reject the request and indicate its preferred DH group
    /// in the INVALID_KE_PAYLOAD Notify payload". No state is kept.
    /// </summary>
    public static bool MustRefuse(KeyExchangePayload? ke, KeyExchangeMethod selected, out byte[] notifyData)
    {
        if (ke is not null && ke.Group == (ushort)selected)
        {
            notifyData = [];
            return false;
        }
        notifyData = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(notifyData, (ushort)selected);
        return true;
    }

    /// <summary>The group an INVALID_KE_PAYLOAD notify asks for; zero when its data is not two octets.</summary>
    public static ushort RequestedGroup(NotifyPayload notify) =>
        notify.Data.Length == 2 ? BinaryPrimitives.ReadUInt16BigEndian(notify.Data) : (ushort)0;

    /// <summary>
    /// Initiator: when the response asks for another group that was offered, switches
    /// <paramref name="keyExchange"/> to it and returns true: the exchange starts over. RFC 7296 1.2: the
    /// initiator "MUST retry with the corrected Diffie-Hellman group". A group that was not offered, or the
    /// one just sent, is not followed (that would loop).
    /// </summary>
    public static bool TryFollow(IncomingMessage response, IReadOnlyList<Proposal> offered, ref KeyExchange? keyExchange, IRandomSource random)
    {
        if (response.FindNotify(NotifyType.InvalidKePayload) is not { Data.Length: 2 } notify)
            return false;
        var group = RequestedGroup(notify);
        if (group == (ushort?)keyExchange?.Method || !offered.Any(p => p.OfType(TransformType.KeyExchange).Any(t => t.Id == group)))
            return false;
        keyExchange?.Dispose();
        keyExchange = KeyExchange.Create((KeyExchangeMethod)group, random);
        return true;
    }
}
