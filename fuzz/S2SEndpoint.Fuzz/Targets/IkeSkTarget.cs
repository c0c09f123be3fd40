using System.Buffers.Binary;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Fuzz.Targets;

/// <summary>
/// Fuzz target <c>ike-sk</c>: SK (RFC 7296 3.14) and SKF (RFC 7383 2.5) payloads opened by <see cref="SkProtection"/>
/// with fixed keys, and the inner payload chain they carry. Most inputs are sealed by the harness, so that the fuzzer
/// reaches what lies behind the ICV: the Pad Length, the fragment fields and every inner payload.
/// Input: octet 0 picks the suite (AES-GCM, AES-CBC with HMAC-SHA2-256 or HMAC-SHA1-96, ChaCha20-Poly1305);
/// octet 1 the mode:
///   0 sealed SK:  octet 2 the first inner payload type, then the text (inner payloads, padding, Pad Length);
///   1 sealed SKF: octet 2 the first inner type, octets 3-4 Fragment Number, 5-6 Total Fragments, then the text;
///   2, 3 raw:     the rest is a datagram, opened as it is (a forgery, unless it was sealed with these keys).
/// The harness zero-pads the text to whole cipher blocks and seals it in place.
/// Properties: nothing throws; what the ICV protects is refused only with a notify (never dropped), exactly when
/// the Pad Length or the inner chain is wrong; an opened SKF gives back the text less its padding; accepted inner
/// payloads are canonical after one rewrite and survive a Seal and TryOpen round trip; a raw datagram is refused
/// with a notify or dropped, and opens only into a canonical chain.
/// </summary>
internal static class IkeSkTarget
{
    public const string Name = "ike-sk";

    private const int MaxText = 60_000;

    private static readonly IkeHeader Header = new(
        0x0102030405060708, 0x1112131415161718, PayloadType.Encrypted, ExchangeType.IkeAuth, HeaderFlags.Initiator, 1, 0);

    /// <summary>strongSwan keywords; the key exchange is not used.</summary>
    public static readonly string[] Suites =
        ["aes256gcm16-prfsha384-ecp384", "aes256-sha256-modp2048", "chacha20poly1305-prfsha256-x25519", "aes128-sha1-modp2048"];

    public static void Run(byte[] input)
    {
        input = FuzzCheck.Cap(input);
        if (input.Length < 2)
            return;
        using var cipher = Cipher(input[0] % Suites.Length);
        switch (input[1] & 3)
        {
            case 0:
                if (input.Length >= 3)
                    SealedSk((PayloadType)input[2], Text(input.AsSpan(3), cipher), cipher);
                break;
            case 1:
                if (input.Length >= 7)
                {
                    SealedSkf((PayloadType)input[2], BinaryPrimitives.ReadUInt16BigEndian(input.AsSpan(3)),
                        BinaryPrimitives.ReadUInt16BigEndian(input.AsSpan(5)), Text(input.AsSpan(7), cipher), cipher);
                }
                break;
            default:
                Raw(input[2..], cipher);
                break;
        }
    }

    /// <summary>The cipher of suite <paramref name="index"/> with fixed keys: octets 1, 2, 3 ... and 101, 102, 103 ...</summary>
    public static IkeCipher Cipher(int index)
    {
        if (!ProposalKeywords.TryParse(Suites[index], ProtocolId.Ike, out var proposal, out var error) ||
            !IkeSuite.TryFromProposal(proposal, out var suite, out error))
            throw new InvalidOperationException(error);
        var encryption = new byte[suite.EncryptionKeySize];
        var integrity = new byte[suite.IntegrityKeySize];
        for (var i = 0; i < encryption.Length; i++)
            encryption[i] = (byte)(i + 1);
        for (var i = 0; i < integrity.Length; i++)
            integrity[i] = (byte)(i + 101);
        return IkeCipher.Create(suite, encryption, integrity, new FuzzRandom());
    }

    /// <summary>
    /// A datagram with one SK or SKF payload whose encrypted text is <paramref name="text"/> as given (padding and
    /// Pad Length included), sealed with <paramref name="cipher"/>.
    /// </summary>
    public static byte[] Seal(PayloadType type, PayloadType first, ushort number, ushort total, ReadOnlySpan<byte> text, IkeCipher cipher)
    {
        var fragmentFields = type == PayloadType.EncryptedFragment ? EncryptedFragmentPayload.FixedSize : 0;
        var payloadLength = IkePayload.GenericHeaderSize + fragmentFields + cipher.IvSize + text.Length + cipher.IcvSize;
        var datagram = new byte[IkeHeader.Size + payloadLength];
        (Header with { NextPayload = type, Length = (uint)datagram.Length }).Write(datagram);
        var pos = IkeHeader.Size;
        datagram[pos] = (byte)first;
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(pos + 2), (ushort)payloadLength);
        pos += IkePayload.GenericHeaderSize;
        if (fragmentFields > 0)
        {
            BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(pos), number);
            BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(pos + 2), total);
            pos += fragmentFields;
        }
        text.CopyTo(datagram.AsSpan(pos + cipher.IvSize));
        cipher.Seal(datagram, pos, text.Length);
        return datagram;
    }

    private static byte[] Text(ReadOnlySpan<byte> bytes, IkeCipher cipher)
    {
        if (bytes.Length > MaxText)
            bytes = bytes[..MaxText];
        var block = cipher.PaddingBlock;
        var length = Math.Max(block, (bytes.Length + block - 1) / block * block);
        var text = new byte[length];
        bytes.CopyTo(text);
        return text;
    }

    private static void SealedSk(PayloadType first, byte[] text, IkeCipher cipher)
    {
        var datagram = Seal(PayloadType.Encrypted, first, 0, 0, text, cipher);
        FuzzCheck.That(IkeMessage.TryParse(datagram, out var message, out var error), $"a well-formed SK message is refused: {error}");
        var opened = SkProtection.TryOpen(message, cipher, out var inner, out error);

        var textOffset = IkeHeader.Size + IkePayload.GenericHeaderSize + cipher.IvSize;
        var padLength = text[^1];
        var expected = padLength + 1 <= text.Length &&
            PayloadChain.TryRead(first, text.AsSpan(0, text.Length - padLength - 1), textOffset, [], out _);
        FuzzCheck.That(opened == expected, $"TryOpen says {opened}, the Pad Length and the inner chain say {expected}: {error}");
        if (!opened)
        {
            FuzzCheck.Refusal(error, datagram.Length);
            return;
        }
        CheckInner(inner);
        var resealed = SkProtection.Seal(Header, inner, cipher);
        FuzzCheck.That(IkeMessage.TryParse(resealed, out var again, out error), $"Seal wrote a message TryParse refuses: {error}");
        FuzzCheck.That(SkProtection.TryOpen(again, cipher, out var reopened, out error), $"Seal wrote a message TryOpen refuses: {error}");
        FuzzCheck.Equal(PayloadChain.ToArray(inner), PayloadChain.ToArray(reopened), "inner payloads after Seal and TryOpen");
    }

    private static void SealedSkf(PayloadType first, ushort number, ushort total, byte[] text, IkeCipher cipher)
    {
        var datagram = Seal(PayloadType.EncryptedFragment, first, number, total, text, cipher);
        var valid = number >= 1 && number <= total;
        var parsed = IkeMessage.TryParse(datagram, out var message, out var error);
        FuzzCheck.That(parsed == valid, $"fragment {number} of {total}: TryParse says {parsed}: {error}");
        if (!parsed)
        {
            FuzzCheck.Refusal(error, datagram.Length);
            return;
        }
        var opened = SkProtection.TryOpenFragment(message, cipher, out var content, out error);
        var padLength = text[^1];
        FuzzCheck.That(opened == (padLength + 1 <= text.Length), $"TryOpenFragment says {opened} with Pad Length {padLength} of {text.Length}: {error}");
        if (!opened)
        {
            FuzzCheck.Refusal(error, datagram.Length);
            return;
        }
        FuzzCheck.Equal(text.AsSpan(0, text.Length - padLength - 1), content, "fragment content");
        var resealed = SkProtection.SealFragment(Header, first, number, total, content, cipher);
        FuzzCheck.That(IkeMessage.TryParse(resealed, out var again, out error), $"SealFragment wrote a message TryParse refuses: {error}");
        FuzzCheck.That(SkProtection.TryOpenFragment(again, cipher, out var reopened, out error), $"SealFragment wrote a message TryOpenFragment refuses: {error}");
        FuzzCheck.Equal(content, reopened, "fragment content after SealFragment and TryOpenFragment");
    }

    private static void Raw(byte[] datagram, IkeCipher cipher)
    {
        if (!IkeMessage.TryParse(datagram, out var message, out var error))
        {
            FuzzCheck.Refusal(error, datagram.Length);
            return;
        }
        var last = message.Payloads.Count > 0 ? message.Payloads[^1] : null;
        if (last is EncryptedFragmentPayload)
        {
            if (SkProtection.TryOpenFragment(message, cipher, out _, out error))
                return;
        }
        else if (SkProtection.TryOpen(message, cipher, out var inner, out error))
        {
            FuzzCheck.That(last is EncryptedPayload, "TryOpen opened a message without an SK payload");
            CheckInner(inner);
            return;
        }
        FuzzCheck.Refusal(error, datagram.Length, dropAllowed: true);
    }

    /// <summary>Accepted inner payloads are canonical after one rewrite.</summary>
    private static void CheckInner(List<IkePayload> inner)
    {
        var once = PayloadChain.ToArray(inner);
        var again = new List<IkePayload>();
        FuzzCheck.That(PayloadChain.TryRead(PayloadChain.FirstType(inner), once, 0, again, out var error), $"accepted inner payloads, but their rewrite is refused: {error}");
        FuzzCheck.Equal(once, PayloadChain.ToArray(again), "the inner payloads' rewrite is not canonical");
    }
}
