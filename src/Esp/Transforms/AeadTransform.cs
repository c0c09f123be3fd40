using System.Buffers.Binary;
using S2SEndpoint.Ike.Crypto;

namespace S2SEndpoint.Esp.Transforms;

// AES-GCM with a 16-octet ICV (RFC 4106) and ChaCha20-Poly1305 (RFC 7634) in ESP. Both build their 12-octet nonce
// the same way and take the same AAD (RFC 4106 4 and 5, RFC 7634 2 and 2.1):
//
//   nonce = salt (last 4 octets of the KEYMAT for this direction) | IV (8 octets, sent after the sequence number)
//   AAD   = SPI | Sequence Number                         (32-bit sequence numbers, 8 octets)
//         = SPI | Sequence Number high 32 | low 32        (ESN, 12 octets: the high half is not sent)
//
// The IV is the 64-bit sequence number XORed with a per-SA random mask, as Linux's seqiv does: a sequence number is
// never reused under one key, so neither is the IV. Padding only aligns the trailer to 4 octets (RFC 4303 2.4).
// One OpenSslAead (one EVP cipher context, keyed once) per data-path worker of an SA, freed and cleansed with the SA.
// The workers of an SA share its IV mask and take sequence numbers from one counter, so their IVs never collide. Its open returns false for a bad ICV instead of throwing, so a forged packet costs no more than a valid one.
internal sealed class AeadTransform : EspTransform
{
    public const int SaltSize = 4;
    public const int ExplicitIvSize = 8;
    public const int NonceSize = SaltSize + ExplicitIvSize;
    public const int TagSize = 16;
    private const int EsnAadSize = 12;

    private readonly OpenSslAead _aead;
    private uint _salt;
    private ulong _ivMask;

    public AeadTransform(EncryptionTransform encryption, bool extendedSequenceNumbers, ReadOnlySpan<byte> keyMaterial, ulong ivMask)
        : base(ExplicitIvSize, TagSize, encryption.BlockSize, extendedSequenceNumbers)
    {
        var key = keyMaterial[..encryption.KeySize];
        // RFC 4106 8.1 and RFC 7634 3: the salt is the last four octets of the key material.
        _salt = BinaryPrimitives.ReadUInt32BigEndian(keyMaterial[encryption.KeySize..]);
        _aead = new OpenSslAead(encryption.Algorithm, key);
        _ivMask = ivMask;
    }

    /// <summary>The mask XORed into the sequence number to make the IV; one per SA, shared by its workers' transforms.</summary>
    internal ulong IvMask => _ivMask;

    /// <summary>A random IV mask for a new SA.</summary>
    public static ulong DrawIvMask(IRandomSource random)
    {
        Span<byte> mask = stackalloc byte[ExplicitIvSize];
        random.Fill(mask);
        return BinaryPrimitives.ReadUInt64BigEndian(mask);
    }

    public override void Seal(byte[] packet, int esp, int textLength, ulong sequence)
    {
        // RFC 4106 3.1: "The IV MUST be chosen by the encryptor in a manner that ensures that the same IV value is
        // used only once for a given key." RFC 7634 2: "The IV MUST be unique for each invocation for a particular
        // SA but does not need to be unpredictable."
        var span = packet.AsSpan(esp, HeaderSize + ExplicitIvSize + textLength + TagSize);
        var iv = span.Slice(HeaderSize, ExplicitIvSize);
        BinaryPrimitives.WriteUInt64BigEndian(iv, sequence ^ _ivMask);
        Span<byte> aad = stackalloc byte[EsnAadSize];
        Encrypt(iv, Aad(span, sequence, aad), span.Slice(HeaderSize + ExplicitIvSize, textLength), span[^TagSize..]);
    }

    public override bool TryOpen(byte[] packet, int esp, int textLength, ulong sequence)
    {
        var span = packet.AsSpan(esp, HeaderSize + ExplicitIvSize + textLength + TagSize);
        Span<byte> aad = stackalloc byte[EsnAadSize];
        return TryDecrypt(span.Slice(HeaderSize, ExplicitIvSize), Aad(span, sequence, aad), span.Slice(HeaderSize + ExplicitIvSize, textLength), span[^TagSize..]);
    }

    /// <summary>The AEAD step alone, with any AAD: what the GCM specification's test cases exercise.</summary>
    internal void Encrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> aad, Span<byte> text, Span<byte> tag)
    {
        Span<byte> nonce = stackalloc byte[NonceSize];
        Nonce(iv, nonce);
        _aead.Encrypt(nonce, aad, text, tag);
    }

    /// <inheritdoc cref="Encrypt"/>
    internal bool TryDecrypt(ReadOnlySpan<byte> iv, ReadOnlySpan<byte> aad, Span<byte> text, ReadOnlySpan<byte> tag)
    {
        Span<byte> nonce = stackalloc byte[NonceSize];
        Nonce(iv, nonce);
        return _aead.TryDecrypt(nonce, aad, text, tag);
    }

    /// <summary>RFC 4106 4, RFC 7634 2: the nonce is the salt followed by the explicit IV.</summary>
    private void Nonce(ReadOnlySpan<byte> iv, Span<byte> nonce)
    {
        BinaryPrimitives.WriteUInt32BigEndian(nonce, _salt);
        iv.CopyTo(nonce[SaltSize..]);
    }

    private ReadOnlySpan<byte> Aad(ReadOnlySpan<byte> packet, ulong sequence, Span<byte> esnAad)
    {
        // RFC 4106 5: "SPI, 32-bit Sequence Number" or, with ESN, "SPI, 64-bit Extended Sequence Number".
        if (!ExtendedSequenceNumbers)
            return packet[..HeaderSize];
        packet[..4].CopyTo(esnAad);
        BinaryPrimitives.WriteUInt64BigEndian(esnAad[4..], sequence);
        return esnAad;
    }

    protected override void ReleaseKeys()
    {
        _aead.Dispose();
        _salt = 0;
        _ivMask = 0;
    }
}
