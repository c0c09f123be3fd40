using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace S2SEndpoint.Ike.Crypto;

// The OpenSSL 3 EVP calls behind OpenSslAead, the AEAD of ESP and of IKE's SK payload (AES-GCM-16 for RFC 4106 and
// RFC 5282, ChaCha20-Poly1305 for RFC 7634). .NET's AesGcm and ChaCha20Poly1305 already sit on this libcrypto (Debian 12: libcrypto.so.3), but
// their Decrypt throws AuthenticationTagMismatchException for a bad ICV, and a forged packet then costs two to three
// times what a valid one does. EVP_DecryptFinal_ex answers a bad tag with 0: the open can return false.
//
// Every signature is blittable (pointers and integers), so the generated stubs pin nothing and allocate nothing. The
// context crosses as a raw pointer: the caller holds a reference on its SafeCipherContextHandle for the whole packet.

/// <summary>P/Invoke declarations for OpenSSL 3's EVP cipher interface, and the check that the library is there.</summary>
internal static unsafe partial class LibCrypto
{
    private const string Name = "libcrypto.so.3";

    /// <summary>OpenSSL_version_num() of 3.0.0: 0xMNN00PP0.</summary>
    private const ulong Version3 = 0x3000_0000;

    public const int CtrlAeadSetIvLength = 0x9;
    public const int CtrlAeadGetTag = 0x10;
    public const int CtrlAeadSetTag = 0x11;

    /// <summary>EVP_CipherInit_ex: keep the direction the context has.</summary>
    public const int KeepDirection = -1;

    /// <summary>
    /// Throws a PlatformNotSupportedException naming the library when libcrypto.so.3 cannot be loaded or is older than
    /// OpenSSL 3: called when an SA is made, so that no packet ever meets a missing library.
    /// </summary>
    public static void EnsureAvailable()
    {
        nuint version;
        try
        {
            version = OpenSslVersionNumber();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            throw new PlatformNotSupportedException(
                $"ESP with AES-GCM or ChaCha20-Poly1305 needs OpenSSL 3's {Name}, which could not be loaded: {e.Message}", e);
        }
        if (version < Version3)
            throw new PlatformNotSupportedException(
                $"ESP with AES-GCM or ChaCha20-Poly1305 needs OpenSSL 3's {Name}; the library loaded reports version 0x{version:x9}");
    }

    /// <summary>Throws unless an EVP call returned 1: such a failure is the library's, never the packet's.</summary>
    public static void Check(int result, string function)
    {
        if (result != 1)
            throw Failure(function);
    }

    public static CryptographicException Failure(string function)
    {
        var error = ErrGetError();
        ErrClearError();
        return new CryptographicException($"OpenSSL {function} failed (error 0x{error:x})");
    }

    [LibraryImport(Name, EntryPoint = "OpenSSL_version_num")]
    private static partial nuint OpenSslVersionNumber();

    [LibraryImport(Name, EntryPoint = "ERR_get_error")]
    private static partial nuint ErrGetError();

    [LibraryImport(Name, EntryPoint = "ERR_clear_error")]
    public static partial void ErrClearError();

    [LibraryImport(Name, EntryPoint = "ERR_peek_error")]
    public static partial nuint ErrPeekError();

    [LibraryImport(Name, EntryPoint = "EVP_aes_128_gcm")]
    public static partial nint EvpAes128Gcm();

    [LibraryImport(Name, EntryPoint = "EVP_aes_192_gcm")]
    public static partial nint EvpAes192Gcm();

    [LibraryImport(Name, EntryPoint = "EVP_aes_256_gcm")]
    public static partial nint EvpAes256Gcm();

    [LibraryImport(Name, EntryPoint = "EVP_chacha20_poly1305")]
    public static partial nint EvpChaCha20Poly1305();

    [LibraryImport(Name, EntryPoint = "EVP_CIPHER_CTX_new")]
    public static partial SafeCipherContextHandle EvpCipherContextNew();

    /// <summary>Frees the context after cleansing it (OPENSSL_cleanse of the key schedule, by EVP_CIPHER_CTX_reset).</summary>
    [LibraryImport(Name, EntryPoint = "EVP_CIPHER_CTX_free")]
    public static partial void EvpCipherContextFree(nint context);

    /// <param name="cipher">The cipher, or 0 to keep the context's.</param>
    /// <param name="engine">Always 0.</param>
    /// <param name="key">The key, or null to keep the context's.</param>
    /// <param name="iv">The nonce, or null.</param>
    /// <param name="encrypt">1 to encrypt, 0 to decrypt, <see cref="KeepDirection"/>.</param>
    [LibraryImport(Name, EntryPoint = "EVP_CipherInit_ex")]
    public static partial int EvpCipherInit(nint context, nint cipher, nint engine, byte* key, byte* iv, int encrypt);

    [LibraryImport(Name, EntryPoint = "EVP_CIPHER_CTX_ctrl")]
    public static partial int EvpCipherContextControl(nint context, int type, int argument, void* pointer);

    /// <param name="output">The output, or null to feed additional authenticated data.</param>
    [LibraryImport(Name, EntryPoint = "EVP_EncryptUpdate")]
    public static partial int EvpEncryptUpdate(nint context, byte* output, int* outputLength, byte* input, int inputLength);

    [LibraryImport(Name, EntryPoint = "EVP_EncryptFinal_ex")]
    public static partial int EvpEncryptFinal(nint context, byte* output, int* outputLength);

    /// <inheritdoc cref="EvpEncryptUpdate"/>
    [LibraryImport(Name, EntryPoint = "EVP_DecryptUpdate")]
    public static partial int EvpDecryptUpdate(nint context, byte* output, int* outputLength, byte* input, int inputLength);

    /// <summary>1 when the tag set with <see cref="CtrlAeadSetTag"/> matches; 0 when it does not.</summary>
    [LibraryImport(Name, EntryPoint = "EVP_DecryptFinal_ex")]
    public static partial int EvpDecryptFinal(nint context, byte* output, int* outputLength);
}
