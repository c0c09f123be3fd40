using System.Buffers.Binary;
using System.Security.Cryptography;

namespace S2SEndpoint.Ike.Crypto;

/// <summary>
/// The protection of SK and SKF payloads in one direction (RFC 7296 3.14, RFC 7383 2.5): a cipher and
/// its keys, working in place on a whole datagram laid out as
///   [IKE header .. SK(F) payload header][IV][plaintext | padding | pad length][ICV].
/// AES-CBC with HMAC is encrypt-then-MAC over everything before the ICV; AES-GCM (RFC 5282) and
/// ChaCha20-Poly1305 (RFC 7634) take everything before the IV as associated data.
/// </summary>
public abstract class IkeCipher : IDisposable
{
    protected IkeCipher(EncryptionTransform transform) => Transform = transform;

    public EncryptionTransform Transform { get; }
    public int IvSize => Transform.IvSize;
    public abstract int IcvSize { get; }

    /// <summary>
    /// Alignment of plaintext, padding and pad length: the cipher block for CBC. RFC 5282 3 and RFC 7634 4:
    /// an AEAD needs no padding beyond the Pad Length octet.
    /// </summary>
    public int PaddingBlock => Transform.IsAead ? 1 : Transform.BlockSize;

    /// <summary>
    /// Creates the cipher for one direction: SK_ei/SK_ai for the initiator's messages, SK_er/SK_ar for the
    /// responder's. <paramref name="encryptionKey"/> includes the salt of an AEAD.
    /// </summary>
    public static IkeCipher Create(IkeSuite suite, ReadOnlySpan<byte> encryptionKey, ReadOnlySpan<byte> integrityKey, IRandomSource random)
    {
        if (encryptionKey.Length != suite.EncryptionKeySize)
            throw new ArgumentException($"{suite.Encryption.Algorithm} needs {suite.EncryptionKeySize} octets of key material, got {encryptionKey.Length}", nameof(encryptionKey));
        return suite.Encryption.Algorithm switch
        {
            EncryptionAlgorithm.AesCbc => new CbcHmacCipher(suite.Encryption, suite.Integrity!, encryptionKey, integrityKey, random),
            EncryptionAlgorithm.AesGcm16 or EncryptionAlgorithm.ChaCha20Poly1305 => new AeadCipher(suite.Encryption, encryptionKey),
            _ => throw new NotSupportedException($"{suite.Encryption.Algorithm} cannot protect IKE messages"),
        };
    }

    /// <summary>
    /// Writes the IV at <paramref name="ivOffset"/>, encrypts the <paramref name="plaintextLength"/> octets
    /// after it in place and writes the ICV after them.
    /// </summary>
    public abstract void Seal(Span<byte> datagram, int ivOffset, int plaintextLength);

    /// <summary>
    /// Checks the ICV over <paramref name="datagram"/> and decrypts in place the <paramref name="ciphertextLength"/>
    /// octets after the IV. False when the ICV does not match; the caller drops the message.
    /// </summary>
    public abstract bool TryOpen(Span<byte> datagram, int ivOffset, int ciphertextLength);

    public void Dispose()
    {
        ReleaseKeys();
        GC.SuppressFinalize(this);
    }

    protected abstract void ReleaseKeys();

    private sealed class CbcHmacCipher : IkeCipher
    {
        private readonly Integrity _integrity;
        private readonly byte[] _integrityKey;
        private readonly Aes _aes;
        private readonly IRandomSource _random;

        public CbcHmacCipher(EncryptionTransform transform, Integrity integrity, ReadOnlySpan<byte> encryptionKey, ReadOnlySpan<byte> integrityKey, IRandomSource random)
            : base(transform)
        {
            if (integrityKey.Length != integrity.KeySize)
                throw new ArgumentException($"{integrity.Algorithm} needs a {integrity.KeySize}-octet key, got {integrityKey.Length}", nameof(integrityKey));
            _integrity = integrity;
            _integrityKey = integrityKey.ToArray();
            _aes = Aes.Create();
            _aes.Key = encryptionKey.ToArray();
            _random = random;
        }

        public override int IcvSize => _integrity.IcvSize;

        public override void Seal(Span<byte> datagram, int ivOffset, int plaintextLength)
        {
            // RFC 7296 3.14: the IV "MUST be chosen at random and MUST be unpredictable" for CBC.
            var iv = datagram.Slice(ivOffset, IvSize);
            _random.Fill(iv);
            var text = datagram.Slice(ivOffset + IvSize, plaintextLength);
            _aes.EncryptCbc(text, iv, text, PaddingMode.None);
            var end = ivOffset + IvSize + plaintextLength;
            _integrity.Compute(_integrityKey, datagram[..end], datagram.Slice(end, IcvSize));
        }

        public override bool TryOpen(Span<byte> datagram, int ivOffset, int ciphertextLength)
        {
            var end = ivOffset + IvSize + ciphertextLength;
            if (!_integrity.Verify(_integrityKey, datagram[..end], datagram.Slice(end, IcvSize)))
                return false;
            var text = datagram.Slice(ivOffset + IvSize, ciphertextLength);
            _aes.DecryptCbc(text, datagram.Slice(ivOffset, IvSize), text, PaddingMode.None);
            return true;
        }

        protected override void ReleaseKeys()
        {
            CryptographicOperations.ZeroMemory(_integrityKey);
            _aes.Dispose();
        }
    }

    /// <summary>
    /// AES-GCM-16 (RFC 5282) or ChaCha20-Poly1305 (RFC 7634) on OpenSSL's EVP interface (<see cref="OpenSslAead"/>): a
    /// forged message is a false, not an exception, so it costs no more than a valid one.
    /// </summary>
    private sealed class AeadCipher : IkeCipher
    {
        private const int NonceSize = OpenSslAead.NonceSize;
        private readonly byte[] _salt;
        private readonly OpenSslAead _aead;
        private ulong _ivCounter;

        public AeadCipher(EncryptionTransform transform, ReadOnlySpan<byte> keyMaterial) : base(transform)
        {
            var key = keyMaterial[..transform.KeySize];
            // RFC 5282 7.1 and RFC 7634 3: the last four octets of the key material are the salt.
            _salt = keyMaterial[transform.KeySize..].ToArray();
            _aead = new OpenSslAead(transform.Algorithm, key);
        }

        public override int IcvSize => Transform.IcvSize;

        public override void Seal(Span<byte> datagram, int ivOffset, int plaintextLength)
        {
            // RFC 5282 3.1: the IV "MUST NOT repeat for a given key"; a counter is the simplest way to be sure.
            var iv = datagram.Slice(ivOffset, IvSize);
            BinaryPrimitives.WriteUInt64BigEndian(iv, ++_ivCounter);
            Span<byte> nonce = stackalloc byte[NonceSize];
            _salt.CopyTo(nonce);
            iv.CopyTo(nonce[_salt.Length..]);
            var text = datagram.Slice(ivOffset + IvSize, plaintextLength);
            var tag = datagram.Slice(ivOffset + IvSize + plaintextLength, IcvSize);
            _aead.Encrypt(nonce, datagram[..ivOffset], text, tag);
        }

        public override bool TryOpen(Span<byte> datagram, int ivOffset, int ciphertextLength)
        {
            Span<byte> nonce = stackalloc byte[NonceSize];
            _salt.CopyTo(nonce);
            datagram.Slice(ivOffset, IvSize).CopyTo(nonce[_salt.Length..]);
            var text = datagram.Slice(ivOffset + IvSize, ciphertextLength);
            var tag = datagram.Slice(ivOffset + IvSize + ciphertextLength, IcvSize);
            // A refused text is zeroed by the AEAD: nothing unauthenticated stays in the datagram.
            return _aead.TryDecrypt(nonce, datagram[..ivOffset], text, tag);
        }

        protected override void ReleaseKeys()
        {
            CryptographicOperations.ZeroMemory(_salt);
            _aead.Dispose();
        }
    }
}
