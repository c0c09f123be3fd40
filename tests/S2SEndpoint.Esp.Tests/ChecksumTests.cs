using System.Buffers.Binary;

namespace S2SEndpoint.Esp.Tests;

/// <summary>The Internet checksum (RFC 1071): the word-at-a-time sum against the definition, 16-bit words in network order.</summary>
public sealed class ChecksumTests
{
    /// <summary>RFC 1071 4.1, one 16-bit word at a time, an odd last octet padded with zero.</summary>
    private static ushort Reference(ReadOnlySpan<byte> data, ulong start = 0)
    {
        var sum = start;
        for (var i = 0; i < data.Length; i += 2)
            sum += i + 1 < data.Length ? BinaryPrimitives.ReadUInt16BigEndian(data[i..]) : (ulong)data[i] << 8;
        while (sum >> 16 != 0)
            sum = (sum & 0xFFFF) + (sum >> 16);
        return unchecked((ushort)~sum);
    }

    [Fact]
    public void Compute_EveryLengthAndOffset_EqualsTheDefinition()
    {
        var random = new Random(1071);
        var data = new byte[4096];
        random.NextBytes(data);
        for (var length = 0; length <= 300; length++)
        {
            for (var offset = 0; offset < 9; offset++)
            {
                var slice = data.AsSpan(offset, length);
                Assert.Equal(Reference(slice), Checksum.Compute(slice));
            }
        }
        Assert.Equal(Reference(data), Checksum.Compute(data));
    }

    [Fact]
    public void Add_WithARunningSum_EqualsTheDefinition()
    {
        var data = new byte[65535];
        data.AsSpan().Fill(0xFF);
        Assert.Equal(Reference(data, 0x1234_5678), Checksum.Finish(Checksum.Add(0x1234_5678, data)));
        Assert.Equal(Reference(data.AsSpan(0, 1501), 17), Checksum.Finish(Checksum.Add(17, data.AsSpan(0, 1501))));
    }

    /// <summary>RFC 1071 3: the example sum of 00 01 f2 03 f4 f5 f6 f7 is ddf2, so the checksum is 220d.</summary>
    [Fact]
    public void Compute_Rfc1071Example()
    {
        byte[] data = [0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7];
        Assert.Equal(0x220D, Checksum.Compute(data));
    }
}
