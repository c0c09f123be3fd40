using System.Buffers.Binary;
using S2SEndpoint.Esp.Transforms;

namespace S2SEndpoint.Esp.Tests.Support;

/// <summary>
/// Authentic ESP packets with whatever plaintext a test needs (bad padding, a dummy, another Next Header): sealed by
/// the SA's own transform with its next sequence number, as a faulty or hostile peer holding the keys would send them.
/// </summary>
internal static class RawEsp
{
    public static byte[] Seal(EspSa outbound, byte[] text)
    {
        var transform = outbound.Transform;
        Assert.True(outbound.TryNextSequenceNumber(out var sequence));
        var packet = new byte[EspTransform.HeaderSize + transform.IvSize + text.Length + transform.IcvSize];
        BinaryPrimitives.WriteUInt32BigEndian(packet, outbound.Spi);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), unchecked((uint)sequence));
        text.CopyTo(packet, EspTransform.HeaderSize + transform.IvSize);
        transform.Seal(packet, 0, text.Length, sequence);
        return packet;
    }

    /// <summary>Payload, then padding (1, 2, 3 ... unless given), Pad Length and Next Header, aligned to the transform's block.</summary>
    public static byte[] Text(EspSa sa, byte[] payload, byte nextHeader, byte[]? padding = null, int? padLength = null)
    {
        var block = sa.Transform.BlockSize;
        padding ??= Enumerable.Range(1, Outbound.PadLength(payload.Length, block)).Select(i => (byte)i).ToArray();
        var text = new List<byte>(payload);
        text.AddRange(padding);
        text.Add((byte)(padLength ?? padding.Length));
        text.Add(nextHeader);
        Assert.Equal(0, text.Count % block);
        return [.. text];
    }
}
