using System.Security.Cryptography;

namespace S2SEndpoint.Ike.Crypto;

// The AEAD of ESP (Esp/Transforms/AeadTransform.cs) and of IKE's SK payload (IkeCipher.cs), on OpenSSL 3's EVP interface (LibCrypto.cs): AES-GCM with a 16-octet tag (RFC 4106)
// or ChaCha20-Poly1305 (RFC 7634), in place, on the caller's 12-octet nonce, AAD and text.
//
//   made once per SA direction:  EVP_CIPHER_CTX_new, the cipher, a 12-octet IV length, the key
//   Encrypt, per packet:         IV | AAD | text, in place | final | get the 16-octet tag
//   TryDecrypt, per packet:      IV | AAD | text, in place | set the tag | final: 1 if the tag matches, 0 if not
//
// A bad tag is an answer, not an exception: TryDecrypt returns false, and a forged packet costs what a valid one does.
// The text was decrypted in place before the tag was checked, so a refused text is zeroed: nothing unauthenticated
// leaves the transform. Any other EVP failure is the library's (no input of ours can cause one) and throws a
// CryptographicException, as .NET's AesGcm does: a packet is never accepted on a failed call.
//
// The context is not shareable: one thread uses it at a time (ESP keeps one per data-path worker of an SA,
// Esp/Transforms/WorkerTransforms.cs; an IKE SA has one consumer). Disposing frees it, and EVP_CIPHER_CTX_free
// cleanses the key schedule.

/// <summary>One AES-GCM-16 or ChaCha20-Poly1305 key on one EVP cipher context; a bad tag returns false.</summary>
public sealed unsafe class OpenSslAead : IDisposable
{
    public const int NonceSize = 12;
    public const int TagSize = 16;

    private readonly SafeCipherContextHandle _context;

    /// <exception cref="PlatformNotSupportedException">libcrypto.so.3 cannot be loaded.</exception>
    public OpenSslAead(EncryptionAlgorithm algorithm, ReadOnlySpan<byte> key)
    {
        LibCrypto.EnsureAvailable();
        var cipher = Cipher(algorithm, key.Length);
        _context = LibCrypto.EvpCipherContextNew();
        try
        {
            if (_context.IsInvalid)
                throw LibCrypto.Failure("EVP_CIPHER_CTX_new");
            var context = _context.DangerousGetHandle();
            LibCrypto.Check(LibCrypto.EvpCipherInit(context, cipher, 0, null, null, 1), "EVP_CipherInit_ex (cipher)");
            LibCrypto.Check(LibCrypto.EvpCipherContextControl(context, LibCrypto.CtrlAeadSetIvLength, NonceSize, null), "EVP_CTRL_AEAD_SET_IVLEN");
            fixed (byte* k = key)
                LibCrypto.Check(LibCrypto.EvpCipherInit(context, 0, 0, k, null, LibCrypto.KeepDirection), "EVP_CipherInit_ex (key)");
        }
        catch
        {
            _context.Dispose();
            throw;
        }
    }

    /// <summary>Encrypts <paramref name="text"/> in place and writes the tag.</summary>
    public void Encrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, Span<byte> text, Span<byte> tag)
    {
        CheckSizes(nonce, tag);
        var added = false;
        _context.DangerousAddRef(ref added);
        try
        {
            var context = _context.DangerousGetHandle();
            fixed (byte* n = nonce, a = aad, t = text, g = tag)
            {
                int length;
                LibCrypto.Check(LibCrypto.EvpCipherInit(context, 0, 0, null, n, 1), "EVP_CipherInit_ex (nonce)");
                if (!aad.IsEmpty)
                    LibCrypto.Check(LibCrypto.EvpEncryptUpdate(context, null, &length, a, aad.Length), "EVP_EncryptUpdate (AAD)");
                if (!text.IsEmpty)
                {
                    LibCrypto.Check(LibCrypto.EvpEncryptUpdate(context, t, &length, t, text.Length), "EVP_EncryptUpdate");
                    if (length != text.Length)
                        throw LibCrypto.Failure("EVP_EncryptUpdate (length)");
                }
                // AES-GCM and ChaCha20-Poly1305 are stream modes: the final call writes no octet.
                byte spare;
                LibCrypto.Check(LibCrypto.EvpEncryptFinal(context, &spare, &length), "EVP_EncryptFinal_ex");
                LibCrypto.Check(LibCrypto.EvpCipherContextControl(context, LibCrypto.CtrlAeadGetTag, TagSize, g), "EVP_CTRL_AEAD_GET_TAG");
            }
        }
        finally
        {
            if (added)
                _context.DangerousRelease();
        }
    }

    /// <summary>Decrypts <paramref name="text"/> in place and checks the tag; false, with the text zeroed, on a mismatch.</summary>
    public bool TryDecrypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> aad, Span<byte> text, ReadOnlySpan<byte> tag)
    {
        CheckSizes(nonce, tag);
        var added = false;
        _context.DangerousAddRef(ref added);
        try
        {
            var context = _context.DangerousGetHandle();
            int verified;
            fixed (byte* n = nonce, a = aad, t = text, g = tag)
            {
                int length;
                LibCrypto.Check(LibCrypto.EvpCipherInit(context, 0, 0, null, n, 0), "EVP_CipherInit_ex (nonce)");
                if (!aad.IsEmpty)
                    LibCrypto.Check(LibCrypto.EvpDecryptUpdate(context, null, &length, a, aad.Length), "EVP_DecryptUpdate (AAD)");
                if (!text.IsEmpty)
                {
                    LibCrypto.Check(LibCrypto.EvpDecryptUpdate(context, t, &length, t, text.Length), "EVP_DecryptUpdate");
                    if (length != text.Length)
                        throw LibCrypto.Failure("EVP_DecryptUpdate (length)");
                }
                // OpenSSL copies the tag: the packet's ICV is only read.
                LibCrypto.Check(LibCrypto.EvpCipherContextControl(context, LibCrypto.CtrlAeadSetTag, TagSize, g), "EVP_CTRL_AEAD_SET_TAG");
                byte spare;
                verified = LibCrypto.EvpDecryptFinal(context, &spare, &length);
            }
            if (verified == 1)
                return true;
            CryptographicOperations.ZeroMemory(text);
            return false;
        }
        finally
        {
            if (added)
                _context.DangerousRelease();
        }
    }

    public void Dispose() => _context.Dispose();

    private static nint Cipher(EncryptionAlgorithm algorithm, int keySize)
    {
        var cipher = (algorithm, keySize) switch
        {
            (EncryptionAlgorithm.AesGcm16, 16) => LibCrypto.EvpAes128Gcm(),
            (EncryptionAlgorithm.AesGcm16, 24) => LibCrypto.EvpAes192Gcm(),
            (EncryptionAlgorithm.AesGcm16, 32) => LibCrypto.EvpAes256Gcm(),
            (EncryptionAlgorithm.ChaCha20Poly1305, 32) => LibCrypto.EvpChaCha20Poly1305(),
            _ => throw new ArgumentException($"no AEAD {algorithm} with a {keySize}-octet key: AES-GCM takes 16, 24 or 32 octets, ChaCha20-Poly1305 32", nameof(keySize)),
        };
        return cipher != 0 ? cipher : throw LibCrypto.Failure($"EVP cipher for {algorithm}");
    }

    private static void CheckSizes(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> tag)
    {
        if (nonce.Length != NonceSize || tag.Length != TagSize)
            throw new ArgumentException($"the AEAD takes a {NonceSize}-octet nonce and a {TagSize}-octet tag, not {nonce.Length} and {tag.Length}");
    }
}
