using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace S2SEndpoint.Ike.Crypto;

/// <summary>Checks a peer's IKE_AUTH signature with the public key of its end-entity certificate.</summary>
internal static class SignatureVerifier
{
    /// <summary>The kind of key a certificate holds, if it is one that signs IKE_AUTH.</summary>
    public static SigningKeyType? KeyTypeOf(X509Certificate2 certificate)
    {
        var oid = certificate.PublicKey.Oid.Value;
        if (oid == SigningKey.Ed25519Oid)
            return certificate.PublicKey.EncodedKeyValue.RawData.Length == Ed25519PublicKeyParameters.KeySize ? SigningKeyType.Ed25519 : null;
        // A key .NET cannot read (bad parameters, an explicit curve without an OID) is none that signs: never an exception.
        try
        {
            if (certificate.GetRSAPublicKey() is { } rsa)
            {
                rsa.Dispose();
                return SigningKeyType.Rsa;
            }
            using var ecdsa = certificate.GetECDsaPublicKey();
            return ecdsa?.ExportParameters(false).Curve.Oid is { Value: not null } curve ? SigningKey.CurveType(curve) : null;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>Verifies; ECDSA signatures are DER, or r | s of fixed length when <paramref name="fixedField"/> (RFC 4754).</summary>
    public static bool Verify(X509Certificate2 certificate, SignatureScheme scheme, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature, bool fixedField)
    {
        if (scheme == SignatureScheme.Ed25519)
        {
            var raw = certificate.PublicKey.EncodedKeyValue.RawData;
            if (raw.Length != Ed25519PublicKeyParameters.KeySize || signature.Length != Ed25519PublicKeyParameters.KeySize * 2)
                return false;
            var verifier = new Ed25519Signer();
            verifier.Init(false, new Ed25519PublicKeyParameters(raw));
            verifier.BlockUpdate(data);
            return verifier.VerifySignature(signature.ToArray());
        }
        var hash = SignatureAlgorithmIdentifier.HashName(SignatureAlgorithmIdentifier.HashOf(scheme));
        try
        {
            if (scheme <= SignatureScheme.RsaPssSha512)
            {
                using var rsa = certificate.GetRSAPublicKey();
                return rsa is not null && rsa.VerifyData(data, signature, hash,
                    SignatureAlgorithmIdentifier.IsPss(scheme) ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1);
            }
            using var ecdsa = certificate.GetECDsaPublicKey();
            return ecdsa is not null && ecdsa.VerifyData(data, signature, hash,
                fixedField ? DSASignatureFormat.IeeeP1363FixedFieldConcatenation : DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
