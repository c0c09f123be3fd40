using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Org.BouncyCastle.Crypto.Parameters;
using S2SEndpoint.Ike.Crypto;

namespace S2SEndpoint.TestSupport;

/// <summary>A key of each type the engine signs with, made once per process and shared (RSA keys are slow to make).</summary>
public sealed class TestKey
{
    private static readonly Dictionary<(SigningKeyType, int), TestKey> Made = [];
    private static readonly Lock Gate = new();

    private TestKey(SigningKeyType type, AsymmetricAlgorithm? dotNet, byte[]? ed25519)
    {
        Type = type;
        DotNet = dotNet;
        Ed25519Seed = ed25519;
        Signing = dotNet switch
        {
            RSA rsa => SigningKey.FromRsa(rsa),
            ECDsa ecdsa => SigningKey.FromEcdsa(ecdsa),
            _ => SigningKey.FromEd25519(ed25519!),
        };
    }

    public SigningKeyType Type { get; }

    /// <summary>The RSA or ECDsa object; null for Ed25519.</summary>
    public AsymmetricAlgorithm? DotNet { get; }

    /// <summary>An Ed25519 key's 32 octets (RFC 8032 5.1.5).</summary>
    public byte[]? Ed25519Seed { get; }

    public SigningKey Signing { get; }

    /// <summary>The key of <paramref name="type"/> number <paramref name="index"/>: the same object each time it is asked for.</summary>
    public static TestKey Get(SigningKeyType type, int index = 0)
    {
        lock (Gate)
        {
            if (!Made.TryGetValue((type, index), out var key))
                Made[(type, index)] = key = Create(type, index);
            return key;
        }
    }

    private static TestKey Create(SigningKeyType type, int index) => type switch
    {
        SigningKeyType.Rsa => new TestKey(type, RSA.Create(2048), null),
        SigningKeyType.EcdsaP256 => new TestKey(type, ECDsa.Create(ECCurve.NamedCurves.nistP256), null),
        SigningKeyType.EcdsaP384 => new TestKey(type, ECDsa.Create(ECCurve.NamedCurves.nistP384), null),
        SigningKeyType.EcdsaP521 => new TestKey(type, ECDsa.Create(ECCurve.NamedCurves.nistP521), null),
        _ => new TestKey(type, null, [.. Enumerable.Range(0, 32).Select(i => (byte)(i + (index * 32) + 1))]),
    };

    public PublicKey PublicKey => PublicKey.CreateFromSubjectPublicKeyInfo(Signing.SubjectPublicKeyInfo(), out _);

    /// <summary>Signs certificates with this key (a CA's); Ed25519 cannot: .NET has no generator for it.</summary>
    public X509SignatureGenerator Generator => DotNet switch
    {
        RSA rsa => X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1),
        ECDsa ecdsa => X509SignatureGenerator.CreateForECDsa(ecdsa),
        _ => throw new NotSupportedException("a test CA has an RSA or ECDSA key"),
    };

    /// <summary>The private key as unencrypted PKCS#8 DER (Ed25519: RFC 8410 7).</summary>
    public byte[] ExportPkcs8()
    {
        if (DotNet is not null)
            return DotNet.ExportPkcs8PrivateKey();
        byte[] prefix = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
        return [.. prefix, .. Ed25519Seed!];
    }

    /// <summary>The public half of an Ed25519 key.</summary>
    public byte[] Ed25519Public => new Ed25519PrivateKeyParameters(Ed25519Seed!).GeneratePublicKey().GetEncoded();
}
