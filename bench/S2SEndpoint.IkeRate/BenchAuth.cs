namespace S2SEndpoint.IkeRate;

/// <summary>How both sides authenticate in IKE_AUTH; the key exchange is x25519 in each.</summary>
internal enum BenchAuth
{
    /// <summary>A pre-shared key (RFC 7296 2.15).</summary>
    Psk,

    /// <summary>ECDSA P-256 certificates from one test root, signatures as RFC 7427 describes.</summary>
    EcdsaP256,
}
