using S2SEndpoint.Ike.Crypto;

namespace S2SEndpoint.Esp.Transforms;

// The cryptographic step of the data path. An EspSa has one transform per data-path worker (WorkerTransforms.cs), all
// made from the SA's keys; Outbound.Seal and Inbound.Open hand the worker's one the packet in place, laid out as
// RFC 4303 2.1 draws it:
//
//  0                   1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ----
// |               Security Parameters Index (SPI)                 | ^Int.
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |Cov-
// |                      Sequence Number                          | |ered
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ | ----
// |                    Payload Data* (variable)                   | |   ^
// ~                                                               ~ |   |
// |                                                               | |Conf.
// +               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |Cov-
// |               |     Padding (0-255 bytes)                     | |ered*
// +-+-+-+-+-+-+-+-+               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ |   |
// |                               |  Pad Length   | Next Header   | v   v
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+ ------
// |         Integrity Check Value-ICV   (variable)                |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The IV is the start of Payload Data (RFC 4303 2.3). The caller writes the SPI, the Sequence Number and the
// plaintext with its trailer; Seal writes the IV, encrypts the text and writes the ICV. TryOpen checks the ICV
// and decrypts. With ESN the high 32 bits of the sequence number enter the ICV or AAD but are never sent
// (RFC 4303 2.2.1). Everything works on the caller's array: no allocation, no exception for a bad packet. A transform
// holds per-packet state (cipher contexts, the CBC chain, an IV batch): one thread uses it at a time.
internal abstract class EspTransform : IDisposable
{
    /// <summary>SPI and Sequence Number.</summary>
    public const int HeaderSize = 8;

    /// <summary>Pad Length and Next Header.</summary>
    public const int TrailerSize = 2;

    public const int MaxIvSize = 16;
    public const int MaxIcvSize = 32;

    protected EspTransform(int ivSize, int icvSize, int blockSize, bool extendedSequenceNumbers)
    {
        IvSize = ivSize;
        IcvSize = icvSize;
        BlockSize = blockSize;
        ExtendedSequenceNumbers = extendedSequenceNumbers;
    }

    public int IvSize { get; }
    public int IcvSize { get; }

    /// <summary>The encrypted text (payload, padding, Pad Length, Next Header) is a multiple of this: the cipher block, or 4.</summary>
    public int BlockSize { get; }

    /// <summary>Whether a receiver must refuse text that is not a whole number of blocks (a block cipher cannot decrypt it).</summary>
    public bool RequiresWholeBlocks => BlockSize > 4;

    public bool ExtendedSequenceNumbers { get; }

    /// <summary>
    /// Makes the transform for one direction of a Child SA. <paramref name="encryptionKey"/> includes the salt of
    /// an AEAD. <paramref name="integrity"/> may be null only with an AEAD, or for the confidentiality-only AES-CBC
    /// of the RFC 3602 sample packets. An AEAD draws its IV mask from <paramref name="random"/>.
    /// </summary>
    public static EspTransform Create(EncryptionTransform encryption, Integrity? integrity, bool extendedSequenceNumbers,
        ReadOnlySpan<byte> encryptionKey, ReadOnlySpan<byte> integrityKey, IRandomSource random)
    {
        Validate(encryption, integrity, encryptionKey, integrityKey);
        var ivMask = encryption.IsAead ? AeadTransform.DrawIvMask(random) : 0;
        return Create(encryption, integrity, extendedSequenceNumbers, encryptionKey, integrityKey, random, ivMask);
    }

    /// <summary>Another transform of the same SA: the same keys and, for an AEAD, the same <paramref name="ivMask"/>.</summary>
    public static EspTransform Create(EncryptionTransform encryption, Integrity? integrity, bool extendedSequenceNumbers,
        ReadOnlySpan<byte> encryptionKey, ReadOnlySpan<byte> integrityKey, IRandomSource random, ulong ivMask)
    {
        Validate(encryption, integrity, encryptionKey, integrityKey);
        return encryption.Algorithm switch
        {
            EncryptionAlgorithm.AesGcm16 or EncryptionAlgorithm.ChaCha20Poly1305 when integrity is null =>
                new AeadTransform(encryption, extendedSequenceNumbers, encryptionKey, ivMask),
            EncryptionAlgorithm.AesCbc or EncryptionAlgorithm.Null when !encryption.IsAead =>
                new CbcHmacTransform(encryption, integrity, extendedSequenceNumbers, encryptionKey, integrityKey, random),
            _ => throw new ArgumentException($"ESP cannot use {encryption.Algorithm} with integrity {integrity?.Algorithm.ToString() ?? "none"}", nameof(encryption)),
        };
    }

    private static void Validate(EncryptionTransform encryption, Integrity? integrity, ReadOnlySpan<byte> encryptionKey, ReadOnlySpan<byte> integrityKey)
    {
        if (encryptionKey.Length != encryption.KeyMaterialSize)
            throw new ArgumentException($"{encryption.Algorithm} needs {encryption.KeyMaterialSize} octets of key material, got {encryptionKey.Length}", nameof(encryptionKey));
        if (integrity is not null && integrityKey.Length != integrity.KeySize)
            throw new ArgumentException($"{integrity.Algorithm} needs a {integrity.KeySize}-octet key, got {integrityKey.Length}", nameof(integrityKey));
        // RFC 4303 5: "although integrity and encryption may each be "NULL" under the circumstances noted above, they
        // MUST NOT both be "NULL"."
        if (encryption.Algorithm == EncryptionAlgorithm.Null && integrity is null)
            throw new ArgumentException("ESP with NULL encryption needs an integrity algorithm: they must not both be NULL", nameof(integrity));
    }

    /// <summary>
    /// Seals in place the packet at <paramref name="esp"/>: SPI and Sequence Number written, then room for the IV,
    /// then <paramref name="textLength"/> octets of plaintext with padding and trailer, then room for the ICV.
    /// </summary>
    public abstract void Seal(byte[] packet, int esp, int textLength, ulong sequence);

    /// <summary>Checks the ICV of the packet at <paramref name="esp"/> and decrypts its text in place; false on a mismatch.</summary>
    public abstract bool TryOpen(byte[] packet, int esp, int textLength, ulong sequence);

    public void Dispose()
    {
        ReleaseKeys();
        GC.SuppressFinalize(this);
    }

    protected abstract void ReleaseKeys();

    /// <summary>The high 32 bits of a sequence number, as ESN puts them into the ICV or AAD.</summary>
    protected static uint High(ulong sequence) => (uint)(sequence >> 32);
}
