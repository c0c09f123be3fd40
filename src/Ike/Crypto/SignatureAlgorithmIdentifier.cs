using System.Formats.Asn1;
using System.Security.Cryptography;

namespace S2SEndpoint.Ike.Crypto;

/// <summary>
/// The AlgorithmIdentifier that opens an RFC 7427 Digital Signature AUTH payload (RFC 7427 3, encodings in its
/// appendix A; Ed25519's in RFC 8420 2), and what each scheme hashes with and which keys it takes.
/// <code>
///   AlgorithmIdentifier ::= SEQUENCE { algorithm OBJECT IDENTIFIER, parameters ANY DEFINED BY algorithm OPTIONAL }
///   RSASSA-PSS-params   ::= SEQUENCE { hashAlgorithm [0], maskGenAlgorithm [1], saltLength [2] INTEGER, trailerField [3] }
/// </code>
/// </summary>
internal static class SignatureAlgorithmIdentifier
{
    private const string Sha1WithRsa = "1.2.840.113549.1.1.5";
    private const string Sha256WithRsa = "1.2.840.113549.1.1.11";
    private const string Sha384WithRsa = "1.2.840.113549.1.1.12";
    private const string Sha512WithRsa = "1.2.840.113549.1.1.13";
    private const string RsassaPss = "1.2.840.113549.1.1.10";
    private const string Mgf1 = "1.2.840.113549.1.1.8";
    private const string EcdsaWithSha256 = "1.2.840.10045.4.3.2";
    private const string EcdsaWithSha384 = "1.2.840.10045.4.3.3";
    private const string EcdsaWithSha512 = "1.2.840.10045.4.3.4";
    private const string Ed25519Oid = "1.3.101.112";
    private const string Sha1Oid = "1.3.14.3.2.26";
    private const string Sha256Oid = "2.16.840.1.101.3.4.2.1";
    private const string Sha384Oid = "2.16.840.1.101.3.4.2.2";
    private const string Sha512Oid = "2.16.840.1.101.3.4.2.3";

    public static SignatureHashAlgorithm HashOf(SignatureScheme scheme) => scheme switch
    {
        SignatureScheme.RsaPkcs1Sha1 => SignatureHashAlgorithm.Sha1,
        SignatureScheme.RsaPkcs1Sha256 or SignatureScheme.RsaPssSha256 or SignatureScheme.EcdsaSha256 => SignatureHashAlgorithm.Sha256,
        SignatureScheme.RsaPkcs1Sha384 or SignatureScheme.RsaPssSha384 or SignatureScheme.EcdsaSha384 => SignatureHashAlgorithm.Sha384,
        SignatureScheme.RsaPkcs1Sha512 or SignatureScheme.RsaPssSha512 or SignatureScheme.EcdsaSha512 => SignatureHashAlgorithm.Sha512,
        _ => SignatureHashAlgorithm.Identity,
    };

    public static HashAlgorithmName HashName(SignatureHashAlgorithm hash) => hash switch
    {
        SignatureHashAlgorithm.Sha1 => HashAlgorithmName.SHA1,
        SignatureHashAlgorithm.Sha256 => HashAlgorithmName.SHA256,
        SignatureHashAlgorithm.Sha384 => HashAlgorithmName.SHA384,
        SignatureHashAlgorithm.Sha512 => HashAlgorithmName.SHA512,
        _ => throw new ArgumentOutOfRangeException(nameof(hash), hash, "a hash that is computed apart from the signature"),
    };

    /// <summary>Whether a key of <paramref name="key"/> type makes signatures of <paramref name="scheme"/>.</summary>
    public static bool Fits(SignatureScheme scheme, SigningKeyType key) => scheme switch
    {
        <= SignatureScheme.RsaPssSha512 => key == SigningKeyType.Rsa,
        <= SignatureScheme.EcdsaSha512 => key is SigningKeyType.EcdsaP256 or SigningKeyType.EcdsaP384 or SigningKeyType.EcdsaP521,
        _ => key == SigningKeyType.Ed25519,
    };

    public static bool IsPss(SignatureScheme scheme) => scheme is SignatureScheme.RsaPssSha256 or SignatureScheme.RsaPssSha384 or SignatureScheme.RsaPssSha512;

    /// <summary>RFC 7427 appendix A's DER encodings (RFC 8420 2 for Ed25519: parameters absent).</summary>
    public static byte[] Encode(SignatureScheme scheme)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            switch (scheme)
            {
                case SignatureScheme.RsaPkcs1Sha1:
                case SignatureScheme.RsaPkcs1Sha256:
                case SignatureScheme.RsaPkcs1Sha384:
                case SignatureScheme.RsaPkcs1Sha512:
                    w.WriteObjectIdentifier(scheme switch
                    {
                        SignatureScheme.RsaPkcs1Sha1 => Sha1WithRsa,
                        SignatureScheme.RsaPkcs1Sha256 => Sha256WithRsa,
                        SignatureScheme.RsaPkcs1Sha384 => Sha384WithRsa,
                        _ => Sha512WithRsa,
                    });
                    w.WriteNull();
                    break;
                case SignatureScheme.RsaPssSha256:
                case SignatureScheme.RsaPssSha384:
                case SignatureScheme.RsaPssSha512:
                    w.WriteObjectIdentifier(RsassaPss);
                    WritePssParameters(w, HashOf(scheme));
                    break;
                case SignatureScheme.EcdsaSha256:
                    w.WriteObjectIdentifier(EcdsaWithSha256);
                    break;
                case SignatureScheme.EcdsaSha384:
                    w.WriteObjectIdentifier(EcdsaWithSha384);
                    break;
                case SignatureScheme.EcdsaSha512:
                    w.WriteObjectIdentifier(EcdsaWithSha512);
                    break;
                default:
                    w.WriteObjectIdentifier(Ed25519Oid);
                    break;
            }
        }
        return w.Encode();
    }

    private static void WritePssParameters(AsnWriter w, SignatureHashAlgorithm hash)
    {
        var oid = HashOid(hash);
        using (w.PushSequence())
        {
            using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0)))
            using (w.PushSequence())
            {
                w.WriteObjectIdentifier(oid);
                w.WriteNull();
            }
            using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 1)))
            using (w.PushSequence())
            {
                w.WriteObjectIdentifier(Mgf1);
                using (w.PushSequence())
                {
                    w.WriteObjectIdentifier(oid);
                    w.WriteNull();
                }
            }
            using (w.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 2)))
                w.WriteInteger(HashLength(hash));
        }
    }

    private static string HashOid(SignatureHashAlgorithm hash) => hash switch
    {
        SignatureHashAlgorithm.Sha1 => Sha1Oid,
        SignatureHashAlgorithm.Sha256 => Sha256Oid,
        SignatureHashAlgorithm.Sha384 => Sha384Oid,
        _ => Sha512Oid,
    };

    private static int HashLength(SignatureHashAlgorithm hash) => hash switch
    {
        SignatureHashAlgorithm.Sha1 => 20,
        SignatureHashAlgorithm.Sha256 => 32,
        SignatureHashAlgorithm.Sha384 => 48,
        _ => 64,
    };

    /// <summary>
    /// Reads a peer's AlgorithmIdentifier. RSASSA-PSS is taken with MGF1 of the signature's own hash and a salt as
    /// long as that hash (what strongSwan sends, and all that .NET verifies); anything else is refused with a reason.
    /// </summary>
    public static bool TryDecode(ReadOnlySpan<byte> der, out SignatureScheme scheme, out string reason)
    {
        scheme = default;
        try
        {
            var outer = new AsnReader(der.ToArray(), AsnEncodingRules.DER);
            var seq = outer.ReadSequence();
            if (outer.HasData)
                return No("trailing octets after the AlgorithmIdentifier", out reason);
            var oid = seq.ReadObjectIdentifier();
            SignatureScheme? found = oid switch
            {
                Sha1WithRsa => SignatureScheme.RsaPkcs1Sha1,
                Sha256WithRsa => SignatureScheme.RsaPkcs1Sha256,
                Sha384WithRsa => SignatureScheme.RsaPkcs1Sha384,
                Sha512WithRsa => SignatureScheme.RsaPkcs1Sha512,
                EcdsaWithSha256 => SignatureScheme.EcdsaSha256,
                EcdsaWithSha384 => SignatureScheme.EcdsaSha384,
                EcdsaWithSha512 => SignatureScheme.EcdsaSha512,
                Ed25519Oid => SignatureScheme.Ed25519,
                _ => null,
            };
            if (oid == RsassaPss)
                return TryDecodePss(seq, out scheme, out reason);
            if (found is null)
                return No($"signature algorithm {oid} is not supported", out reason);
            // RSA's parameters are NULL (RFC 4055 5), which some encoders leave out; ECDSA's and Ed25519's are absent.
            if (seq.HasData && found <= SignatureScheme.RsaPkcs1Sha512)
                seq.ReadNull();
            if (seq.HasData)
                return No($"signature algorithm {oid} has unexpected parameters", out reason);
            scheme = found.Value;
            reason = string.Empty;
            return true;
        }
        catch (AsnContentException e)
        {
            return No($"the AlgorithmIdentifier is not valid DER ({e.Message})", out reason);
        }
    }

    private static bool TryDecodePss(AsnReader seq, out SignatureScheme scheme, out string reason)
    {
        scheme = default;
        // RFC 4055 3.1: absent parameters mean SHA-1, MGF1 with SHA-1 and a 20-octet salt.
        var hash = Sha1Oid;
        var mgfHash = Sha1Oid;
        var salt = 20;
        if (seq.HasData)
        {
            var p = seq.ReadSequence();
            if (p.HasData && p.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
            {
                var h = p.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0)).ReadSequence();
                hash = h.ReadObjectIdentifier();
            }
            if (p.HasData && p.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 1)))
            {
                var m = p.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 1)).ReadSequence();
                if (m.ReadObjectIdentifier() != Mgf1)
                    return No("RSASSA-PSS with a mask generation function other than MGF1 is not supported", out reason);
                mgfHash = m.ReadSequence().ReadObjectIdentifier();
            }
            if (p.HasData && p.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 2)))
            {
                var s = p.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 2));
                if (!s.TryReadInt32(out salt))
                    return No("RSASSA-PSS salt length out of range", out reason);
            }
            if (p.HasData && p.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 3)))
            {
                var t = p.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 3));
                if (!t.TryReadInt32(out var trailer) || trailer != 1)
                    return No("RSASSA-PSS trailer field other than 1 is not supported", out reason);
            }
            if (p.HasData)
                return No("RSASSA-PSS parameters carry unknown fields", out reason);
        }
        SignatureScheme? found = hash switch
        {
            Sha256Oid => SignatureScheme.RsaPssSha256,
            Sha384Oid => SignatureScheme.RsaPssSha384,
            Sha512Oid => SignatureScheme.RsaPssSha512,
            _ => null,
        };
        if (found is null)
            return No($"RSASSA-PSS with hash {hash} is not supported", out reason);
        var length = HashLength(HashOf(found.Value));
        if (mgfHash != hash || salt != length)
            return No($"RSASSA-PSS is supported with MGF1 of the same hash and a {length}-octet salt (got MGF1 with {mgfHash}, salt {salt})", out reason);
        scheme = found.Value;
        reason = string.Empty;
        return true;
    }

    private static bool No(string why, out string reason)
    {
        reason = why;
        return false;
    }
}
