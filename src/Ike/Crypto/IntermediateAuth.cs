using System.Buffers.Binary;
using System.Security.Cryptography;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Crypto;

/// <summary>
/// The authentication of IKE_INTERMEDIATE messages (RFC 9242 3.3): each message sent by the initiator extends the
/// chain IntAuth_i, each sent by the responder IntAuth_r, with the SK_pi or SK_pr that protected it:
///   IntAuth_i1 = prf(SK_pi1, IntAuth_i1_A | IntAuth_i1_P), IntAuth_iN = prf(SK_piN, IntAuth_iN-1 | IntAuth_iN_A | IntAuth_iN_P)
/// (and likewise IntAuth_rN with SK_pr), where A is the IKE header and the SK payload's generic header, their Length
/// fields as if the SK payload held no IV, padding or ICV, and P is the inner payloads in the clear. A fragmented
/// message counts as if it had not been fragmented (3.3.1): the header's Next Payload is SK, not SKF. IKE_AUTH then
/// appends IntAuth = IntAuth_iN | IntAuth_rN | IKE_AUTH_MID to both sides' signed octets (3.3.2).
/// </summary>
public static class IntermediateAuth
{
    /// <summary>IntAuth_A | IntAuth_P of one message: its header and SK generic header as if unencrypted, then its inner payloads.</summary>
    public static byte[] Data(IkeHeader header, PayloadType firstInnerPayload, ReadOnlySpan<byte> innerPayloads)
    {
        var skLength = IkePayload.GenericHeaderSize + innerPayloads.Length;
        var data = new byte[IkeHeader.Size + skLength];
        (header with { NextPayload = PayloadType.Encrypted, Length = checked((uint)data.Length) }).Write(data);
        // RFC 7296 3.2 generic payload header: Next Payload (the first inner payload), C and RESERVED zero, Payload Length.
        data[IkeHeader.Size] = (byte)firstInnerPayload;
        data[IkeHeader.Size + 1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(IkeHeader.Size + 2), checked((ushort)skLength));
        innerPayloads.CopyTo(data.AsSpan(IkeHeader.Size + IkePayload.GenericHeaderSize));
        return data;
    }

    /// <summary>The next link of a chain: prf(SK_p, previous | data), previous empty for the first message.</summary>
    public static byte[] Next(Prf prf, ReadOnlySpan<byte> skP, ReadOnlySpan<byte> previous, ReadOnlySpan<byte> data)
    {
        var input = IkeKeys.Concat(previous, data);
        try
        {
            return prf.Compute(skP, input);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(input);
        }
    }

    /// <summary>
    /// What IKE_AUTH appends to the signed octets (RFC 9242 3.3.2): IntAuth_iN | IntAuth_rN | IKE_AUTH_MID, the message ID
    /// of the first IKE_AUTH request in four octets, network order; nothing when no IKE_INTERMEDIATE took place.
    /// </summary>
    public static byte[] ForAuth(ReadOnlySpan<byte> intAuthI, ReadOnlySpan<byte> intAuthR, uint authMessageId)
    {
        if (intAuthI.IsEmpty && intAuthR.IsEmpty)
            return [];
        var result = new byte[intAuthI.Length + intAuthR.Length + 4];
        intAuthI.CopyTo(result);
        intAuthR.CopyTo(result.AsSpan(intAuthI.Length));
        BinaryPrimitives.WriteUInt32BigEndian(result.AsSpan(intAuthI.Length + intAuthR.Length), authMessageId);
        return result;
    }
}
