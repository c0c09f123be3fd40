using System.Security.Cryptography;

namespace S2SEndpoint.Ike.Crypto;

/// <summary>
/// The octets each side signs, and the pre-shared key AUTH value (RFC 7296 2.15):
///   InitiatorSignedOctets = RealMessage1 | NonceRData | MACedIDForI,  MACedIDForI = prf(SK_pi, RestOfInitIDPayload)
///   ResponderSignedOctets = RealMessage2 | NonceIData | MACedIDForR,  MACedIDForR = prf(SK_pr, RestOfRespIDPayload)
///   AUTH = prf( prf(Shared Secret, "Key Pad for IKEv2"), &lt;SignedOctets&gt;)
/// A signature authenticator signs the same octets, so it plugs in beside this one. After IKE_INTERMEDIATE exchanges
/// both sides append IntAuth (RFC 9242 3.3.2, <see cref="IntermediateAuth"/>).
/// </summary>
public static class PskAuthentication
{
    private static ReadOnlySpan<byte> KeyPad => "Key Pad for IKEv2"u8;

    /// <summary>
    /// <paramref name="realMessage"/> is the sender's own IKE_SA_INIT message as sent; <paramref name="peerNonce"/>
    /// the other side's nonce data; <paramref name="skP"/> the sender's SK_pi or SK_pr; <paramref name="idBody"/>
    /// the sender's ID payload body without its generic header; <paramref name="intAuth"/> the IntAuth of RFC 9242 3.3.2
    /// (empty without IKE_INTERMEDIATE).
    /// </summary>
    public static byte[] SignedOctets(Prf prf, ReadOnlySpan<byte> realMessage, ReadOnlySpan<byte> peerNonce, ReadOnlySpan<byte> skP, ReadOnlySpan<byte> idBody,
        ReadOnlySpan<byte> intAuth = default)
    {
        var result = new byte[realMessage.Length + peerNonce.Length + prf.OutputSize + intAuth.Length];
        realMessage.CopyTo(result);
        peerNonce.CopyTo(result.AsSpan(realMessage.Length));
        prf.Compute(skP, idBody, result.AsSpan(realMessage.Length + peerNonce.Length, prf.OutputSize));
        intAuth.CopyTo(result.AsSpan(realMessage.Length + peerNonce.Length + prf.OutputSize));
        return result;
    }

    public static byte[] ComputeAuth(Prf prf, ReadOnlySpan<byte> sharedSecret, ReadOnlySpan<byte> signedOctets)
    {
        Span<byte> padded = stackalloc byte[prf.OutputSize];
        prf.Compute(sharedSecret, KeyPad, padded);
        try
        {
            return prf.Compute(padded, signedOctets);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(padded);
        }
    }

    /// <summary>Checks a received PSK AUTH value in constant time.</summary>
    public static bool Verify(Prf prf, ReadOnlySpan<byte> sharedSecret, ReadOnlySpan<byte> signedOctets, ReadOnlySpan<byte> received)
    {
        var expected = ComputeAuth(prf, sharedSecret, signedOctets);
        return CryptographicOperations.FixedTimeEquals(expected, received);
    }
}
