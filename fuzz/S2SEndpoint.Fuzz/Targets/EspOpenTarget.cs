using System.Buffers.Binary;
using System.Net;
using S2SEndpoint.Esp;
using S2SEndpoint.Esp.Transforms;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Fuzz.Targets;

/// <summary>
/// Fuzz target <c>esp-open</c>: <see cref="Inbound.Open"/> (RFC 4303 3.4, RFC 4301 5.2) on an SA of each transform,
/// with fixed keys, a fresh SA for every input. Most inputs are sealed by the harness with the SA's own transform, so
/// that the fuzzer reaches what lies behind the ICV: the replay window, padding, Next Header, the inner packet and
/// the selectors (10.1.0.0/16 and fd00:1::/32 to 10.2.0.0/16 and fd00:2::/32, SPI c0ffee01).
/// Input: octet 0 picks the transform (every ESP transform, each with and without ESN); octet 1 the mode:
///   bit 0 clear, sealed: octets 2-5 the Sequence Number, then the text (inner packet, padding, Pad Length, Next
///                 Header), zero-padded by the harness to the transform's block, sealed in place;
///   bit 0 set, raw:   the rest is the datagram, opened as it is; bit 1 frames it as an IP packet (outer IPv4 or
///                 IPv6 header, and UDP), bits 2 and 3 make the SA's outer addresses IPv6 and its ESP UDP-encapsulated.
/// <see cref="UdpEncapsulation.Classify"/> sorts every datagram first, as the UDP 4500 socket does.
/// Properties: nothing throws; every packet ends with a defined DropReason counted once (on the SA or, before the
/// SPI is known, on the table); an opened sealed packet is the start of the sealed text; an opened inner packet,
/// sealed again by an SA with the same keys and opened, comes out octet for octet.
/// </summary>
internal static class EspOpenTarget
{
    public const string Name = "esp-open";
    public const uint Spi = 0xc0ffee01;

    /// <summary>Every ESP transform this build implements, as strongSwan proposal keywords.</summary>
    public static readonly string[] Transforms =
    [
        "aes128gcm16", "aes192gcm16", "aes256gcm16", "chacha20poly1305",
        "aes128-sha1", "aes128-sha256", "aes192-sha384", "aes256-sha512", "aes256-sha256",
        "null-sha1", "null-sha256",
        "aes128gcm16-esn", "aes192gcm16-esn", "aes256gcm16-esn", "chacha20poly1305-esn",
        "aes128-sha1-esn", "aes128-sha256-esn", "aes192-sha384-esn", "aes256-sha512-esn", "aes256-sha256-esn",
        "null-sha1-esn", "null-sha256-esn",
    ];

    private static readonly IPAddress Left = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress Right = IPAddress.Parse("198.51.100.2");
    private static readonly IPAddress LeftV6 = IPAddress.Parse("2001:db8:1::1");
    private static readonly IPAddress RightV6 = IPAddress.Parse("2001:db8:2::2");
    private static readonly IReadOnlyList<TrafficSelector> LeftLan =
        [TrafficSelector.FromPrefix(IPAddress.Parse("10.1.0.0"), 16), TrafficSelector.FromPrefix(IPAddress.Parse("fd00:1::"), 32)];
    private static readonly IReadOnlyList<TrafficSelector> RightLan =
        [TrafficSelector.FromPrefix(IPAddress.Parse("10.2.0.0"), 16), TrafficSelector.FromPrefix(IPAddress.Parse("fd00:2::"), 32)];

    public static void Run(byte[] input)
    {
        if (input.Length < 2)
            return;
        var keywords = Transforms[input[0] % Transforms.Length];
        var mode = input[1];
        var raw = (mode & 1) != 0;
        var framing = raw && (mode & 2) != 0 ? Framing.IpPacket : Framing.EspPacket;
        using var pair = new Pair(keywords, ipv6: (mode & 4) != 0, udp: (mode & 8) != 0);
        byte[] wire;
        byte[] text = [];
        if (raw)
            wire = input[2..];
        else if (input.Length >= 6)
        {
            text = Text(input.AsSpan(6), pair.Inbound.Transform.BlockSize);
            wire = pair.SealText(BinaryPrimitives.ReadUInt32BigEndian(input.AsSpan(2)), text);
        }
        else
            return;

        var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
        if (wire.Length > buffer.Capacity)
            wire = wire[..buffer.Capacity];
        // RFC 3948 2.2: what arrives on UDP 4500 is sorted into ESP, IKE and keepalives before it is opened.
        FuzzCheck.That(Enum.IsDefined(UdpEncapsulation.Classify(wire)), "undefined UdpPayloadKind");
        buffer.Load(wire, 0);
        var reason = Inbound.Open(pair.Table, buffer, framing, out var sa);

        FuzzCheck.That(Enum.IsDefined(reason), $"undefined DropReason {(int)reason}");
        var counted = pair.Table.Drops.Total + pair.Inbound.Drops.Total;
        FuzzCheck.That(counted == (reason == DropReason.None ? 0 : 1), $"{reason} counted {counted} times");
        if (reason != DropReason.None)
            return;
        FuzzCheck.That(ReferenceEquals(sa, pair.Inbound), "opened by another SA");
        FuzzCheck.That(buffer.Offset >= 0 && buffer.Offset + buffer.Length <= wire.Length, "the inner packet lies outside the datagram");
        var inner = buffer.Data.ToArray();
        if (!raw)
            FuzzCheck.Equal(text.AsSpan(0, Math.Min(inner.Length, text.Length)), inner, "the opened packet is not the start of the sealed text");

        using var again = new Pair(keywords, ipv6: false, udp: false);
        var resealed = new PacketBuffer(PacketBuffer.DefaultCapacity);
        if (inner.Length > resealed.MaxInnerPacketSize)
            return;
        resealed.Load(inner);
        if (Outbound.Seal(again.Outbound, resealed, Framing.EspPacket) != DropReason.None)
            return;
        var reopened = new PacketBuffer(PacketBuffer.DefaultCapacity);
        reopened.Load(resealed.Data, 0);
        var reason2 = Inbound.Open(again.Table, reopened, out _);
        FuzzCheck.That(reason2 == DropReason.None, $"an opened packet sealed again is dropped: {reason2}");
        FuzzCheck.Equal(inner, reopened.Data, "an opened packet after Seal and Open");
    }

    private static byte[] Text(ReadOnlySpan<byte> bytes, int block)
    {
        // The wire packet fits one pool buffer, as every datagram the gateway reads does.
        var max = PacketBuffer.DefaultCapacity - EspTransform.HeaderSize - EspTransform.MaxIvSize - EspTransform.MaxIcvSize;
        if (bytes.Length > max)
            bytes = bytes[..(max / 16 * 16)];
        var length = Math.Max(block, (bytes.Length + block - 1) / block * block);
        var text = new byte[length];
        bytes.CopyTo(text);
        return text;
    }

    /// <summary>
    /// One direction of a Child SA from the left gateway to the right one: both ends made from the same fixed keys
    /// (octets 1, 2, 3 ... and 101, 102, 103 ...), the right end in its table.
    /// </summary>
    internal sealed class Pair : IDisposable
    {
        public Pair(string keywords, bool ipv6, bool udp)
        {
            if (!ProposalKeywords.TryParse(keywords, ProtocolId.Esp, out var proposal, out var error) ||
                !ChildSuite.TryFromProposal(proposal, out var suite, out error))
                throw new InvalidOperationException(error);
            var encryption = new byte[suite.EncryptionKeySize];
            var integrity = new byte[suite.IntegrityKeySize];
            for (var i = 0; i < encryption.Length; i++)
                encryption[i] = (byte)(i + 1);
            for (var i = 0; i < integrity.Length; i++)
                integrity[i] = (byte)(i + 101);
            var settings = new EspSaSettings
            {
                Spi = Spi,
                Direction = SaDirection.Outbound,
                LocalAddress = ipv6 ? LeftV6 : Left,
                RemoteAddress = ipv6 ? RightV6 : Right,
                UdpEncapsulation = udp,
                LocalSelectors = LeftLan,
                RemoteSelectors = RightLan,
                DecrementInnerHopLimit = false,
            };
            Outbound = EspSa.Create(settings, suite, encryption, integrity, new FuzzRandom());
            Inbound = EspSa.Create(settings with
            {
                Direction = SaDirection.Inbound,
                LocalAddress = settings.RemoteAddress,
                RemoteAddress = settings.LocalAddress,
                LocalSelectors = RightLan,
                RemoteSelectors = LeftLan,
            }, suite, encryption, integrity, new FuzzRandom());
            Table.AddInbound(Inbound);
        }

        public EspSa Outbound { get; }
        public EspSa Inbound { get; }
        public SaTable Table { get; } = new();

        /// <summary>An ESP packet with <paramref name="text"/> as its encrypted text, as a peer holding the keys could send.</summary>
        public byte[] SealText(uint sequence, byte[] text)
        {
            var transform = Outbound.Transform;
            var packet = new byte[EspTransform.HeaderSize + transform.IvSize + text.Length + transform.IcvSize];
            BinaryPrimitives.WriteUInt32BigEndian(packet, Spi);
            BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), sequence);
            text.CopyTo(packet, EspTransform.HeaderSize + transform.IvSize);
            transform.Seal(packet, 0, text.Length, sequence);
            return packet;
        }

        public void Dispose()
        {
            Outbound.Dispose();
            Inbound.Dispose();
        }
    }
}
