using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using S2SEndpoint.Esp;
using S2SEndpoint.Fuzz.Targets;
using S2SEndpoint.Gateway.Tun;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Fuzz;

/// <summary>
/// The first corpus of each target, before any fuzzing: the strongSwan 5.9.8 captures of
/// tests/S2SEndpoint.Ike.Tests/Golden (datagrams, and the SK plaintexts charon logged), ESP packets of every
/// transform, and the example configurations. fuzz/run.sh writes them only when a target has no corpus yet.
/// </summary>
internal static class Seeds
{
    private const int MarkerLength = 4;
    private const int HeaderNextPayloadOffset = 16;
    private const int HeaderLengthOffset = 24;

    /// <summary>Writes the seeds of <paramref name="target"/>, named by their SHA-256, and returns how many.</summary>
    public static int Write(string target, string directory, string repository)
    {
        var golden = Path.Combine(repository, "tests", "S2SEndpoint.Ike.Tests", "Golden", "strongswan-5.9.8");
        Directory.CreateDirectory(directory);
        var seeds = target switch
        {
            IkeMessageTarget.Name => IkeMessages(golden),
            IkeSkTarget.Name => SkPayloads(golden),
            IkeFragmentsTarget.Name => Fragments(golden),
            EspOpenTarget.Name => EspPackets(),
            ConfigTarget.Name => Configs(Path.Combine(repository, "examples")),
            TunOffloadTarget.Name => TunFrames(),
            _ => throw new ArgumentException($"no seeds for '{target}'", nameof(target)),
        };
        foreach (var seed in seeds)
            File.WriteAllBytes(Path.Combine(directory, Convert.ToHexStringLower(SHA256.HashData(seed))[..16]), seed);
        return seeds.Count;
    }

    // ---- IKE ----

    private sealed record Capture(byte[] Datagram, PayloadType SkFirst, byte[]? SkPlain);

    private static List<Capture> Captures(string golden)
    {
        var captures = new List<Capture>();
        foreach (var file in Directory.GetFiles(golden, "*.txt").Order(StringComparer.Ordinal))
        {
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var line in File.ReadLines(file))
            {
                var eq = line.IndexOf(" =", StringComparison.Ordinal);
                if (line.Length > 0 && line[0] != '#' && eq > 0)
                    values[line[..eq]] = line[(eq + 2)..].Trim();
            }
            var count = int.Parse(values["msg_count"], CultureInfo.InvariantCulture);
            for (var n = 0; n < count; n++)
            {
                var datagram = Convert.FromHexString(values[$"msg.{n}.hex"]);
                if (values[$"msg.{n}.nonesp_marker"] == "true")
                    datagram = datagram[MarkerLength..];
                var first = values.TryGetValue($"msg.{n}.sk_first_payload", out var f)
                    ? (PayloadType)byte.Parse(f, CultureInfo.InvariantCulture) : PayloadType.NoNextPayload;
                var plain = values.TryGetValue($"msg.{n}.sk_plain", out var p) ? Convert.FromHexString(p) : null;
                captures.Add(new Capture(datagram, first, first == PayloadType.NoNextPayload && plain is null ? null : plain ?? []));
            }
        }
        return captures;
    }

    private static List<byte[]> IkeMessages(string golden)
    {
        var seeds = new List<byte[]>();
        foreach (var c in Captures(golden))
        {
            seeds.Add(c.Datagram);
            if (c.SkPlain is null)
                continue;
            // The SK plaintext sent in the clear after its message's header: every inner payload type in a datagram.
            var clear = new byte[IkeHeader.Size + c.SkPlain.Length];
            c.Datagram.AsSpan(0, IkeHeader.Size).CopyTo(clear);
            clear[HeaderNextPayloadOffset] = (byte)c.SkFirst;
            BinaryPrimitives.WriteUInt32BigEndian(clear.AsSpan(HeaderLengthOffset), (uint)clear.Length);
            c.SkPlain.CopyTo(clear, IkeHeader.Size);
            seeds.Add(clear);
        }
        return seeds;
    }

    private static List<byte[]> SkPayloads(string golden)
    {
        var seeds = new List<byte[]>();
        var i = 0;
        foreach (var c in Captures(golden).Where(c => c.SkPlain is not null))
        {
            var suite = i++ % IkeSkTarget.Suites.Length;
            using var cipher = IkeSkTarget.Cipher(suite);
            var text = Padded(c.SkPlain!, cipher.PaddingBlock);
            seeds.Add([(byte)suite, 0, (byte)c.SkFirst, .. text]);
            seeds.Add([(byte)suite, 1, (byte)c.SkFirst, 0, 1, 0, 1, .. text]);
            seeds.Add([(byte)suite, 1, 0, 0, 2, 0, 2, .. text]);
            var payloads = new List<IkePayload>();
            if (!PayloadChain.TryRead(c.SkFirst, c.SkPlain!, 0, payloads, out var error))
                throw new InvalidOperationException(error.ToString());
            var header = new IkeHeader(1, 2, PayloadType.Encrypted, ExchangeType.IkeAuth, HeaderFlags.Initiator, 1, 0);
            seeds.Add([(byte)suite, 2, .. SkProtection.Seal(header, payloads, cipher)]);
            seeds.Add([(byte)suite, 2, .. SkProtection.SealFragment(header, c.SkFirst, 1, 2, c.SkPlain.AsSpan(0, c.SkPlain!.Length / 2), cipher)]);
        }
        return seeds;
    }

    /// <summary>Text with RFC 7296 3.14's padding and Pad Length, a whole number of blocks.</summary>
    private static byte[] Padded(byte[] plain, int block)
    {
        var padding = (block - ((plain.Length + 1) % block)) % block;
        return [.. plain, .. new byte[padding], (byte)padding];
    }

    private static List<byte[]> Fragments(string golden)
    {
        var seeds = new List<byte[]>();
        foreach (var c in Captures(golden).Where(c => c.SkPlain is { Length: > 0 }).Take(4))
        {
            var plain = c.SkPlain!;
            var third = plain.Length / 3;
            byte[][] pieces = [plain[..third], plain[third..(2 * third)], plain[(2 * third)..]];
            // In order; out of order with a retransmission; refragmented from two pieces to three; two messages.
            seeds.Add([.. Record(1, c.SkFirst, 1, 3, pieces[0]), .. Record(1, 0, 2, 3, pieces[1]), .. Record(1, 0, 3, 3, pieces[2])]);
            seeds.Add([.. Record(2, 0, 3, 3, pieces[2]), .. Record(2, c.SkFirst, 1, 3, pieces[0]), .. Record(2, c.SkFirst, 1, 3, pieces[0]), .. Record(2, 0, 2, 3, pieces[1])]);
            seeds.Add([.. Record(3, c.SkFirst, 1, 2, pieces[0]), .. Record(3, c.SkFirst, 1, 3, pieces[0]), .. Record(3, 0, 2, 3, pieces[1]), .. Record(3, 0, 3, 3, pieces[2])]);
            seeds.Add([.. Record(4, c.SkFirst, 1, 2, pieces[0]), .. Record(5, c.SkFirst, 1, 1, pieces[1]), .. Record(4, 0, 2, 2, pieces[2])]);
        }
        return seeds;
    }

    private static byte[] Record(byte messageId, PayloadType first, ushort number, ushort total, byte[] content)
    {
        var length = Math.Min(content.Length, byte.MaxValue);
        var record = new byte[7 + length];
        record[0] = messageId;
        record[1] = (byte)first;
        BinaryPrimitives.WriteUInt16BigEndian(record.AsSpan(2), number);
        BinaryPrimitives.WriteUInt16BigEndian(record.AsSpan(4), total);
        record[6] = (byte)length;
        content.AsSpan(0, length).CopyTo(record.AsSpan(7));
        return record;
    }

    // ---- ESP ----

    private static List<byte[]> EspPackets()
    {
        var seeds = new List<byte[]>();
        byte[] v4 = Ipv4Udp(IPAddress.Parse("10.1.0.5"), IPAddress.Parse("10.2.0.7"), 60);
        byte[] v6 = Ipv6Udp(IPAddress.Parse("fd00:1::5"), IPAddress.Parse("fd00:2::7"), 72);
        for (var t = 0; t < EspOpenTarget.Transforms.Length; t++)
        {
            using var pair = new EspOpenTarget.Pair(EspOpenTarget.Transforms[t], ipv6: false, udp: false);
            var block = pair.Inbound.Transform.BlockSize;
            var inner = t % 2 == 0 ? v4 : v6;
            seeds.Add([(byte)t, 0, 0, 0, 0, 1, .. EspText(inner, t % 2 == 0 ? IpProtocol.Ipv4 : IpProtocol.Ipv6, block)]);
            // A raw packet in each framing, sealed by the SA's outbound twin: (mode bits) ESP alone, then IP, IPv6, UDP.
            var mode = (byte)(1 | ((t % 4) << 1));
            using var framed = new EspOpenTarget.Pair(EspOpenTarget.Transforms[t], ipv6: (mode & 4) != 0, udp: (mode & 8) != 0);
            var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
            buffer.Load(inner);
            var framing = (mode & 2) != 0 ? Framing.IpPacket : Framing.EspPacket;
            if (Outbound.Seal(framed.Outbound, buffer, framing) != DropReason.None)
                throw new InvalidOperationException($"seed packet for {EspOpenTarget.Transforms[t]} not sealed");
            seeds.Add([(byte)t, mode, .. buffer.Data]);
        }
        return seeds;
    }

    private static byte[] EspText(byte[] inner, byte nextHeader, int block)
    {
        var padLength = (block - ((inner.Length + 2) % block)) % block;
        var text = new byte[inner.Length + padLength + 2];
        inner.CopyTo(text, 0);
        for (var i = 0; i < padLength; i++)
            text[inner.Length + i] = (byte)(i + 1);
        text[^2] = (byte)padLength;
        text[^1] = nextHeader;
        return text;
    }

    private static byte[] Ipv4Udp(IPAddress source, IPAddress destination, int length)
    {
        var packet = new byte[length];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)length);
        packet[8] = 64;
        packet[9] = IpProtocol.Udp;
        source.TryWriteBytes(packet.AsSpan(12), out _);
        destination.TryWriteBytes(packet.AsSpan(16), out _);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), Checksum.Compute(packet.AsSpan(0, 20)));
        Udp(packet.AsSpan(20));
        return packet;
    }

    private static byte[] Ipv6Udp(IPAddress source, IPAddress destination, int length)
    {
        var packet = new byte[length];
        packet[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)(length - 40));
        packet[6] = IpProtocol.Udp;
        packet[7] = 64;
        source.TryWriteBytes(packet.AsSpan(8), out _);
        destination.TryWriteBytes(packet.AsSpan(24), out _);
        Udp(packet.AsSpan(40));
        return packet;
    }

    private static void Udp(Span<byte> segment)
    {
        BinaryPrimitives.WriteUInt16BigEndian(segment, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(segment[2..], 53);
        BinaryPrimitives.WriteUInt16BigEndian(segment[4..], (ushort)segment.Length);
    }

    // ---- TUN offload ----

    /// <summary>
    /// Frames as a TUN queue with offload reads them: TSO super-packets over IPv4 and IPv6, with and without
    /// timestamps, ending in a short segment or not; USO over both; whole packets with a checksum to complete.
    /// </summary>
    private static List<byte[]> TunFrames()
    {
        var frames = new List<byte[]>();
        byte[] timestamps = [1, 1, 8, 10, 0, 0, 0x12, 0x34, 0, 0, 0x56, 0x78];
        foreach (var ipv6 in (bool[])[false, true])
        {
            frames.Add(TunFrame(ipv6, IpProtocol.Tcp, [], 4000, 1400, gso: true));
            frames.Add(TunFrame(ipv6, IpProtocol.Tcp, timestamps, 2 * 1388, 1388, gso: true));
            frames.Add(TunFrame(ipv6, IpProtocol.Udp, [], 3000, 1200, gso: true));
            frames.Add(TunFrame(ipv6, IpProtocol.Tcp, timestamps, 500, 0, gso: false));
            frames.Add(TunFrame(ipv6, IpProtocol.Udp, [], 100, 0, gso: false));
        }
        return frames;
    }

    private static byte[] TunFrame(bool ipv6, byte protocol, byte[] options, int payload, int gsoSize, bool gso)
    {
        var ipLength = ipv6 ? 40 : 20;
        var transportHeader = protocol == IpProtocol.Tcp ? 20 + options.Length : 8;
        var packet = new byte[ipLength + transportHeader + payload];
        if (ipv6)
        {
            packet[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)(packet.Length - 40));
            packet[6] = protocol;
            packet[7] = 64;
            IPAddress.Parse("fd00:99::1").GetAddressBytes().CopyTo(packet, 8);
            IPAddress.Parse("fd00:99:1::5").GetAddressBytes().CopyTo(packet, 24);
        }
        else
        {
            packet[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), 0x1234);
            packet[6] = 0x40;
            packet[8] = 64;
            packet[9] = protocol;
            IPAddress.Parse("10.99.0.1").GetAddressBytes().CopyTo(packet, 12);
            IPAddress.Parse("10.99.1.5").GetAddressBytes().CopyTo(packet, 16);
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), Checksum.Compute(packet.AsSpan(0, 20)));
        }
        var transport = packet.AsSpan(ipLength);
        BinaryPrimitives.WriteUInt16BigEndian(transport, 40000);
        BinaryPrimitives.WriteUInt16BigEndian(transport[2..], 5001);
        int checksumOffset;
        if (protocol == IpProtocol.Tcp)
        {
            BinaryPrimitives.WriteUInt32BigEndian(transport[4..], 0xFFFFF000);
            BinaryPrimitives.WriteUInt32BigEndian(transport[8..], 0x20000000);
            transport[12] = (byte)(transportHeader / 4 << 4);
            transport[13] = 0x18;
            BinaryPrimitives.WriteUInt16BigEndian(transport[14..], 502);
            options.CopyTo(transport[20..]);
            checksumOffset = 16;
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(transport[4..], (ushort)transport.Length);
            checksumOffset = 6;
        }
        for (var i = transportHeader; i < transport.Length; i++)
            transport[i] = unchecked((byte)(i * 7));
        var source = ipv6 ? packet.AsSpan(8, 16) : packet.AsSpan(12, 4);
        var destination = ipv6 ? packet.AsSpan(24, 16) : packet.AsSpan(16, 4);
        // CHECKSUM_PARTIAL, as the kernel hands it over: the pseudo-header sum, folded, not complemented.
        BinaryPrimitives.WriteUInt16BigEndian(transport[checksumOffset..],
            Checksum.Fold(Checksum.AddPseudoHeader(0, source, destination, protocol, transport.Length)));

        var gsoType = !gso ? VirtioNetHeader.GsoNone
            : protocol == IpProtocol.Udp ? VirtioNetHeader.GsoUdpL4 : ipv6 ? VirtioNetHeader.GsoTcpV6 : VirtioNetHeader.GsoTcpV4;
        var frame = new byte[VirtioNetHeader.Size + packet.Length];
        new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, gsoType, (ushort)(gso ? ipLength + transportHeader : 0), (ushort)gsoSize,
            (ushort)ipLength, (ushort)checksumOffset).Write(frame);
        packet.CopyTo(frame, VirtioNetHeader.Size);
        return frame;
    }

    // ---- configuration ----

    private static List<byte[]> Configs(string examples)
    {
        var seeds = Directory.GetFiles(examples, "*.json").Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToList();
        seeds.Add("""
            { "connections": { "c": { "remote_addrs": "192.0.2.2", "local": { "auth": "psk", "id": "a.example" },
              "remote": { "auth": "psk", "id": "b.example" },
              "children": { "net": { "local_ts": "10.1.0.0/16", "remote_ts": "10.2.0.0/16, fd00::/8" } } } },
              "secrets": { "ike-c": { "id": "b.example", "secret": "0sc2VjcmV0c2VjcmV0" } } }
            """u8.ToArray());
        return seeds;
    }
}
