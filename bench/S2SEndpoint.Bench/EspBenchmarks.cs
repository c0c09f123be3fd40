using BenchmarkDotNet.Attributes;
using S2SEndpoint.Esp;

namespace S2SEndpoint.Bench;

/// <summary>
/// The ESP data path per packet, for every transform: Seal is a TUN read (the inner packet copied into a buffer) and
/// the whole outbound path; SealOpen is the whole outbound then the whole inbound path (SPI lookup, replay window,
/// ICV, trailer, selectors) on one buffer, in place, as two gateways would.
/// </summary>
[Config(typeof(ShortConfig))]
public class EspBenchmarks
{
    private const int HeaderPrefix = 12;

    private EspSa _outbound = null!;
    private EspSa _inbound = null!;
    private SaTable _table = null!;
    private PacketBuffer _buffer = null!;
    private byte[] _inner = null!;

    [ParamsSource(nameof(Transforms))]
    public string Transform { get; set; } = "";

    [Params(64, 512, 1400)]
    public int InnerSize { get; set; }

    public static IEnumerable<string> Transforms => BenchSetup.EspTransforms;

    [GlobalSetup]
    public void Setup()
    {
        (_outbound, _inbound, _table) = BenchSetup.CreatePair(Transform);
        _inner = BenchSetup.InnerPacket(InnerSize);
        _buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
        _buffer.Load(_inner);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _outbound.Dispose();
        _inbound.Dispose();
    }

    [Benchmark]
    public DropReason Seal()
    {
        _buffer.Load(_inner);
        return Outbound.Seal(_outbound, _buffer);
    }

    [Benchmark]
    public DropReason SealOpen()
    {
        var sealedReason = Outbound.Seal(_outbound, _buffer);
        var openedReason = Inbound.Open(_table, _buffer, out _);
        // The outbound path forwarded the inner packet (TTL 64 -> 63): put its first header words back for the next round.
        _inner.AsSpan(0, HeaderPrefix).CopyTo(_buffer.Array.AsSpan(PacketBuffer.Headroom));
        return sealedReason == DropReason.None ? openedReason : sealedReason;
    }
}
