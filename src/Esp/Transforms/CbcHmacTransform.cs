using System.Buffers.Binary;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using S2SEndpoint.Ike.Crypto;

namespace S2SEndpoint.Esp.Transforms;

// AES-CBC (RFC 3602) or NULL encryption (RFC 2410), each with a truncated HMAC (RFC 2404 HMAC-SHA1-96, RFC 4868
// HMAC-SHA2-256-128, -384-192, -512-256): encrypt, then MAC (RFC 4303 3.3.2.1).
//
//   Seal:    IV (16 random octets, AES-CBC only) | CBC-encrypt the text | ICV = HMAC(SPI .. Next Header [| ESN high])
//   TryOpen: ICV check first, then decrypt (RFC 4303 3.4.4.1)
//
// With NULL the payload stays readable on the wire: for teaching and debugging. Without integrity (the RFC 3602
// sample packets) the transform encrypts only; IKE never negotiates that (ChildSuite refuses it).
//
// No allocation per packet: the HMAC is one IncrementalHash per SA direction, kept keyed and reset by each
// TryGetHashAndReset. AES-CBC runs through one ICryptoTransform per direction, which chains across calls as a
// stream cipher mode does: the next call XORs its first block with the last ciphertext block of the previous one.
// Sealing a packet with IV v therefore XORs the first plaintext block with v and with that chaining block, and
// opening XORs the first decrypted block with them: exactly CBC with IV v, without creating a cipher per packet.
internal sealed class CbcHmacTransform : EspTransform
{
    private const int AesBlockSize = 16;
    private const int MaxHashSize = 64;
    private const int EsnHighSize = 4;

    private readonly Aes? _aes;
    private readonly ICryptoTransform? _encryptor;
    private readonly ICryptoTransform? _decryptor;
    private readonly byte[] _encryptChain = new byte[AesBlockSize];
    private readonly byte[] _decryptChain = new byte[AesBlockSize];
    private readonly IncrementalHash? _hmac;
    private readonly RandomBatch? _ivs;

    public CbcHmacTransform(EncryptionTransform encryption, Integrity? integrity, bool extendedSequenceNumbers,
        ReadOnlySpan<byte> encryptionKey, ReadOnlySpan<byte> integrityKey, IRandomSource random)
        : base(encryption.IvSize, integrity?.IcvSize ?? 0, encryption.BlockSize, extendedSequenceNumbers)
    {
        if (encryption.Algorithm == EncryptionAlgorithm.AesCbc)
        {
            var key = encryptionKey.ToArray();
            _aes = Aes.Create();
            // The zero IV starts both chains; every packet corrects its first block against the chain (see above).
            var zeroIv = new byte[AesBlockSize];
            _aes.Key = key;
            _aes.Padding = PaddingMode.None;
            _encryptor = _aes.CreateEncryptor(key, zeroIv);
            _decryptor = _aes.CreateDecryptor(key, zeroIv);
            CryptographicOperations.ZeroMemory(key);
            _ivs = new RandomBatch(random);
        }
        if (integrity is not null)
        {
            var key = integrityKey.ToArray();
            _hmac = IncrementalHash.CreateHMAC(integrity.Hash, key);
            CryptographicOperations.ZeroMemory(key);
        }
    }

    public override void Seal(byte[] packet, int esp, int textLength, ulong sequence)
    {
        var textStart = esp + HeaderSize + IvSize;
        if (_encryptor is not null)
        {
            // RFC 3602 2.1: "The IV MUST be chosen at random, and MUST be unpredictable."
            var iv = packet.AsSpan(esp + HeaderSize, AesBlockSize);
            _ivs!.Take(iv);
            XorFirstBlock(packet.AsSpan(textStart, AesBlockSize), iv, _encryptChain);
            _encryptor.TransformBlock(packet, textStart, textLength, packet, textStart);
            packet.AsSpan(textStart + textLength - AesBlockSize, AesBlockSize).CopyTo(_encryptChain);
        }
        if (_hmac is not null)
        {
            Span<byte> full = stackalloc byte[MaxHashSize];
            ComputeMac(packet.AsSpan(esp, textStart + textLength - esp), sequence, full);
            full[..IcvSize].CopyTo(packet.AsSpan(textStart + textLength, IcvSize));
        }
    }

    public override bool TryOpen(byte[] packet, int esp, int textLength, ulong sequence)
    {
        var textStart = esp + HeaderSize + IvSize;
        if (_hmac is not null)
        {
            // RFC 4303 3.4.4.1: "If the computed and received ICVs match, then the datagram is valid, and it is
            // accepted. If the test fails, then the receiver MUST discard the received IP datagram as invalid".
            Span<byte> full = stackalloc byte[MaxHashSize];
            ComputeMac(packet.AsSpan(esp, textStart + textLength - esp), sequence, full);
            if (!CryptographicOperations.FixedTimeEquals(full[..IcvSize], packet.AsSpan(textStart + textLength, IcvSize)))
                return false;
        }
        if (_decryptor is not null)
        {
            Span<byte> lastBlock = stackalloc byte[AesBlockSize];
            packet.AsSpan(textStart + textLength - AesBlockSize, AesBlockSize).CopyTo(lastBlock);
            _decryptor.TransformBlock(packet, textStart, textLength, packet, textStart);
            XorFirstBlock(packet.AsSpan(textStart, AesBlockSize), packet.AsSpan(esp + HeaderSize, AesBlockSize), _decryptChain);
            lastBlock.CopyTo(_decryptChain);
        }
        return true;
    }

    /// <summary>The untruncated HMAC of <paramref name="data"/>: the RFC 4868 authenticator test cases check this step.</summary>
    internal void ComputeMac(ReadOnlySpan<byte> data, ulong sequence, Span<byte> full)
    {
        var hmac = _hmac!;
        hmac.AppendData(data);
        if (ExtendedSequenceNumbers)
        {
            // RFC 4303 3.3.2.1 step 4: "If the ESN option is enabled for the SA, the high-order 32 bits of the
            // sequence number are appended after the Next Header field for purposes of this computation, but are not
            // transmitted."
            Span<byte> high = stackalloc byte[EsnHighSize];
            BinaryPrimitives.WriteUInt32BigEndian(high, High(sequence));
            hmac.AppendData(high);
        }
        hmac.TryGetHashAndReset(full, out _);
    }

    private static void XorFirstBlock(Span<byte> block, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> chain) =>
        (Vector128.Create<byte>(block) ^ Vector128.Create(iv) ^ Vector128.Create(chain)).CopyTo(block);

    protected override void ReleaseKeys()
    {
        _encryptor?.Dispose();
        _decryptor?.Dispose();
        _aes?.Dispose();
        _hmac?.Dispose();
        _ivs?.Dispose();
        CryptographicOperations.ZeroMemory(_encryptChain);
        CryptographicOperations.ZeroMemory(_decryptChain);
    }
}
