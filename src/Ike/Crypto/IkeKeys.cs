using System.Buffers.Binary;
using System.Security.Cryptography;

namespace S2SEndpoint.Ike.Crypto;

/// <summary>
/// The keys of an IKE SA (RFC 7296 2.14):
///   SKEYSEED = prf(Ni | Nr, g^ir)
///   {SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+ (SKEYSEED, Ni | Nr | SPIi | SPIr)
/// and for a rekeyed IKE SA (2.18): SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), with the old SA's PRF;
/// with additional key exchanges (RFC 9370 2.2.4): SKEYSEED = prf(SK_d (old), SK(0) | Ni | Nr | SK(1) | ... | SK(n)).
/// </summary>
public sealed class IkeKeys : IDisposable
{
    private IkeKeys(byte[] skD, byte[] skAi, byte[] skAr, byte[] skEi, byte[] skEr, byte[] skPi, byte[] skPr)
    {
        SkD = skD;
        SkAi = skAi;
        SkAr = skAr;
        SkEi = skEi;
        SkEr = skEr;
        SkPi = skPi;
        SkPr = skPr;
    }

    public byte[] SkD { get; }
    public byte[] SkAi { get; }
    public byte[] SkAr { get; }
    public byte[] SkEi { get; }
    public byte[] SkEr { get; }
    public byte[] SkPi { get; }
    public byte[] SkPr { get; }

    public static byte[] ComputeSkeyseed(Prf prf, ReadOnlySpan<byte> ni, ReadOnlySpan<byte> nr, ReadOnlySpan<byte> sharedSecret)
    {
        // RFC 7296 2.14: with an HMAC PRF the key is all of Ni | Nr.
        var key = Concat(ni, nr);
        try
        {
            return prf.Compute(key, sharedSecret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>
    /// The SKEYSEED of a rekeyed IKE SA; <paramref name="additionalSecrets"/> is SK(1) | ... | SK(n) of the IKE_FOLLOWUP_KE
    /// exchanges, empty without them.
    /// </summary>
    public static byte[] ComputeRekeySkeyseed(Prf oldPrf, ReadOnlySpan<byte> oldSkD, ReadOnlySpan<byte> newSharedSecret, ReadOnlySpan<byte> ni, ReadOnlySpan<byte> nr,
        ReadOnlySpan<byte> additionalSecrets = default)
    {
        var data = Concat(newSharedSecret, ni, nr, additionalSecrets);
        try
        {
            return oldPrf.Compute(oldSkD, data);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(data);
        }
    }

    /// <summary>Expands SKEYSEED into the seven keys for <paramref name="suite"/>.</summary>
    public static IkeKeys Derive(IkeSuite suite, ReadOnlySpan<byte> skeyseed, ReadOnlySpan<byte> ni, ReadOnlySpan<byte> nr, ulong spiI, ulong spiR)
    {
        Span<byte> spis = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(spis, spiI);
        BinaryPrimitives.WriteUInt64BigEndian(spis[8..], spiR);
        var seed = Concat(ni, nr, spis);
        var prfKey = suite.Prf.KeySize;
        var integ = suite.IntegrityKeySize;
        var encr = suite.EncryptionKeySize;
        var stream = suite.Prf.PrfPlus(skeyseed, seed, (3 * prfKey) + (2 * integ) + (2 * encr));
        try
        {
            var reader = new KeyStream(stream);
            return new IkeKeys(reader.Take(prfKey), reader.Take(integ), reader.Take(integ), reader.Take(encr), reader.Take(encr), reader.Take(prfKey), reader.Take(prfKey));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(stream);
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    internal static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c = default, ReadOnlySpan<byte> d = default)
    {
        var result = new byte[a.Length + b.Length + c.Length + d.Length];
        a.CopyTo(result);
        b.CopyTo(result.AsSpan(a.Length));
        c.CopyTo(result.AsSpan(a.Length + b.Length));
        d.CopyTo(result.AsSpan(a.Length + b.Length + c.Length));
        return result;
    }

    public void Dispose()
    {
        foreach (var key in new[] { SkD, SkAi, SkAr, SkEi, SkEr, SkPi, SkPr })
            CryptographicOperations.ZeroMemory(key);
    }

    /// <summary>Cuts consecutive keys from a prf+ stream.</summary>
    internal ref struct KeyStream(ReadOnlySpan<byte> stream)
    {
        private readonly ReadOnlySpan<byte> _stream = stream;
        private int _position;

        public byte[] Take(int length)
        {
            var key = _stream.Slice(_position, length).ToArray();
            _position += length;
            return key;
        }
    }
}
