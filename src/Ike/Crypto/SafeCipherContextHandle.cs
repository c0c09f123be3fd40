using Microsoft.Win32.SafeHandles;

namespace S2SEndpoint.Ike.Crypto;

// The EVP_CIPHER_CTX of one OpenSslAead: made by EVP_CIPHER_CTX_new, freed (and cleansed) by EVP_CIPHER_CTX_free
// when its SA is disposed, or by the finalizer if an SA is never disposed.

/// <summary>An OpenSSL EVP_CIPHER_CTX, freed with EVP_CIPHER_CTX_free.</summary>
internal sealed class SafeCipherContextHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public SafeCipherContextHandle()
        : base(ownsHandle: true)
    {
    }

    protected override bool ReleaseHandle()
    {
        LibCrypto.EvpCipherContextFree(handle);
        return true;
    }
}
