using S2SEndpoint.Ike.Crypto;

namespace S2SEndpoint.Ike.Sa;

/// <summary>What IKE_SA_INIT told us about the peer's signature authentication.</summary>
public sealed partial class IkeSa
{
    /// <summary>
    /// The hashes the peer's SIGNATURE_HASH_ALGORITHMS announced (RFC 7427 4); null when it sent none, and then
    /// we sign with the classic methods (1, 9, 10, 11) as strongSwan does.
    /// </summary>
    internal IReadOnlyList<SignatureHashAlgorithm>? PeerSignatureHashes { get; set; }

    /// <summary>The SHA-1 hashes of CA keys the peer's X.509 CERTREQ payloads named (RFC 7296 3.7); a hint only.</summary>
    internal List<byte[]> PeerCaKeyHashes { get; } = [];
}
