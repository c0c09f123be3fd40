using System.Buffers.Binary;
using System.Net;
using S2SEndpoint.Esp.Tests.Support;
using S2SEndpoint.Esp.Tests.Vectors;
using S2SEndpoint.Esp.Transforms;
using S2SEndpoint.Ike.Crypto;

namespace S2SEndpoint.Esp.Tests.KnownAnswer;

/// <summary>
/// AES-GCM in ESP (RFC 4106): the draft-mcgrew-gcm-test-01 packets sealed and opened by the transform (salt and
/// explicit IV, AAD of SPI and 32-bit or extended sequence number, the ESN's high half never sent), then opened by the
/// whole inbound path; and the GCM specification's test cases on the transform's AEAD step.
/// </summary>
public sealed class GcmEspTests
{
    private static (AeadTransform Transform, ulong Sequence, bool Esn) Transform(string key, string salt, string sequence, string iv)
    {
        var esn = sequence.Length == 16;
        var seq = esn ? BinaryPrimitives.ReadUInt64BigEndian(Convert.FromHexString(sequence)) : BinaryPrimitives.ReadUInt32BigEndian(Convert.FromHexString(sequence));
        // The IV is the sequence number XORed with the SA's mask: this mask makes the case's sequence number carry the case's IV.
        var mask = BinaryPrimitives.ReadUInt64BigEndian(Convert.FromHexString(iv)) ^ seq;
        var random = FixedRandom.Stream(mask.ToString("x16", System.Globalization.CultureInfo.InvariantCulture));
        var keyBytes = Convert.FromHexString(key + salt);
        var transform = (AeadTransform)EspTransform.Create(EncryptionTransform.AesGcm16(key.Length * 4), null, esn, keyBytes, [], random);
        return (transform, seq, esn);
    }

    [Theory]
    [MemberData(nameof(GcmEspVectors.Packets), MemberType = typeof(GcmEspVectors))]
    public void Seal_DraftMcGrewCase_GivesThePublishedPacket(string source, string key, string salt, string spi, string sequence, string iv, string plaintext, string packet)
    {
        _ = source;
        var (transform, seq, _) = Transform(key, salt, sequence, iv);
        using (transform)
        {
            var text = Convert.FromHexString(plaintext);
            var buffer = new byte[packet.Length / 2];
            BinaryPrimitives.WriteUInt32BigEndian(buffer, Convert.ToUInt32(spi, 16));
            BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(4), unchecked((uint)seq));
            text.CopyTo(buffer, EspTransform.HeaderSize + AeadTransform.ExplicitIvSize);

            transform.Seal(buffer, 0, text.Length, seq);

            Assert.Equal(packet, Convert.ToHexStringLower(buffer));
        }
    }

    [Theory]
    [MemberData(nameof(GcmEspVectors.Packets), MemberType = typeof(GcmEspVectors))]
    public void Open_DraftMcGrewCase_GivesThePlaintext(string source, string key, string salt, string spi, string sequence, string iv, string plaintext, string packet)
    {
        _ = (source, spi);
        var (transform, seq, _) = Transform(key, salt, sequence, iv);
        using (transform)
        {
            var buffer = Convert.FromHexString(packet);
            var textLength = plaintext.Length / 2;

            Assert.True(transform.TryOpen(buffer, 0, textLength, seq));

            Assert.Equal(plaintext, Convert.ToHexStringLower(buffer.AsSpan(EspTransform.HeaderSize + AeadTransform.ExplicitIvSize, textLength)));
        }
    }

    [Theory]
    [MemberData(nameof(GcmEspVectors.Packets), MemberType = typeof(GcmEspVectors))]
    public void Open_DraftMcGrewCaseWithWrongEsnHighHalf_IsRefused(string source, string key, string salt, string spi, string sequence, string iv, string plaintext, string packet)
    {
        _ = (source, spi);
        var (transform, seq, esn) = Transform(key, salt, sequence, iv);
        using (transform)
        {
            // With ESN the high half is in the AAD only; without, the AAD has no high half and 2^32 more is another packet.
            var other = esn ? seq ^ (1UL << 40) : seq;
            var buffer = Convert.FromHexString(packet);
            var expectOpen = !esn;

            Assert.Equal(expectOpen, transform.TryOpen(buffer, 0, plaintext.Length / 2, other));
        }
    }

    [Theory]
    [InlineData("draft-mcgrew-gcm-test-01 4 Test Case 2")]
    [InlineData("draft-mcgrew-gcm-test-01 4 Test Case 3")]
    [InlineData("draft-mcgrew-gcm-test-01 4 Test Case 7")]
    public void Open_DraftMcGrewPacketInTunnelMode_AuthenticatesThenRefusesNextHeader1(string name)
    {
        var row = Row(name);
        var (key, salt, spi, sequence, packet) = ((string)row[1], (string)row[2], (string)row[3], (string)row[4], (string)row[7]);
        var suite = new ChildSuite(EncryptionTransform.AesGcm16(key.Length * 4), null, KeyExchangeMethod.None, false);
        using var sa = EspSa.Create(new EspSaSettings
        {
            Spi = Convert.ToUInt32(spi, 16),
            Direction = SaDirection.Inbound,
            LocalAddress = IPAddress.Parse("192.168.1.1"),
            RemoteAddress = IPAddress.Parse("192.168.1.2"),
        }, suite, Convert.FromHexString(key + salt), []);
        var table = new SaTable();
        table.AddInbound(sa);
        var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
        buffer.Load(Convert.FromHexString(packet), 0);

        // The draft's plaintexts end in Next Header 1: the ICV passes and the window moves, then tunnel mode refuses it.
        Assert.Equal(DropReason.BadNextHeader, Inbound.Open(table, buffer, out _));
        Assert.Equal(Convert.ToUInt32(sequence, 16), sa.LastSequenceNumber);
    }

    [Theory]
    [MemberData(nameof(CipherVectors.GcmSpec), MemberType = typeof(CipherVectors))]
    public void AeadStep_GcmSpecTestCase_GivesCiphertextAndTag(string source, string key, string iv, string plaintext, string aad, string ciphertext, string tag)
    {
        _ = source;
        // RFC 4106 4: nonce = salt (4 octets of KEYMAT) | explicit IV (8); the spec's 96-bit IV splits the same way.
        var nonce = Convert.FromHexString(iv);
        using var transform = (AeadTransform)EspTransform.Create(EncryptionTransform.AesGcm16(key.Length * 4), null, false,
            [.. Convert.FromHexString(key), .. nonce[..4]], [], new SeededRandom(1));
        var text = Convert.FromHexString(plaintext);
        var computedTag = new byte[AeadTransform.TagSize];

        transform.Encrypt(nonce.AsSpan(4), Convert.FromHexString(aad), text, computedTag);

        Assert.Equal(ciphertext, Convert.ToHexStringLower(text));
        Assert.Equal(tag, Convert.ToHexStringLower(computedTag));
        Assert.True(transform.TryDecrypt(nonce.AsSpan(4), Convert.FromHexString(aad), text, computedTag));
        Assert.Equal(plaintext, Convert.ToHexStringLower(text));
    }

    private static object[] Row(string name)
    {
        foreach (var row in GcmEspVectors.Packets)
        {
            if ((string)row[0] == name)
                return row;
        }
        throw new ArgumentException($"no vector named {name}", nameof(name));
    }
}
