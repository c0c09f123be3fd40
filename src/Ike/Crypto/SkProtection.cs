using System.Buffers.Binary;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Crypto;

/// <summary>
/// Builds and opens protected messages: an IKE header followed by one SK payload (RFC 7296 3.14) or one
/// SKF fragment (RFC 7383 2.5). Everything a message carries after IKE_SA_INIT passes through here.
/// </summary>
public static class SkProtection
{
    /// <summary>Seals <paramref name="innerPayloads"/> into a complete datagram with an SK payload.</summary>
    public static byte[] Seal(IkeHeader header, IReadOnlyList<IkePayload> innerPayloads, IkeCipher cipher)
    {
        var plaintext = PayloadChain.ToArray(innerPayloads);
        return SealCore(header, PayloadType.Encrypted, PayloadChain.FirstType(innerPayloads), 0, 0, plaintext, cipher);
    }

    /// <summary>
    /// Seals one fragment of a message's inner payload octets (RFC 7383 2.5). Fragment 1 names the first
    /// inner payload type; the others carry 0 there.
    /// </summary>
    public static byte[] SealFragment(IkeHeader header, PayloadType firstInnerPayload, ushort fragmentNumber, ushort totalFragments, ReadOnlySpan<byte> content, IkeCipher cipher)
    {
        if (fragmentNumber == 0 || fragmentNumber > totalFragments)
            throw new ArgumentOutOfRangeException(nameof(fragmentNumber), fragmentNumber, $"fragment numbers run from 1 to {totalFragments}");
        var first = fragmentNumber == 1 ? firstInnerPayload : PayloadType.NoNextPayload;
        return SealCore(header, PayloadType.EncryptedFragment, first, fragmentNumber, totalFragments, content, cipher);
    }

    /// <summary>
    /// The most inner octets that fit in one fragment datagram of <paramref name="datagramSize"/> octets
    /// (RFC 7383 2.5.1: the size counts the IKE header and everything after it).
    /// </summary>
    public static int MaxFragmentContent(int datagramSize, IkeCipher cipher)
    {
        var overhead = IkeHeader.Size + IkePayload.GenericHeaderSize + EncryptedFragmentPayload.FixedSize + cipher.IvSize + cipher.IcvSize + 1;
        // The overhead counts the Pad Length octet; what is left rounds down to whole cipher blocks.
        var room = datagramSize - overhead + 1;
        return room - (room % cipher.PaddingBlock) - 1;
    }

    private static byte[] SealCore(IkeHeader header, PayloadType payloadType, PayloadType firstInner, ushort fragmentNumber, ushort totalFragments, ReadOnlySpan<byte> plaintext, IkeCipher cipher)
    {
        var fragmentFields = payloadType == PayloadType.EncryptedFragment ? EncryptedFragmentPayload.FixedSize : 0;
        // RFC 7296 3.14: Padding "MAY contain any value chosen by the sender, and MUST have a length that makes
        // the combination of the payloads, the Padding, and the Pad Length to be a multiple of the encryption
        // block size."
        var block = cipher.PaddingBlock;
        var padding = (block - ((plaintext.Length + 1) % block)) % block;
        var paddedLength = plaintext.Length + padding + 1;
        var payloadLength = IkePayload.GenericHeaderSize + fragmentFields + cipher.IvSize + paddedLength + cipher.IcvSize;
        var datagram = new byte[IkeHeader.Size + payloadLength];

        (header with { NextPayload = payloadType, Length = (uint)datagram.Length }).Write(datagram);
        var pos = IkeHeader.Size;
        datagram[pos] = (byte)firstInner;
        datagram[pos + 1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(pos + 2), checked((ushort)payloadLength));
        pos += IkePayload.GenericHeaderSize;
        if (fragmentFields > 0)
        {
            BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(pos), fragmentNumber);
            BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(pos + 2), totalFragments);
            pos += fragmentFields;
        }
        var ivOffset = pos;
        var textOffset = ivOffset + cipher.IvSize;
        plaintext.CopyTo(datagram.AsSpan(textOffset));
        datagram[textOffset + paddedLength - 1] = (byte)padding;
        cipher.Seal(datagram, ivOffset, paddedLength);
        return datagram;
    }

    /// <summary>
    /// Verifies and decrypts the SK payload of a received message and reads its inner payloads.
    /// An ICV mismatch gives <see cref="NotifyType.None"/>: RFC 7296 2.21.2 has such a message dropped silently.
    /// </summary>
    public static bool TryOpen(IkeMessage message, IkeCipher cipher, out List<IkePayload> innerPayloads, out ParseError error) =>
        TryOpen(message, cipher, out innerPayloads, out _, out error);

    /// <summary>As <see cref="TryOpen(IkeMessage, IkeCipher, out List{IkePayload}, out ParseError)"/>, giving the inner payloads' octets too (RFC 9242 IntAuth).</summary>
    public static bool TryOpen(IkeMessage message, IkeCipher cipher, out List<IkePayload> innerPayloads, out byte[] innerOctets, out ParseError error)
    {
        innerPayloads = [];
        innerOctets = [];
        if (message.Payloads.Count == 0 || message.Payloads[^1] is not EncryptedPayload sk)
        {
            error = ParseError.Syntax(null, IkeHeader.Size, "message carries no SK payload");
            return false;
        }
        var ivOffset = sk.DatagramOffset + IkePayload.GenericHeaderSize;
        if (!TryOpenCore(message, cipher, PayloadType.Encrypted, ivOffset, sk.Body.Length, out var plaintext, out var textOffset, out error))
            return false;
        if (!PayloadChain.TryRead(sk.FirstInnerPayload, plaintext, textOffset, innerPayloads, out error))
            return false;
        innerOctets = plaintext.ToArray();
        return true;
    }

    /// <summary>Verifies and decrypts one SKF fragment; gives its inner octets for reassembly.</summary>
    public static bool TryOpenFragment(IkeMessage message, IkeCipher cipher, out byte[] content, out ParseError error)
    {
        content = [];
        if (message.Payloads.Count == 0 || message.Payloads[^1] is not EncryptedFragmentPayload skf)
        {
            error = ParseError.Syntax(null, IkeHeader.Size, "message carries no SKF payload");
            return false;
        }
        var ivOffset = skf.DatagramOffset + IkePayload.GenericHeaderSize + EncryptedFragmentPayload.FixedSize;
        if (!TryOpenCore(message, cipher, PayloadType.EncryptedFragment, ivOffset, skf.Body.Length, out var plaintext, out _, out error))
            return false;
        content = plaintext.ToArray();
        return true;
    }

    private static bool TryOpenCore(IkeMessage message, IkeCipher cipher, PayloadType type, int ivOffset, int bodyLength, out ReadOnlySpan<byte> plaintext, out int textOffset, out ParseError error)
    {
        plaintext = default;
        textOffset = ivOffset + cipher.IvSize;
        var ciphertextLength = bodyLength - cipher.IvSize - cipher.IcvSize;
        // Until the ICV has been checked nothing is known to come from the peer: every failure before it
        // is a silent drop (RFC 7296 2.21.2 and 2.21's warning about answering forged messages).
        if (message.Raw.Length != ivOffset + bodyLength || ciphertextLength < 1)
        {
            error = new ParseError(type, ivOffset, NotifyType.None, $"{type} body of {bodyLength} octets cannot hold an IV of {cipher.IvSize}, a pad length and an ICV of {cipher.IcvSize}");
            return false;
        }
        if (ciphertextLength % cipher.PaddingBlock != 0)
        {
            error = new ParseError(type, textOffset, NotifyType.None, $"ciphertext of {ciphertextLength} octets is not a multiple of the {cipher.PaddingBlock}-octet block");
            return false;
        }
        var working = message.Raw.ToArray();
        if (!cipher.TryOpen(working, ivOffset, ciphertextLength))
        {
            error = new ParseError(type, ivOffset + cipher.IvSize + ciphertextLength, NotifyType.None, "integrity check failed");
            return false;
        }
        var text = working.AsSpan(textOffset, ciphertextLength);
        var padLength = text[^1];
        if (padLength + 1 > text.Length)
        {
            error = ParseError.Syntax(type, textOffset + ciphertextLength - 1, $"pad length {padLength} exceeds the {text.Length - 1} octets before it");
            return false;
        }
        plaintext = text[..^(padLength + 1)];
        error = default;
        return true;
    }
}
