using BenchmarkDotNet.Attributes;
using S2SEndpoint.Esp;
using S2SEndpoint.Ike.Crypto;

namespace S2SEndpoint.Bench;

/// <summary>
/// Inbound.Open of a valid packet against Inbound.Open of a forged one (the same packet with one ICV bit flipped), on
/// an AEAD SA: a flood of forgeries must cost the gateway no more than the same flood of real traffic. Each operation
/// copies one datagram of a ring of <see cref="RingSize"/> sealed packets into the buffer, as a socket receive would,
/// and opens it: valid packets carry sequence numbers 1 to RingSize, so before each iteration (one pass over the
/// ring, untimed) the peer's inbound SA is made anew with an empty window. BenchmarkDotNet's Ratio column is forged
/// time over valid time.
/// </summary>
[Config(typeof(ForgedConfig))]
public class ForgedOpenBenchmarks
{
    public const int RingSize = 4096;

    private ChildSuite _suite = null!;
    private ChildKeys _keys = null!;
    private EspSa _outbound = null!;
    private EspSa? _inbound;
    private readonly SaTable _table = new();
    private readonly PacketBuffer _buffer = new(PacketBuffer.DefaultCapacity);
    private byte[][] _valid = null!;
    private byte[][] _forged = null!;
    private int _next;

    [ParamsSource(nameof(Transforms))]
    public string Transform { get; set; } = "";

    [Params(64, 1400)]
    public int InnerSize { get; set; }

    public static IEnumerable<string> Transforms => ["aes256gcm16", "chacha20poly1305"];

    [GlobalSetup]
    public void Setup()
    {
        _suite = BenchSetup.Suite(Transform);
        _keys = BenchSetup.Keys(_suite);
        _outbound = BenchSetup.CreateSa(_suite, _keys, SaDirection.Outbound);
        var inner = BenchSetup.InnerPacket(InnerSize);
        _valid = new byte[RingSize][];
        _forged = new byte[RingSize][];
        for (var i = 0; i < RingSize; i++)
        {
            _buffer.Load(inner);
            if (Outbound.Seal(_outbound, _buffer) != DropReason.None)
                throw new InvalidOperationException("sealing the ring of packets failed");
            _valid[i] = _buffer.Data.ToArray();
            _forged[i] = _buffer.Data.ToArray();
            _forged[i][^1] ^= 1;
        }
        NewWindow();
    }

    /// <summary>A new inbound SA, with an empty window, for the next pass over the ring.</summary>
    [IterationSetup]
    public void NewWindow()
    {
        _table.RemoveInbound(BenchSetup.Spi)?.Dispose();
        _inbound = BenchSetup.CreateSa(_suite, _keys, SaDirection.Inbound);
        _table.AddInbound(_inbound);
        _next = 0;
    }

    /// <summary>Refuses to report a pass in which a valid packet did not open or a forged one was not an ICV mismatch.</summary>
    [IterationCleanup]
    public void CheckPass()
    {
        var inbound = _inbound!;
        var allValid = inbound.Packets == (ulong)_next && inbound.Drops.Total == 0;
        var allForged = inbound.Packets == 0 && inbound.Drops.Count(DropReason.IcvMismatch) == _next && inbound.Drops.Total == _next;
        if (!allValid && !allForged)
            throw new InvalidOperationException($"{_next} packets: {inbound.Packets} opened, {inbound.Drops.Total} dropped");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _table.RemoveInbound(BenchSetup.Spi)?.Dispose();
        _outbound.Dispose();
        _keys.Dispose();
    }

    [Benchmark(Baseline = true)]
    public DropReason Valid()
    {
        _buffer.Load(_valid[_next++], 0);
        return Inbound.Open(_table, _buffer, out _);
    }

    [Benchmark]
    public DropReason Forged()
    {
        _buffer.Load(_forged[_next++], 0);
        return Inbound.Open(_table, _buffer, out _);
    }
}
