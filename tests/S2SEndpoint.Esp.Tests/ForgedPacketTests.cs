using System.Buffers.Binary;
using S2SEndpoint.Esp.Tests.Support;
using S2SEndpoint.Esp.Transforms;
using S2SEndpoint.Ike.Crypto;

namespace S2SEndpoint.Esp.Tests;

/// <summary>
/// A forged packet on an AEAD SA (AES-GCM-16, ChaCha20-Poly1305) is an answer, not an exception: it is dropped as
/// IcvMismatch without any exception being raised, not even one caught inside, without allocating, without leaving
/// unauthenticated plaintext or an OpenSSL error behind, and without disturbing the SA: valid packets open after a
/// thousand forgeries and the replay window has not moved.
/// </summary>
public sealed class ForgedPacketTests
{
    private const int ExplicitIv = EspTransform.HeaderSize;
    private const int Text = EspTransform.HeaderSize + AeadTransform.ExplicitIvSize;

    private static readonly string[] Aeads = ["aes128gcm16", "aes192gcm16", "aes256gcm16", "chacha20poly1305"];

    public static TheoryData<string> AeadTransforms() => [.. WithAndWithoutEsn()];

    /// <summary>Every AEAD, with and without ESN, against each region a one-bit change can hit behind the SPI.</summary>
    public static TheoryData<string, string> Forgeries()
    {
        var data = new TheoryData<string, string>();
        foreach (var keywords in WithAndWithoutEsn())
        {
            foreach (var region in new[] { "sequence number", "IV", "first text octet", "Next Header", "first ICV octet", "last ICV octet" })
                data.Add(keywords, region);
        }
        return data;
    }

    private static IEnumerable<string> WithAndWithoutEsn() => Aeads.SelectMany(keywords => new[] { keywords, keywords + "-esn" });

    [Theory]
    [MemberData(nameof(Forgeries))]
    public void Open_OneBitFlipped_DropsAsIcvMismatchWithoutRaisingAnyException(string keywords, string region)
    {
        using var pair = SaPair.Create(keywords);
        var inner = TestPackets.Udp(false, 90);
        pair.Seal(inner);
        pair.Seal(inner);
        // Sequence number 3: flipping any of its bits gives a number above 0 that no packet has used, so the
        // replay check lets every forgery through to the ICV check.
        var packet = pair.Seal(inner);
        var textLength = packet.Length - Text - AeadTransform.TagSize;
        var offset = region switch
        {
            "sequence number" => 7,
            "IV" => ExplicitIv,
            "first text octet" => Text,
            "Next Header" => Text + textLength - 1,
            "first ICV octet" => packet.Length - AeadTransform.TagSize,
            _ => packet.Length - 1,
        };
        var reasons = new List<DropReason>();

        using (var exceptions = new FirstChanceExceptions())
        {
            for (var bit = 0; bit < 8; bit++)
            {
                var forged = (byte[])packet.Clone();
                forged[offset] ^= (byte)(1 << bit);
                reasons.Add(pair.Open(forged).Reason);
            }

            Assert.True(exceptions.Count == 0, $"{exceptions.Count} exceptions raised while opening 8 forgeries, the first a {exceptions.First}");
        }
        Assert.All(reasons, reason => Assert.Equal(DropReason.IcvMismatch, reason));
        Assert.Equal(8, pair.Inbound.Drops.Count(DropReason.IcvMismatch));
        Assert.Equal(8, pair.Inbound.Drops.Total);
        Assert.Equal(DropReason.None, pair.Open(packet).Reason);
    }

    [Theory]
    [MemberData(nameof(AeadTransforms))]
    public void Open_SpiOfAnotherSaWithTheSameKeys_DropsAsIcvMismatch(string keywords)
    {
        // The twin has the same seed, so the same keys and IV mask: only the SPI in the AAD tells its packets apart.
        using var pair = SaPair.Create(keywords);
        using var twin = SaPair.Create(keywords, spi: SaPair.DefaultSpi ^ 1);
        pair.Table.AddInbound(twin.Inbound);
        var inner = TestPackets.Udp(false, 90);
        var forged = pair.Seal(inner);
        forged[3] ^= 1;

        using (var exceptions = new FirstChanceExceptions())
        {
            Assert.Equal(DropReason.IcvMismatch, pair.Open(forged).Reason);
            Assert.Equal(0, exceptions.Count);
        }
        Assert.Equal(1, twin.Inbound.Drops.Count(DropReason.IcvMismatch));
        Assert.Equal(0, pair.Inbound.Drops.Total);
        Assert.Equal(DropReason.None, pair.Open(twin.Seal(inner)).Reason);
    }

    [Theory]
    [MemberData(nameof(AeadTransforms))]
    public void Open_ValidPacketsAfterAThousandForgeries_OpenAndTheWindowHasNotMoved(string keywords)
    {
        using var pair = SaPair.Create(keywords);
        var inner = TestPackets.Udp(false, 200);
        var first = pair.Seal(inner);
        var second = pair.Seal(inner);
        var third = pair.Seal(inner);
        Assert.Equal(DropReason.None, pair.Open(first).Reason);
        var random = new Random(7);

        for (var i = 0; i < 1000; i++)
        {
            var forged = (byte[])third.Clone();
            if (i % 2 == 0)
            {
                // One bit anywhere in the IV, the text or the ICV.
                var bit = random.Next(ExplicitIv * 8, forged.Length * 8);
                forged[bit / 8] ^= (byte)(0x80 >> (bit % 8));
            }
            else
            {
                // A sequence number far ahead: had it been accepted, the window would have left 2 and 3 behind.
                BinaryPrimitives.WriteUInt32BigEndian(forged.AsSpan(4), (uint)(1_000_000 + i));
            }
            Assert.Equal(DropReason.IcvMismatch, pair.Open(forged).Reason);
        }

        Assert.Equal(1UL, pair.Inbound.LastSequenceNumber);
        Assert.Equal(DropReason.None, pair.Open(third).Reason);
        Assert.Equal(DropReason.None, pair.Open(second).Reason);
        Assert.Equal(DropReason.Replayed, pair.Open(first).Reason);
        Assert.Equal(DropReason.Replayed, pair.Open(third).Reason);
        Assert.Equal(3UL, pair.Inbound.LastSequenceNumber);
        Assert.Equal(3UL, pair.Inbound.Packets);
        Assert.Equal(1000, pair.Inbound.Drops.Count(DropReason.IcvMismatch));
        Assert.Equal(2, pair.Inbound.Drops.Count(DropReason.Replayed));
    }

    [Theory]
    [MemberData(nameof(AeadTransforms))]
    public void OpenForged_AfterWarmUp_AllocatesNothing(string keywords)
    {
        const int warmUp = 300;
        const int measured = 3000;
        using var pair = SaPair.Create(keywords);
        var forged = pair.Seal(TestPackets.Udp(false, 1400));
        forged[^1] ^= 1;
        var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);

        OpenForged(pair.Table, buffer, forged, warmUp);
        // As in AllocationTests: up to three rounds, for a one-off allocation of the runtime's tiering.
        var rounds = new List<long>();
        for (var round = 0; round < 3 && (rounds.Count == 0 || rounds[^1] != 0); round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            OpenForged(pair.Table, buffer, forged, measured);
            rounds.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.True(rounds[^1] == 0, $"allocated {string.Join(", ", rounds)} bytes in rounds of {measured} forged packets");
        Assert.Equal(warmUp + rounds.Count * measured, pair.Inbound.Drops.Count(DropReason.IcvMismatch));
    }

    [Theory]
    [MemberData(nameof(AeadTransforms))]
    public void TryOpen_Forged_ReturnsFalseZeroesTheTextAndLeavesNoOpenSslError(string keywords)
    {
        using var pair = SaPair.Create(keywords);
        var forged = pair.Seal(TestPackets.Udp(false, 200));
        forged[^1] ^= 0x80;
        var untouched = (byte[])forged.Clone();
        var textLength = forged.Length - Text - AeadTransform.TagSize;
        LibCrypto.ErrClearError();

        Assert.False(pair.Inbound.Transform.TryOpen(forged, 0, textLength, 1));

        Assert.Equal(0u, (uint)LibCrypto.ErrPeekError());
        Assert.Equal(-1, forged.AsSpan(Text, textLength).IndexOfAnyExcept((byte)0));
        Assert.Equal(untouched.AsSpan(0, Text), forged.AsSpan(0, Text));
        Assert.Equal(untouched.AsSpan(Text + textLength), forged.AsSpan(Text + textLength));
    }

    private static void OpenForged(SaTable table, PacketBuffer buffer, byte[] forged, int count)
    {
        for (var i = 0; i < count; i++)
        {
            buffer.Load(forged, 0);
            var reason = Inbound.Open(table, buffer, out _);
            if (reason != DropReason.IcvMismatch)
                Assert.Fail($"forged packet {i}: {reason}");
        }
    }
}
