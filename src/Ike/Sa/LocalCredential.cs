using System.Security.Cryptography.X509Certificates;
using S2SEndpoint.Ike.Crypto;

namespace S2SEndpoint.Ike.Sa;

/// <summary>
/// What we prove ourselves with under local.auth = pubkey: our end-entity certificate, the intermediate CA
/// certificates sent after it (RFC 7296 3.6), and the private key of the certificate, loaded by the configuration.
/// </summary>
public sealed record LocalCredential(X509Certificate2 Certificate, IReadOnlyList<X509Certificate2> Intermediates, SigningKey Key)
{
    /// <summary>An RSA key signs with RSASSA-PSS rather than PKCS#1 v1.5 under RFC 7427 (swanctl's "rsa/pss").</summary>
    public bool RsaPss { get; init; }
}
