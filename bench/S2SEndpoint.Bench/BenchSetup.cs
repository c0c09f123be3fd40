using System.Buffers.Binary;
using System.Net;
using S2SEndpoint.Esp;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Bench;

// What the benchmarks share: the transforms measured, a pair of SAs made from one KEYMAT as IKE hands them over
// (our outbound SA and the peer's inbound SA in its table), and the inner packets sealed: IPv4 UDP datagrams of
// 64, 512 and 1400 octets.
internal static class BenchSetup
{
    public static readonly string[] EspTransforms =
    [
        "aes128gcm16", "aes192gcm16", "aes256gcm16", "chacha20poly1305",
        "aes128-sha1", "aes256-sha256", "aes256-sha384", "aes256-sha512", "null-sha256",
    ];

    public static readonly string[] AeadTransforms = ["aes128gcm16", "aes192gcm16", "aes256gcm16", "chacha20poly1305"];

    public const uint Spi = 0xc0ffee01;

    public static ChildSuite Suite(string keywords)
    {
        if (!ProposalKeywords.TryParse(keywords, ProtocolId.Esp, out var proposal, out var error) ||
            !ChildSuite.TryFromProposal(proposal, out var suite, out error))
            throw new ArgumentException(error, nameof(keywords));
        return suite;
    }

    public static (EspSa Outbound, EspSa Inbound, SaTable Table) CreatePair(string keywords)
    {
        var suite = Suite(keywords);
        using var keys = Keys(suite);
        var outbound = CreateSa(suite, keys, SaDirection.Outbound);
        var inbound = CreateSa(suite, keys, SaDirection.Inbound);
        var table = new SaTable();
        table.AddInbound(inbound);
        return (outbound, inbound, table);
    }

    /// <summary>A fresh KEYMAT for one Child SA of <paramref name="suite"/>.</summary>
    public static ChildKeys Keys(ChildSuite suite)
    {
        var skD = new byte[32];
        var nonces = new byte[64];
        SystemRandomSource.Instance.Fill(skD);
        SystemRandomSource.Instance.Fill(nonces);
        return ChildKeys.Derive(Prf.HmacSha256, skD, suite, [], nonces.AsSpan(0, 32), nonces.AsSpan(32));
    }

    /// <summary>Our outbound SA, or the peer's inbound SA that opens what it seals; each call makes a new one (a new window).</summary>
    public static EspSa CreateSa(ChildSuite suite, ChildKeys keys, SaDirection direction, bool udpEncapsulation = false,
        int replayWindow = ReplayWindow.DefaultSize)
    {
        var settings = new EspSaSettings
        {
            UdpEncapsulation = udpEncapsulation,
            ReplayWindowSize = replayWindow,
            Spi = Spi,
            Direction = SaDirection.Outbound,
            LocalAddress = IPAddress.Parse("192.0.2.1"),
            RemoteAddress = IPAddress.Parse("198.51.100.2"),
            LocalSelectors = [TrafficSelector.FromPrefix(IPAddress.Parse("10.1.0.0"), 16)],
            RemoteSelectors = [TrafficSelector.FromPrefix(IPAddress.Parse("10.2.0.0"), 16)],
        };
        if (direction == SaDirection.Outbound)
            return EspSa.Create(settings, suite, keys, isInitiator: true);
        return EspSa.Create(settings with
        {
            Direction = SaDirection.Inbound,
            LocalAddress = settings.RemoteAddress,
            RemoteAddress = settings.LocalAddress,
            LocalSelectors = settings.RemoteSelectors,
            RemoteSelectors = settings.LocalSelectors,
        }, suite, keys, isInitiator: false);
    }

    /// <summary>An IPv4 UDP datagram of <paramref name="length"/> octets from 10.1.0.5 to 10.2.0.7, TTL 64.</summary>
    public static byte[] InnerPacket(int length)
    {
        var packet = new byte[length];
        Random.Shared.NextBytes(packet);
        packet[0] = 0x45;
        packet[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)length);
        BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), 0);
        packet[8] = 64;
        packet[9] = 17;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), 0);
        IPAddress.Parse("10.1.0.5").TryWriteBytes(packet.AsSpan(12), out _);
        IPAddress.Parse("10.2.0.7").TryWriteBytes(packet.AsSpan(16), out _);
        uint sum = 0;
        for (var i = 0; i < 20; i += 2)
            sum += BinaryPrimitives.ReadUInt16BigEndian(packet.AsSpan(i));
        while (sum >> 16 != 0)
            sum = (sum & 0xFFFF) + (sum >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), unchecked((ushort)~sum));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(24), (ushort)(length - 20));
        return packet;
    }
}
