using System.Security.Cryptography.X509Certificates;

namespace S2SEndpoint.Ike.Sa;

/// <summary>How each side of the connection authenticates (swanctl's local and remote auth sections).</summary>
public sealed partial record IkeSaConfig
{
    /// <summary>How we authenticate (local.auth); <see cref="AuthClass.PublicKey"/> needs <see cref="LocalCredential"/>.</summary>
    public AuthClass LocalAuth { get; init; } = AuthClass.Psk;

    /// <summary>How the peer must authenticate (remote.auth); <see cref="AuthClass.PublicKey"/> needs <see cref="TrustAnchors"/>.</summary>
    public AuthClass RemoteAuth { get; init; } = AuthClass.Psk;

    /// <summary>Our certificate, chain and private key (local.certs and secrets.private-NAME).</summary>
    public LocalCredential? LocalCredential { get; init; }

    /// <summary>The CA certificates the peer's chain must end at (remote.cacerts); nothing else is trusted.</summary>
    public IReadOnlyList<X509Certificate2> TrustAnchors { get; init; } = [];

    /// <summary>Either side signs: IKE_SA_INIT announces SIGNATURE_HASH_ALGORITHMS (RFC 7427 4).</summary>
    internal bool UsesSignatures => LocalAuth == AuthClass.PublicKey || RemoteAuth == AuthClass.PublicKey;
}
