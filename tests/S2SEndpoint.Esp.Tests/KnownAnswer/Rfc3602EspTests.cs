using System.Buffers.Binary;
using System.Net;
using S2SEndpoint.Esp.Tests.Support;
using S2SEndpoint.Esp.Tests.Vectors;
using S2SEndpoint.Esp.Transforms;
using S2SEndpoint.Ike.Crypto;

namespace S2SEndpoint.Esp.Tests.KnownAnswer;

/// <summary>
/// RFC 3602 section 4, Case #5 - #8: sample ESP packets with AES-128-CBC and no integrity, sealed and opened byte for
/// byte. The tunnel-mode cases (#7, #8) go through the whole outbound and inbound paths, outer IPv4 header included;
/// the transport-mode cases (#5, #6) check the ESP transform on the packet from the SPI on, since this gateway only
/// speaks tunnel mode.
/// </summary>
public sealed class Rfc3602EspTests
{
    private const int OuterHeaderSize = 20;

    private static ChildSuite ConfidentialityOnly => new(EncryptionTransform.AesCbc(128), null, KeyExchangeMethod.None, false);

    private static EspSaSettings Settings(SaDirection direction, byte[] original, string spi) => new()
    {
        Spi = BinaryPrimitives.ReadUInt32BigEndian(Convert.FromHexString(spi)),
        Direction = direction,
        // The sample tunnels run between the two hosts themselves: outer and inner addresses are the same.
        LocalAddress = new IPAddress(direction == SaDirection.Outbound ? original.AsSpan(12, 4) : original.AsSpan(16, 4)),
        RemoteAddress = new IPAddress(direction == SaDirection.Outbound ? original.AsSpan(16, 4) : original.AsSpan(12, 4)),
        // The sample packets are originated by the host, not forwarded: their inner TTL stays 64.
        DecrementInnerHopLimit = false,
    };

    public static TheoryData<string, string, string, string, string, string, string> TunnelCases() => Cases("RFC 3602 4 Case #7", "RFC 3602 4 Case #8");

    public static TheoryData<string, string, string, string, string, string, string> TransportCases() => Cases("RFC 3602 4 Case #5", "RFC 3602 4 Case #6");

    private static TheoryData<string, string, string, string, string, string, string> Cases(params string[] names)
    {
        var data = new TheoryData<string, string, string, string, string, string, string>();
        foreach (var row in CipherVectors.Rfc3602EspPackets)
        {
            if (names.Contains((string)row[0]))
                data.Add((string)row[0], (string)row[1], (string)row[2], (string)row[3], (string)row[4], (string)row[5], (string)row[6]);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(TunnelCases))]
    public void Seal_TunnelModeSample_GivesThePublishedPacket(string source, string key, string iv, string spi, string seq, string plaintext, string cipherPacket)
    {
        var original = Convert.FromHexString(plaintext);
        var expected = Convert.FromHexString(cipherPacket);
        using var sa = EspSa.CreateCore(Settings(SaDirection.Outbound, original, spi), ConfidentialityOnly, Convert.FromHexString(key), [],
            FixedRandom.Stream("0000" + iv), TimeProvider.System);
        sa.SetLastSequenceNumber(BinaryPrimitives.ReadUInt32BigEndian(Convert.FromHexString(seq)) - 1u);
        sa.NextIpId = BinaryPrimitives.ReadUInt16BigEndian(expected.AsSpan(4));
        var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
        buffer.Load(original);

        Assert.Equal(DropReason.None, Outbound.Seal(sa, buffer, Framing.IpPacket));

        Assert.Equal(cipherPacket, Convert.ToHexStringLower(buffer.Data));
        _ = source;
    }

    [Theory]
    [MemberData(nameof(TunnelCases))]
    public void Open_TunnelModeSample_GivesTheOriginalPacket(string source, string key, string iv, string spi, string seq, string plaintext, string cipherPacket)
    {
        _ = (source, iv, seq);
        var original = Convert.FromHexString(plaintext);
        using var sa = EspSa.CreateCore(Settings(SaDirection.Inbound, original, spi), ConfidentialityOnly, Convert.FromHexString(key), [],
            null, null);
        var table = new SaTable();
        table.AddInbound(sa);
        var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
        buffer.Load(Convert.FromHexString(cipherPacket), 0);

        Assert.Equal(DropReason.None, Inbound.Open(table, buffer, Framing.IpPacket, out var opener));

        Assert.Same(sa, opener);
        Assert.Equal(plaintext, Convert.ToHexStringLower(buffer.Data));
    }

    [Theory]
    [MemberData(nameof(TransportCases))]
    public void Seal_TransportModeSample_GivesThePublishedEspPacket(string source, string key, string iv, string spi, string seq, string plaintext, string cipherPacket)
    {
        _ = source;
        var original = Convert.FromHexString(plaintext);
        var expected = Convert.FromHexString(cipherPacket).AsSpan(OuterHeaderSize);
        var text = TransportText(original, blockSize: 16);
        var packet = new byte[expected.Length];
        Convert.FromHexString(spi + seq).CopyTo(packet, 0);
        text.CopyTo(packet, EspTransform.HeaderSize + 16);
        using var transform = EspTransform.Create(EncryptionTransform.AesCbc(128), null, false, Convert.FromHexString(key), [], FixedRandom.Stream(iv));

        transform.Seal(packet, 0, text.Length, BinaryPrimitives.ReadUInt32BigEndian(Convert.FromHexString(seq)));

        Assert.Equal(Convert.ToHexStringLower(expected), Convert.ToHexStringLower(packet));
    }

    [Theory]
    [MemberData(nameof(TransportCases))]
    public void Open_TransportModeSample_GivesPayloadPaddingAndNextHeader(string source, string key, string iv, string spi, string seq, string plaintext, string cipherPacket)
    {
        _ = (source, iv, spi);
        var original = Convert.FromHexString(plaintext);
        var packet = Convert.FromHexString(cipherPacket)[OuterHeaderSize..];
        var text = TransportText(original, blockSize: 16);
        using var transform = EspTransform.Create(EncryptionTransform.AesCbc(128), null, false, Convert.FromHexString(key), [], new SeededRandom(1));

        Assert.True(transform.TryOpen(packet, 0, text.Length, BinaryPrimitives.ReadUInt32BigEndian(Convert.FromHexString(seq))));

        Assert.Equal(Convert.ToHexStringLower(text), Convert.ToHexStringLower(packet.AsSpan(EspTransform.HeaderSize + 16, text.Length)));
    }

    /// <summary>Transport mode: the original packet's payload, padding 1, 2, 3 ..., Pad Length, Next Header = its protocol.</summary>
    private static byte[] TransportText(byte[] original, int blockSize)
    {
        var payload = original.AsSpan(20);
        var padLength = Outbound.PadLength(payload.Length, blockSize);
        var text = new byte[payload.Length + padLength + 2];
        payload.CopyTo(text);
        for (var i = 0; i < padLength; i++)
            text[payload.Length + i] = (byte)(i + 1);
        text[^2] = (byte)padLength;
        text[^1] = original[9];
        return text;
    }
}
