using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace S2SEndpoint.Ike.Crypto;

/// <summary>
/// Our private key for IKE_AUTH signatures, handed to the engine by the configuration as an object (the engine
/// reads no file). RSA and ECDSA sign through System.Security.Cryptography; Ed25519, which .NET lacks, through
/// BouncyCastle. Its material never reaches a log: <see cref="ToString"/> names the type only.
/// </summary>
public sealed class SigningKey
{
    /// <summary>The algorithm OID of an Ed25519 subjectPublicKeyInfo (RFC 8410 3).</summary>
    public const string Ed25519Oid = "1.3.101.112";

    private readonly RSA? _rsa;
    private readonly ECDsa? _ecdsa;
    private readonly Ed25519PrivateKeyParameters? _ed25519;

    private SigningKey(SigningKeyType type, RSA? rsa, ECDsa? ecdsa, Ed25519PrivateKeyParameters? ed25519)
    {
        Type = type;
        _rsa = rsa;
        _ecdsa = ecdsa;
        _ed25519 = ed25519;
    }

    public SigningKeyType Type { get; }

    public static SigningKey FromRsa(RSA rsa) => new(SigningKeyType.Rsa, rsa, null, null);

    /// <summary>An ECDSA key on P-256, P-384 or P-521; other curves throw <see cref="ArgumentException"/>.</summary>
    public static SigningKey FromEcdsa(ECDsa ecdsa)
    {
        ArgumentNullException.ThrowIfNull(ecdsa);
        var type = CurveType(ecdsa.ExportParameters(false).Curve.Oid)
            ?? throw new ArgumentException("ECDSA keys must be on P-256, P-384 or P-521", nameof(ecdsa));
        return new SigningKey(type, null, ecdsa, null);
    }

    /// <summary>An Ed25519 key from its 32-octet private key (RFC 8032 5.1.5).</summary>
    public static SigningKey FromEd25519(ReadOnlySpan<byte> privateKey) =>
        privateKey.Length == Ed25519PrivateKeyParameters.KeySize
            ? new SigningKey(SigningKeyType.Ed25519, null, null, new Ed25519PrivateKeyParameters(privateKey))
            : throw new ArgumentException("an Ed25519 private key has 32 octets", nameof(privateKey));

    internal static SigningKeyType? CurveType(Oid curve) => curve.Value switch
    {
        "1.2.840.10045.3.1.7" => SigningKeyType.EcdsaP256,
        "1.3.132.0.34" => SigningKeyType.EcdsaP384,
        "1.3.132.0.35" => SigningKeyType.EcdsaP521,
        _ => curve.FriendlyName switch
        {
            "nistP256" or "ECDSA_P256" => SigningKeyType.EcdsaP256,
            "nistP384" or "ECDSA_P384" => SigningKeyType.EcdsaP384,
            "nistP521" or "ECDSA_P521" => SigningKeyType.EcdsaP521,
            _ => null,
        },
    };

    /// <summary>The DER subjectPublicKeyInfo of the public half (RFC 5280 4.1.2.7).</summary>
    public byte[] SubjectPublicKeyInfo()
    {
        if (_rsa is not null)
            return _rsa.ExportSubjectPublicKeyInfo();
        if (_ecdsa is not null)
            return _ecdsa.ExportSubjectPublicKeyInfo();
        // RFC 8410 4: SEQUENCE { SEQUENCE { id-Ed25519 }, BIT STRING { public key } }.
        byte[] prefix = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
        return [.. prefix, .. _ed25519!.GeneratePublicKey().GetEncoded()];
    }

    /// <summary>Whether <paramref name="certificate"/> holds this key's public half.</summary>
    public bool Matches(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(SubjectPublicKeyInfo());
    }

    /// <summary>
    /// Signs <paramref name="data"/>. ECDSA signatures are DER (RFC 7427 3, Ecdsa-Sig-Value of RFC 3279) unless
    /// <paramref name="fixedField"/> asks for RFC 4754's r | s of fixed length (methods 9, 10, 11).
    /// </summary>
    public byte[] Sign(SignatureScheme scheme, ReadOnlySpan<byte> data, bool fixedField = false)
    {
        if (!SignatureAlgorithmIdentifier.Fits(scheme, Type))
            throw new ArgumentException($"a {Type} key does not sign {scheme}", nameof(scheme));
        if (_ed25519 is not null)
        {
            var signer = new Ed25519Signer();
            signer.Init(true, _ed25519);
            signer.BlockUpdate(data);
            return signer.GenerateSignature();
        }
        var hash = SignatureAlgorithmIdentifier.HashName(SignatureAlgorithmIdentifier.HashOf(scheme));
        if (_rsa is not null)
            return _rsa.SignData(data, hash, SignatureAlgorithmIdentifier.IsPss(scheme) ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1);
        return _ecdsa!.SignData(data, hash, fixedField ? DSASignatureFormat.IeeeP1363FixedFieldConcatenation : DSASignatureFormat.Rfc3279DerSequence);
    }

    public override string ToString() => $"{Type} private key";
}
