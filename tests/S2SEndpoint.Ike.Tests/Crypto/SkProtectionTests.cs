using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Tests.Crypto;

/// <summary>
/// A contract suite run over every IKE cipher: SK and SKF messages seal and open, and a change of one
/// bit anywhere in a sealed datagram is refused.
/// </summary>
public sealed class SkProtectionTests
{
    public static TheoryData<string> IkeCiphers => new()
    {
        "aes128-sha1-modp2048", "aes192-sha256-modp2048", "aes256-sha384-modp2048", "aes256-sha512-modp2048",
        "aes128gcm16-prfsha256-modp2048", "aes192gcm16-prfsha256-modp2048", "aes256gcm16-prfsha384-modp2048",
        "chacha20poly1305-prfsha256-modp2048",
    };

    private static readonly IkeHeader Header = new(0x0102030405060708, 0x1112131415161718, PayloadType.Encrypted,
        ExchangeType.IkeAuth, HeaderFlags.Initiator, 1, 0);

    private static (IkeCipher Sender, IkeCipher Receiver) Pair(string keywords)
    {
        Assert.True(ProposalKeywords.TryParse(keywords, ProtocolId.Ike, out var proposal, out var error), error);
        Assert.True(IkeSuite.TryFromProposal(proposal, out var suite, out error), error);
        var random = new SeededRandom(7);
        var encr = new byte[suite.EncryptionKeySize];
        var integ = new byte[suite.IntegrityKeySize];
        random.Fill(encr);
        random.Fill(integ);
        return (IkeCipher.Create(suite, encr, integ, random), IkeCipher.Create(suite, encr, integ, random));
    }

    private static List<IkePayload> SamplePayloads() =>
    [
        new IdentificationPayload(true, Identity.Parse("moon.s2s.test")),
        NotifyPayload.Status(NotifyType.InitialContact),
        new AuthenticationPayload(AuthMethod.SharedKeyMessageIntegrityCode, new byte[32]),
        new TrafficSelectorPayload(true, [TrafficSelector.FromPrefix(System.Net.IPAddress.Parse("10.1.0.0"), 24)]),
    ];

    [Theory]
    [MemberData(nameof(IkeCiphers))]
    public void Seal_ThenOpen_GivesThePayloadsBack(string keywords)
    {
        var (sender, receiver) = Pair(keywords);
        using (sender)
        using (receiver)
        {
            var payloads = SamplePayloads();
            var datagram = Seal(sender, payloads);

            Assert.True(IkeMessage.TryParse(datagram, out var message, out var error), error.ToString());
            Assert.Equal(PayloadType.IdInitiator, Assert.IsType<EncryptedPayload>(Assert.Single(message.Payloads)).FirstInnerPayload);
            Assert.True(SkProtection.TryOpen(message, receiver, out var inner, out error), error.ToString());
            Assert.Equal(PayloadChain.ToArray(payloads), PayloadChain.ToArray(inner));
            Assert.Equal(datagram, message.ToArray());
        }
    }

    [Theory]
    [MemberData(nameof(IkeCiphers))]
    public void Open_AnyBitFlipped_IsRefused(string keywords)
    {
        var (sender, receiver) = Pair(keywords);
        using (sender)
        using (receiver)
        {
            var datagram = Seal(sender, SamplePayloads());
            for (var bit = 0; bit < datagram.Length * 8; bit++)
            {
                var tampered = (byte[])datagram.Clone();
                tampered[bit / 8] ^= (byte)(1 << (bit % 8));
                // A flip in the header or SK header may already fail parsing; either way nothing opens.
                var opened = IkeMessage.TryParse(tampered, out var message, out _) &&
                    SkProtection.TryOpen(message, receiver, out _, out _);
                Assert.False(opened, $"{keywords}: flipping bit {bit} of {datagram.Length * 8} was not detected");
            }
        }
    }

    /// <summary>A forged message costs what a valid one does: the AEAD's refusal is an answer, never an exception.</summary>
    [Theory]
    [InlineData("aes256gcm16-prfsha384-ecp384")]
    [InlineData("chacha20poly1305-prfsha256-x25519")]
    public void Open_ForgedAeadMessage_RefusedWithoutAnException(string keywords)
    {
        var (sender, receiver) = Pair(keywords);
        using (sender)
        using (receiver)
        {
            var datagram = Seal(sender, SamplePayloads());
            datagram[^1] ^= 1;
            Assert.True(IkeMessage.TryParse(datagram, out var message, out _));
            var thread = Environment.CurrentManagedThreadId;
            var thrown = 0;
            void Count(object? o, System.Runtime.ExceptionServices.FirstChanceExceptionEventArgs e)
            {
                if (Environment.CurrentManagedThreadId == thread)
                    Interlocked.Increment(ref thrown);
            }
            AppDomain.CurrentDomain.FirstChanceException += Count;
            try
            {
                for (var i = 0; i < 100; i++)
                    Assert.False(SkProtection.TryOpen(message, receiver, out _, out _));
            }
            finally
            {
                AppDomain.CurrentDomain.FirstChanceException -= Count;
            }
            Assert.Equal(0, thrown);
        }
    }

    [Theory]
    [MemberData(nameof(IkeCiphers))]
    public void Open_IcvMismatch_MeansDropWithoutNotify(string keywords)
    {
        var (sender, receiver) = Pair(keywords);
        using (sender)
        using (receiver)
        {
            var datagram = Seal(sender, SamplePayloads());
            datagram[^1] ^= 1;
            Assert.True(IkeMessage.TryParse(datagram, out var message, out _));
            Assert.False(SkProtection.TryOpen(message, receiver, out _, out var error));
            Assert.Equal(NotifyType.None, error.Notify);
        }
    }

    [Theory]
    [MemberData(nameof(IkeCiphers))]
    public void SealFragment_EveryFragment_OpensAndReassembles(string keywords)
    {
        var (sender, receiver) = Pair(keywords);
        using (sender)
        using (receiver)
        {
            // RFC 7383 2.5: the inner payload octets are cut into pieces, each sealed in its own SKF.
            var payloads = SamplePayloads();
            payloads.Add(new CertificatePayload(false, CertificateEncoding.X509Signature, new byte[900]));
            var inner = PayloadChain.ToArray(payloads);
            const int DatagramSize = 300;
            var piece = SkProtection.MaxFragmentContent(DatagramSize, sender);
            var total = (ushort)((inner.Length + piece - 1) / piece);
            var reassembled = new List<byte>();
            for (ushort n = 1; n <= total; n++)
            {
                var chunk = inner.AsSpan((n - 1) * piece, Math.Min(piece, inner.Length - ((n - 1) * piece)));
                var datagram = SkProtection.SealFragment(Header, PayloadChain.FirstType(payloads), n, total, chunk, sender);
                Assert.True(datagram.Length <= DatagramSize, $"fragment {n} is {datagram.Length} octets");
                Assert.True(IkeMessage.TryParse(datagram, out var message, out var error), error.ToString());
                var skf = Assert.IsType<EncryptedFragmentPayload>(Assert.Single(message.Payloads));
                Assert.Equal(n == 1 ? PayloadType.IdInitiator : PayloadType.NoNextPayload, skf.FirstInnerPayload);
                Assert.Equal(total, skf.TotalFragments);
                Assert.True(SkProtection.TryOpenFragment(message, receiver, out var content, out error), error.ToString());
                reassembled.AddRange(content);
            }
            Assert.Equal(inner, reassembled);
            var result = new List<IkePayload>();
            Assert.True(PayloadChain.TryRead(PayloadType.IdInitiator, reassembled.ToArray(), 0, result, out var readError), readError.ToString());
            Assert.Equal(5, result.Count);
        }
    }

    [Theory]
    [MemberData(nameof(IkeCiphers))]
    public void MaxFragmentContent_FillsTheDatagramExactly(string keywords)
    {
        var (sender, _) = Pair(keywords);
        using (sender)
        {
            var piece = SkProtection.MaxFragmentContent(576, sender);
            var datagram = SkProtection.SealFragment(Header, PayloadType.Nonce, 1, 2, new byte[piece], sender);
            Assert.InRange(datagram.Length, 576 - sender.PaddingBlock + 1, 576);
        }
    }

    [Fact]
    public void Open_WithTheOtherDirectionsKey_IsRefused()
    {
        Assert.True(ProposalKeywords.TryParse("aes256-sha256-modp2048", ProtocolId.Ike, out var proposal, out _));
        Assert.True(IkeSuite.TryFromProposal(proposal, out var suite, out _));
        using var keys = IkeKeys.Derive(suite, new byte[32], new byte[16], new byte[16], 1, 2);
        using var initiator = IkeCipher.Create(suite, keys.SkEi, keys.SkAi, new SeededRandom(1));
        using var wrong = IkeCipher.Create(suite, keys.SkEr, keys.SkAr, new SeededRandom(1));
        var datagram = Seal(initiator, SamplePayloads());
        Assert.True(IkeMessage.TryParse(datagram, out var message, out _));
        Assert.False(SkProtection.TryOpen(message, wrong, out _, out _));
    }

    [Fact]
    public void Open_CbcCiphertextNotBlockAligned_IsDroppedSilently()
    {
        var (sender, receiver) = Pair("aes128-sha1-modp2048");
        using (sender)
        using (receiver)
        {
            var datagram = Seal(sender, SamplePayloads());
            // Remove one octet of ciphertext and fix up both lengths: the structure is valid, the block is not.
            var shorter = datagram.Take(IkeHeader.Size + 4 + 16).Concat(datagram.Skip(IkeHeader.Size + 4 + 16 + 1)).ToArray();
            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(shorter.AsSpan(24), (uint)shorter.Length);
            System.Buffers.Binary.BinaryPrimitives.WriteUInt16BigEndian(shorter.AsSpan(IkeHeader.Size + 2), (ushort)(shorter.Length - IkeHeader.Size));
            Assert.True(IkeMessage.TryParse(shorter, out var message, out _));
            // Before the ICV is checked nothing is known to come from the peer: no notify answers it.
            Assert.False(SkProtection.TryOpen(message, receiver, out _, out var error));
            Assert.Equal(NotifyType.None, error.Notify);
        }
    }

    [Fact]
    public void Seal_AeadIvs_NeverRepeatUnderOneKey()
    {
        var (sender, _) = Pair("aes256gcm16-prfsha384-modp2048");
        using (sender)
        {
            var ivs = new HashSet<string>();
            for (var i = 0; i < 100; i++)
            {
                var datagram = Seal(sender, SamplePayloads());
                Assert.True(ivs.Add(Convert.ToHexString(datagram.AsSpan(IkeHeader.Size + 4, 8))));
            }
        }
    }

    private static byte[] Seal(IkeCipher cipher, List<IkePayload> payloads) => SkProtection.Seal(Header, payloads, cipher);
}
