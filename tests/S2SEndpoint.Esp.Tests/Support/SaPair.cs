using System.Net;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Esp.Tests.Support;

/// <summary>
/// Both ends of one direction of a Child SA: the left gateway's outbound SA (initiator) and the right gateway's
/// inbound SA (responder) in its SaTable, made from one KEYMAT as IKE would hand them over.
/// </summary>
internal sealed class SaPair : IDisposable
{
    public const uint DefaultSpi = 0xc0ffee01;

    public static readonly IPAddress LeftGatewayV4 = IPAddress.Parse("192.0.2.1");
    public static readonly IPAddress RightGatewayV4 = IPAddress.Parse("198.51.100.2");
    public static readonly IPAddress LeftGatewayV6 = IPAddress.Parse("2001:db8:1::1");
    public static readonly IPAddress RightGatewayV6 = IPAddress.Parse("2001:db8:2::2");

    public static readonly IReadOnlyList<TrafficSelector> LeftLan =
        [TrafficSelector.FromPrefix(IPAddress.Parse("10.1.0.0"), 16), TrafficSelector.FromPrefix(IPAddress.Parse("fd00:1::"), 32)];

    public static readonly IReadOnlyList<TrafficSelector> RightLan =
        [TrafficSelector.FromPrefix(IPAddress.Parse("10.2.0.0"), 16), TrafficSelector.FromPrefix(IPAddress.Parse("fd00:2::"), 32)];

    /// <summary>Every ESP transform this build implements, as strongSwan proposal keywords.</summary>
    public static readonly string[] Transforms =
    [
        "aes128gcm16", "aes192gcm16", "aes256gcm16", "chacha20poly1305",
        "aes128-sha1", "aes128-sha256", "aes192-sha384", "aes256-sha512", "aes256-sha256",
        "null-sha1", "null-sha256",
    ];

    private SaPair(EspSa outbound, EspSa inbound, SaTable table)
    {
        Outbound = outbound;
        Inbound = inbound;
        Table = table;
    }

    public EspSa Outbound { get; }
    public EspSa Inbound { get; }
    public SaTable Table { get; }

    public static TheoryData<string> AllTransforms()
    {
        var data = new TheoryData<string>();
        foreach (var keywords in Transforms)
        {
            data.Add(keywords);
            data.Add(keywords + "-esn");
        }
        return data;
    }

    public static ChildSuite Suite(string keywords)
    {
        Assert.True(ProposalKeywords.TryParse(keywords, ProtocolId.Esp, out var proposal, out var error), error);
        Assert.True(ChildSuite.TryFromProposal(proposal, out var suite, out error), error);
        return suite;
    }

    public static SaPair Create(string keywords, bool outerIpv6 = false, bool udp = false, int windowSize = ReplayWindow.DefaultSize,
        SaLifetime? lifetime = null, ILifetimeObserver? observer = null, TimeProvider? time = null, uint spi = DefaultSpi,
        IReadOnlyList<TrafficSelector>? leftSelectors = null, IReadOnlyList<TrafficSelector>? rightSelectors = null,
        bool decrementInnerHopLimit = true, int seed = 1)
    {
        var suite = Suite(keywords);
        var random = new SeededRandom(seed);
        var skD = new byte[32];
        var ni = new byte[32];
        var nr = new byte[32];
        random.Fill(skD);
        random.Fill(ni);
        random.Fill(nr);
        using var keys = ChildKeys.Derive(Prf.HmacSha256, skD, suite, [], ni, nr);
        var left = outerIpv6 ? LeftGatewayV6 : LeftGatewayV4;
        var right = outerIpv6 ? RightGatewayV6 : RightGatewayV4;
        var common = new EspSaSettings
        {
            Spi = spi,
            Direction = SaDirection.Outbound,
            ReqId = 7,
            LocalAddress = left,
            RemoteAddress = right,
            UdpEncapsulation = udp,
            RemotePort = udp ? (ushort)31000 : UdpEncapsulation.Port,
            LocalSelectors = leftSelectors ?? LeftLan,
            RemoteSelectors = rightSelectors ?? RightLan,
            Lifetime = lifetime ?? SaLifetime.Unlimited,
            LifetimeObserver = observer,
            ReplayWindowSize = windowSize,
            DecrementInnerHopLimit = decrementInnerHopLimit,
        };
        var outbound = EspSa.Create(common, suite, keys, isInitiator: true, random, time);
        var inbound = EspSa.Create(common with
        {
            Direction = SaDirection.Inbound,
            LocalAddress = right,
            RemoteAddress = left,
            LocalSelectors = rightSelectors ?? RightLan,
            RemoteSelectors = leftSelectors ?? LeftLan,
        }, suite, keys, isInitiator: false, random, time);
        var table = new SaTable();
        table.AddInbound(inbound);
        table.SetOutbound(outbound);
        return new SaPair(outbound, inbound, table);
    }

    /// <summary>Seals <paramref name="inner"/> and returns the bytes that would go on the wire.</summary>
    public byte[] Seal(byte[] inner, Framing framing = Framing.EspPacket)
    {
        var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
        buffer.Load(inner);
        Assert.Equal(DropReason.None, Esp.Outbound.Seal(Outbound, buffer, framing));
        return buffer.Data.ToArray();
    }

    /// <summary>Opens <paramref name="wire"/>; returns the drop reason and, when it went through, the inner packet.</summary>
    public (DropReason Reason, byte[] Inner) Open(byte[] wire, Framing framing = Framing.EspPacket)
    {
        var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
        buffer.Load(wire, 0);
        var reason = Esp.Inbound.Open(Table, buffer, framing, out _);
        return (reason, reason == DropReason.None ? buffer.Data.ToArray() : []);
    }

    public void Dispose()
    {
        Outbound.Dispose();
        Inbound.Dispose();
    }
}
