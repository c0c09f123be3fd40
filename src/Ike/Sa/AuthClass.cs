namespace S2SEndpoint.Ike.Sa;

/// <summary>How one side of a connection authenticates (swanctl's local.auth and remote.auth).</summary>
public enum AuthClass
{
    /// <summary>"psk": a pre-shared key (RFC 7296 2.15, AUTH method 2).</summary>
    Psk,
    /// <summary>"pubkey": a signature with a certificate's key (RFC 7427 method 14, or methods 1, 9, 10, 11).</summary>
    PublicKey,
}
