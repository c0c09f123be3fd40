using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Exchanges;

/// <summary>
/// Certificate authentication in IKE_AUTH. Signing: RFC 7427's Digital Signature method (14) with a hash the peer
/// announced in SIGNATURE_HASH_ALGORITHMS (RFC 7427 4), or, when it announced none, the classic methods as
/// strongSwan falls back to them: RSA with SHA-1 and PKCS#1 v1.5 (method 1, RFC 7296 3.8) and ECDSA with
/// SHA-256/384/512 on P-256/384/521 (methods 9, 10, 11, RFC 4754). Our CERT payloads carry our certificate, then
/// the intermediates (RFC 7296 3.6). Verifying: the peer's first X.509 CERT is its end-entity certificate, the
/// rest help build the chain to one of this connection's trust anchors (<see cref="CertificateValidation"/>); the
/// peer's ID must be the certificate's subject or one of its subjectAltNames (<see cref="CertificateIdentity"/>),
/// then the signature must verify with its key.
/// <code>
///   AUTH data of method 14 (RFC 7427 3):
///   | ASN.1 Length (1 octet) | AlgorithmIdentifier (ASN.1 Length octets) | Signature Value ... |
/// </code>
/// </summary>
internal sealed class SignatureAuthenticator(IkeSa sa) : Authenticator
{
    /// <summary>How many CERT payloads of a peer are read: its own and a chain of intermediates.</summary>
    public const int MaxPeerCertificates = 8;

    public override void AddCredentials(OutgoingMessage message)
    {
        var credential = Credential;
        message.Add(new CertificatePayload(false, CertificateEncoding.X509Signature, credential.Certificate.RawData));
        foreach (var intermediate in credential.Intermediates)
            message.Add(new CertificatePayload(false, CertificateEncoding.X509Signature, intermediate.RawData));
    }

    private LocalCredential Credential =>
        sa.Config.LocalCredential ?? throw new InvalidOperationException($"{sa.Config.Name}: local.auth pubkey without a certificate and key");

    public override bool CanBuild(out string reason) => TryChoose(Credential.Key.Type, Credential.RsaPss, sa.PeerSignatureHashes, out _, out _, out reason);

    public override AuthenticationPayload Build(ReadOnlySpan<byte> signedOctets)
    {
        if (!TryChoose(Credential.Key.Type, Credential.RsaPss, sa.PeerSignatureHashes, out var scheme, out var method, out var reason))
            throw new InvalidOperationException(reason);
        return Sign(Credential.Key, scheme, method, signedOctets);
    }

    /// <summary>The AUTH payload: method 14's AlgorithmIdentifier and signature, or a classic method's bare signature.</summary>
    public static AuthenticationPayload Sign(SigningKey key, SignatureScheme scheme, AuthMethod method, ReadOnlySpan<byte> signedOctets)
    {
        if (method != AuthMethod.DigitalSignature)
            return new AuthenticationPayload(method, key.Sign(scheme, signedOctets, fixedField: true));
        var algorithm = SignatureAlgorithmIdentifier.Encode(scheme);
        var signature = key.Sign(scheme, signedOctets);
        return new AuthenticationPayload(method, [(byte)algorithm.Length, .. algorithm, .. signature]);
    }

    /// <summary>
    /// The scheme and method a key of <paramref name="type"/> signs with for a peer that announced <paramref name="announced"/>
    /// (null: no SIGNATURE_HASH_ALGORITHMS), or why there is none.
    /// </summary>
    public static bool TryChoose(SigningKeyType type, bool pss, IReadOnlyList<SignatureHashAlgorithm>? announced, out SignatureScheme scheme,
        out AuthMethod method, out string reason)
    {
        reason = string.Empty;
        method = AuthMethod.DigitalSignature;
        if (announced is null)
        {
            // No SIGNATURE_HASH_ALGORITHMS: the peer may not know RFC 7427; sign as RFC 7296 and RFC 4754 do.
            (scheme, method) = type switch
            {
                SigningKeyType.Rsa => (SignatureScheme.RsaPkcs1Sha1, AuthMethod.RsaDigitalSignature),
                SigningKeyType.EcdsaP256 => (SignatureScheme.EcdsaSha256, AuthMethod.EcdsaSha256P256),
                SigningKeyType.EcdsaP384 => (SignatureScheme.EcdsaSha384, AuthMethod.EcdsaSha384P384),
                SigningKeyType.EcdsaP521 => (SignatureScheme.EcdsaSha512, AuthMethod.EcdsaSha512P521),
                _ => (SignatureScheme.Ed25519, AuthMethod.DigitalSignature),
            };
            if (type != SigningKeyType.Ed25519)
                return true;
            reason = "no acceptable signature hash: the peer announced no SIGNATURE_HASH_ALGORITHMS, and an Ed25519 key signs only with RFC 7427's method and the Identity hash (RFC 8420)";
            return false;
        }
        // RFC 7427 4: the signer uses "one of the hash algorithms" the peer listed; ours in order of preference.
        foreach (var hash in Preference(type))
        {
            if (!announced.Contains(hash))
                continue;
            scheme = Scheme(type, hash, pss);
            return true;
        }
        scheme = default;
        reason = $"no acceptable signature hash: the peer announced {Names(announced)}, our {type} key signs with {Names(Preference(type))}";
        return false;
    }

    /// <summary>ECDSA prefers the hash of its curve's strength (RFC 5656 6.2.1's pairing); RSA SHA-256 first.</summary>
    private static SignatureHashAlgorithm[] Preference(SigningKeyType type) => type switch
    {
        SigningKeyType.Ed25519 => [SignatureHashAlgorithm.Identity],
        SigningKeyType.EcdsaP384 => [SignatureHashAlgorithm.Sha384, SignatureHashAlgorithm.Sha512, SignatureHashAlgorithm.Sha256],
        SigningKeyType.EcdsaP521 => [SignatureHashAlgorithm.Sha512, SignatureHashAlgorithm.Sha384, SignatureHashAlgorithm.Sha256],
        _ => [SignatureHashAlgorithm.Sha256, SignatureHashAlgorithm.Sha384, SignatureHashAlgorithm.Sha512],
    };

    private static SignatureScheme Scheme(SigningKeyType type, SignatureHashAlgorithm hash, bool pss) => (type, hash) switch
    {
        (SigningKeyType.Ed25519, _) => SignatureScheme.Ed25519,
        (SigningKeyType.Rsa, SignatureHashAlgorithm.Sha256) => pss ? SignatureScheme.RsaPssSha256 : SignatureScheme.RsaPkcs1Sha256,
        (SigningKeyType.Rsa, SignatureHashAlgorithm.Sha384) => pss ? SignatureScheme.RsaPssSha384 : SignatureScheme.RsaPkcs1Sha384,
        (SigningKeyType.Rsa, _) => pss ? SignatureScheme.RsaPssSha512 : SignatureScheme.RsaPkcs1Sha512,
        (_, SignatureHashAlgorithm.Sha256) => SignatureScheme.EcdsaSha256,
        (_, SignatureHashAlgorithm.Sha384) => SignatureScheme.EcdsaSha384,
        _ => SignatureScheme.EcdsaSha512,
    };

    private static string Names(IEnumerable<SignatureHashAlgorithm> hashes)
    {
        var names = string.Join(", ", hashes.Select(h => Enum.IsDefined(h) ? h.ToString().ToUpperInvariant() : $"hash {(ushort)h}"));
        return names.Length == 0 ? "none" : names;
    }

    public override bool Verify(ReadOnlySpan<byte> signedOctets, AuthenticationPayload auth, Identity peer, IncomingMessage message, out string reason)
    {
        if (auth.Method == AuthMethod.SharedKeyMessageIntegrityCode)
            return No($"peer '{peer}' authenticates with a pre-shared key; this connection expects a certificate signature from it (remote.auth pubkey)", out reason);
        var certificates = message.Payloads.OfType<CertificatePayload>()
            .Where(c => !c.IsRequest && c.Encoding == CertificateEncoding.X509Signature).Take(MaxPeerCertificates).ToList();
        if (certificates.Count == 0)
            return No($"peer '{peer}' sent no X.509 certificate (CERT payload) to verify its signature with", out reason);
        var loaded = new List<X509Certificate2>(certificates.Count);
        try
        {
            foreach (var c in certificates)
            {
                try
                {
                    loaded.Add(X509CertificateLoader.LoadCertificate(c.Data));
                }
                catch (CryptographicException)
                {
                    return No($"peer '{peer}' sent a CERT payload that is not an X.509 certificate", out reason);
                }
            }
            return Verify(signedOctets, auth, peer, loaded[0], loaded[1..], out reason);
        }
        finally
        {
            foreach (var c in loaded)
                c.Dispose();
        }
    }

    private bool Verify(ReadOnlySpan<byte> signedOctets, AuthenticationPayload auth, Identity peer, X509Certificate2 endEntity,
        List<X509Certificate2> intermediates, out string reason)
    {
        if (!CertificateValidation.TryValidate(endEntity, intermediates, sa.Config.TrustAnchors, sa.Context.Now, out reason))
            return false;
        var subject = CertificateValidation.Name(endEntity);
        // strongSwan's has_subject(): the ID the peer sent is its certificate's subject or one of its subjectAltNames.
        if (!CertificateIdentity.Contains(endEntity, peer))
            return No($"peer ID '{peer}' is neither the subject nor a subjectAltName of its certificate '{subject}'", out reason);
        return VerifySignature(endEntity, auth, signedOctets, $"'{peer}'", out reason);
    }

    /// <summary>Checks an AUTH payload's signature with the key of <paramref name="endEntity"/>, whose path and identity are checked.</summary>
    public static bool VerifySignature(X509Certificate2 endEntity, AuthenticationPayload auth, ReadOnlySpan<byte> signedOctets, string who, out string reason)
    {
        var subject = CertificateValidation.Name(endEntity);
        if (SignatureVerifier.KeyTypeOf(endEntity) is not { } keyType)
            return No($"the key of certificate '{subject}' is not RSA, ECDSA on P-256/384/521 or Ed25519", out reason);
        if (!TryReadSignature(auth, keyType, out var scheme, out var signature, out var fixedField, out reason))
            return false;
        if (!SignatureVerifier.Verify(endEntity, scheme, signedOctets, signature, fixedField))
            return No($"signature of {who} ({auth.Method}, {scheme}) does not verify with the key of its certificate '{subject}'", out reason);
        reason = string.Empty;
        return true;
    }

    /// <summary>What the AUTH payload says the signature is, checked against the certificate's key type.</summary>
    private static bool TryReadSignature(AuthenticationPayload auth, SigningKeyType keyType, out SignatureScheme scheme, out ReadOnlySpan<byte> signature,
        out bool fixedField, out string reason)
    {
        signature = auth.Data;
        fixedField = auth.Method != AuthMethod.DigitalSignature;
        scheme = default;
        switch (auth.Method)
        {
            case AuthMethod.DigitalSignature:
                // RFC 7427 3: "ASN.1 Length (1 octet): Length of the ASN.1-encoded AlgorithmIdentifier object."
                var length = auth.Data.Length > 0 ? auth.Data[0] : 0;
                if (auth.Data.Length < 1 + length || length == 0)
                    return No("the Digital Signature AUTH payload is shorter than its AlgorithmIdentifier", out reason);
                if (!SignatureAlgorithmIdentifier.TryDecode(auth.Data.AsSpan(1, length), out scheme, out reason))
                    return false;
                signature = auth.Data.AsSpan(1 + length);
                // We announced SHA2-256/384/512 and Identity (RFC 7427 4); a signature over SHA-1 is not one of them.
                if (!AuthCapabilities.Supported.Contains(SignatureAlgorithmIdentifier.HashOf(scheme)))
                    return No($"no acceptable signature hash: the peer signed with {scheme}, we announced {Names(AuthCapabilities.Supported)}", out reason);
                break;
            case AuthMethod.RsaDigitalSignature:
                scheme = SignatureScheme.RsaPkcs1Sha1;
                break;
            case AuthMethod.EcdsaSha256P256 when keyType == SigningKeyType.EcdsaP256:
                scheme = SignatureScheme.EcdsaSha256;
                break;
            case AuthMethod.EcdsaSha384P384 when keyType == SigningKeyType.EcdsaP384:
                scheme = SignatureScheme.EcdsaSha384;
                break;
            case AuthMethod.EcdsaSha512P521 when keyType == SigningKeyType.EcdsaP521:
                scheme = SignatureScheme.EcdsaSha512;
                break;
            case AuthMethod.EcdsaSha256P256:
            case AuthMethod.EcdsaSha384P384:
            case AuthMethod.EcdsaSha512P521:
                return No($"auth method {auth.Method} (RFC 4754) does not fit the certificate's {keyType} key", out reason);
            default:
                return No($"auth method {auth.Method} is not supported for certificates; valid: RFC 7427 digital signature (14), RSA (1), ECDSA (9, 10, 11)", out reason);
        }
        if (!SignatureAlgorithmIdentifier.Fits(scheme, keyType))
            return No($"signature algorithm {scheme} does not fit the certificate's {keyType} key", out reason);
        reason = string.Empty;
        return true;
    }

    private static bool No(string why, out string reason)
    {
        reason = why;
        return false;
    }
}
