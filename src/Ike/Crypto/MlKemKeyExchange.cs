using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Kems;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Prng;
using Org.BouncyCastle.Security;

namespace S2SEndpoint.Ike.Crypto;

/// <summary>
/// ML-KEM-512, -768 and -1024 (FIPS 203) as IKEv2 key exchange methods 35, 36 and 37
/// (draft-ietf-ipsecme-ikev2-mlkem, section 2), on BouncyCastle. Unlike a Diffie-Hellman group the roles
/// differ: the initiator's KE payload carries the encapsulation key ek (<see cref="CreateInitiator"/>,
/// <see cref="PublicValue"/>); the responder encapsulates to it and its KE payload carries the ciphertext
/// (<see cref="TryEncapsulate"/>); the initiator decapsulates that ciphertext (<see cref="TryDecapsulate"/>).
/// Both sides get the same 32-octet shared secret, the key exchange's output.
/// The exchanges use it through <see cref="MlKemMethod"/>, a <see cref="KeyExchange"/>.
/// </summary>
public sealed class MlKemKeyExchange : IDisposable
{
    /// <summary>FIPS 203 2.4: q, the modulus every coefficient of the encoded ek is reduced by.</summary>
    private const int Modulus = 3329;

    /// <summary>FIPS 203 7.2: the first 384·k octets of ek are the ByteEncode12 of t̂; the last 32 are ρ.</summary>
    private const int EncodedPolynomialLength = 384;

    /// <summary>FIPS 203 6.1 ML-KEM.KeyGen: the seeds d and z, 32 octets each.</summary>
    private const int SeedLength = 32;

    /// <summary>FIPS 203 2.4: the shared secret K is 32 octets for every parameter set.</summary>
    public const int SharedSecretLength = 32;

    private MLKemPrivateKeyParameters? _decapsulationKey;

    private MlKemKeyExchange(KeyExchangeMethod method, MLKemPrivateKeyParameters decapsulationKey)
    {
        Method = method;
        _decapsulationKey = decapsulationKey;
        PublicValue = decapsulationKey.GetPublicKeyEncoded();
    }

    public KeyExchangeMethod Method { get; }

    /// <summary>The initiator's encapsulation key ek, exactly as its KE payload carries it.</summary>
    public byte[] PublicValue { get; }

    public static bool IsMlKem(KeyExchangeMethod method) =>
        method is KeyExchangeMethod.MlKem512 or KeyExchangeMethod.MlKem768 or KeyExchangeMethod.MlKem1024;

    /// <summary>The length of the initiator's KE data, the encapsulation key (FIPS 203 8, table 3).</summary>
    public static int EncapsulationKeyLength(KeyExchangeMethod method) => EncodedPolynomialLength * Rank(method) + SeedLength;

    /// <summary>The length of the responder's KE data, the ciphertext (FIPS 203 8, table 3).</summary>
    public static int CiphertextLength(KeyExchangeMethod method) => method switch
    {
        KeyExchangeMethod.MlKem512 => 768,
        KeyExchangeMethod.MlKem768 => 1088,
        KeyExchangeMethod.MlKem1024 => 1568,
        _ => throw NotMlKem(method),
    };

    /// <summary>
    /// The initiator's side: ML-KEM.KeyGen (FIPS 203 7.1) from seeds d then z drawn from <paramref name="random"/>.
    /// </summary>
    public static MlKemKeyExchange CreateInitiator(KeyExchangeMethod method, IRandomSource random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var parameters = Parameters(method);
        var seed = new byte[2 * SeedLength];
        try
        {
            random.Fill(seed.AsSpan(0, SeedLength));
            random.Fill(seed.AsSpan(SeedLength));
            return new MlKemKeyExchange(method, MLKemPrivateKeyParameters.FromSeed(parameters, seed));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <summary>
    /// The responder's side: checks the initiator's encapsulation key and runs ML-KEM.Encaps (FIPS 203 7.2)
    /// with m drawn from <paramref name="random"/>, giving the ciphertext for the responder's KE payload and
    /// the shared secret; or returns false with a reason.
    /// </summary>
    public static bool TryEncapsulate(KeyExchangeMethod method, ReadOnlySpan<byte> peerEncapsulationKey, IRandomSource random,
        out byte[] ciphertext, out byte[] sharedSecret, out string reason)
    {
        ArgumentNullException.ThrowIfNull(random);
        var parameters = Parameters(method);
        ciphertext = [];
        sharedSecret = [];
        // draft-ietf-ipsecme-ikev2-mlkem 2: the responder MUST perform the encapsulation key check of
        // FIPS 203 7.2 (type check: the length; modulus check) and fail the exchange if it does not pass.
        var expected = EncapsulationKeyLength(method);
        if (peerEncapsulationKey.Length != expected)
        {
            reason = $"{method} encapsulation key is {peerEncapsulationKey.Length} octets, must be {expected}";
            return false;
        }
        if (!PassesModulusCheck(peerEncapsulationKey, Rank(method)))
        {
            reason = $"{method} encapsulation key fails the FIPS 203 modulus check (a coefficient is not below {Modulus})";
            return false;
        }

        var encapsulator = new MLKemEncapsulator(parameters);
        encapsulator.Init(new ParametersWithRandom(
            MLKemPublicKeyParameters.FromEncoding(parameters, peerEncapsulationKey.ToArray()),
            new SecureRandom(new RandomSourceGenerator(random))));
        var encapsulation = new byte[encapsulator.EncapsulationLength];
        var secret = new byte[encapsulator.SecretLength];
        encapsulator.Encapsulate(encapsulation, secret);
        ciphertext = encapsulation;
        sharedSecret = secret;
        reason = string.Empty;
        return true;
    }

    /// <summary>
    /// The initiator's side: decapsulates the responder's ciphertext (ML-KEM.Decaps, FIPS 203 7.3). A ciphertext
    /// of the wrong length is refused; any ciphertext of the right length gives a secret, a forged one a
    /// pseudorandom secret that differs from the peer's (implicit rejection), so the exchange fails later at AUTH.
    /// </summary>
    public bool TryDecapsulate(ReadOnlySpan<byte> ciphertext, out byte[] sharedSecret, out string reason)
    {
        ObjectDisposedException.ThrowIf(_decapsulationKey is null, this);
        // draft-ietf-ipsecme-ikev2-mlkem 2: the initiator MUST check that the ciphertext has the length
        // of the negotiated parameter set (FIPS 203 7.3 ciphertext type check).
        var expected = CiphertextLength(Method);
        if (ciphertext.Length != expected)
        {
            sharedSecret = [];
            reason = $"{Method} ciphertext is {ciphertext.Length} octets, must be {expected}";
            return false;
        }
        var decapsulator = new MLKemDecapsulator(_decapsulationKey.Parameters);
        decapsulator.Init(_decapsulationKey);
        var secret = new byte[decapsulator.SecretLength];
        decapsulator.Decapsulate(ciphertext, secret);
        sharedSecret = secret;
        reason = string.Empty;
        return true;
    }

    /// <summary>
    /// Drops the decapsulation key; the exchange cannot decapsulate afterwards. The seed it was made from was
    /// zeroed when it was made; BouncyCastle's key object offers no way to zero its own copy.
    /// </summary>
    public void Dispose() => _decapsulationKey = null;

    /// <summary>
    /// FIPS 203 7.2 modulus check: ByteEncode12(ByteDecode12(ek[0:384k])) = ek[0:384k], that is, every
    /// 12-bit coefficient (two in each three octets, little-endian) is below q.
    /// </summary>
    private static bool PassesModulusCheck(ReadOnlySpan<byte> encapsulationKey, int rank)
    {
        var encoded = encapsulationKey[..(EncodedPolynomialLength * rank)];
        var ok = true;
        for (var i = 0; i < encoded.Length; i += 3)
        {
            var low = encoded[i] | ((encoded[i + 1] & 0x0F) << 8);
            var high = (encoded[i + 1] >> 4) | (encoded[i + 2] << 4);
            ok &= low < Modulus & high < Modulus;
        }
        return ok;
    }

    private static int Rank(KeyExchangeMethod method) => method switch
    {
        KeyExchangeMethod.MlKem512 => 2,
        KeyExchangeMethod.MlKem768 => 3,
        KeyExchangeMethod.MlKem1024 => 4,
        _ => throw NotMlKem(method),
    };

    private static MLKemParameters Parameters(KeyExchangeMethod method) => method switch
    {
        KeyExchangeMethod.MlKem512 => MLKemParameters.ml_kem_512,
        KeyExchangeMethod.MlKem768 => MLKemParameters.ml_kem_768,
        KeyExchangeMethod.MlKem1024 => MLKemParameters.ml_kem_1024,
        _ => throw NotMlKem(method),
    };

    private static ArgumentOutOfRangeException NotMlKem(KeyExchangeMethod method) =>
        new(nameof(method), method, "not an ML-KEM key exchange method");

    /// <summary>Feeds BouncyCastle's encapsulator the random m from our one randomness source.</summary>
    private sealed class RandomSourceGenerator(IRandomSource random) : IRandomGenerator
    {
        public void AddSeedMaterial(byte[] seed) { }
        public void AddSeedMaterial(ReadOnlySpan<byte> seed) { }
        public void AddSeedMaterial(long seed) { }
        public void NextBytes(byte[] bytes) => random.Fill(bytes);
        public void NextBytes(byte[] bytes, int start, int len) => random.Fill(bytes.AsSpan(start, len));
        public void NextBytes(Span<byte> bytes) => random.Fill(bytes);
    }
}
