namespace S2SEndpoint.Ike.Crypto;

/// <summary>The kinds of key that sign and verify IKE_AUTH: RSA, ECDSA on the NIST curves (RFC 4754), Ed25519 (RFC 8420).</summary>
public enum SigningKeyType
{
    Rsa,
    EcdsaP256,
    EcdsaP384,
    EcdsaP521,
    Ed25519,
}
