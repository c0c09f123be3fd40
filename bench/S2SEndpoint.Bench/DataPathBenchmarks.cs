using System.Net;
using BenchmarkDotNet.Attributes;
using S2SEndpoint.Esp;
using S2SEndpoint.Gateway;
using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Gateway.Net;
using S2SEndpoint.Gateway.Policy;
using S2SEndpoint.Gateway.Tracing;
using S2SEndpoint.Ike.Crypto;

namespace S2SEndpoint.Bench;

/// <summary>
/// One inner packet from a route-based tunnel device through the gateway's data path (DataPath.OnTun: the device's
/// child, its route, the seal, the UDP send to a sink) with AES-256-GCM, as `s2s trace` finds it:
///   off:   nobody traces (what every gateway runs; the data path reads one null field);
///   other: a trace runs for another connection (its filter is checked, this packet is not traced);
///   this:  a trace runs for this connection and takes 100 packets a second; the rest are counted as not traced.
/// "off" against the same benchmark before the trace existed is the cost of the hook (bench/README.md).
/// </summary>
[Config(typeof(HeadlineConfig))]
public class DataPathBenchmarks
{
    private const string Json = """
        {
          "gateway": { "tun_name": "s2s0" },
          "connections": {
            "moon": {
              "local_addrs": "192.0.2.1", "remote_addrs": "198.51.100.2", "proposals": "aes256gcm16-prfsha384-ecp384",
              "local": { "auth": "psk", "id": "moon" }, "remote": { "auth": "psk", "id": "sun" },
              "children": { "net": { "local_ts": "10.1.0.0/16", "remote_ts": "10.2.0.0/16", "esp_proposals": "aes256gcm16", "start_action": "none" } }
            }
          },
          "secrets": { "ike-moon": { "id": "sun", "secret": "benchmark-pre-shared-key" } }
        }
        """;

    private GatewayCore _core = null!;
    private EspSa _sa = null!;
    private TraceSession? _trace;
    private PacketBuffer _buffer = null!;
    private byte[] _inner = null!;

    [Params("off", "other", "this")]
    public string Trace { get; set; } = "";

    [Params(64, 1400)]
    public int InnerSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        if (!ConfigLoader.TryParse(Json, ".", out var config, out var problems))
            throw new InvalidOperationException(string.Join('\n', problems));
        _core = new GatewayCore(config, new SinkIo(), TimeProvider.System, SystemRandomSource.Instance);
        var suite = BenchSetup.Suite("aes256gcm16");
        using (var keys = BenchSetup.Keys(suite))
            _sa = BenchSetup.CreateSa(suite, keys, SaDirection.Outbound, udpEncapsulation: true);
        _core.Data.Publish(new DataPathSnapshot
        {
            Routes = new() { [1] = new ChildRoute(1, "moon", "net", "vti0", _sa, new IPEndPoint(IPAddress.Parse("192.0.2.1"), 4500), new IPEndPoint(IPAddress.Parse("198.51.100.2"), 4500), null) },
            ReqIdOfDevice = new(StringComparer.Ordinal) { ["vti0"] = 1 },
            Policies = SecurityPolicyDatabase.Empty,
            KnownIkeSpis = [],
            AcceptedPeers = [],
        });
        _trace = Trace switch
        {
            "other" => _core.Trace("other", null, TraceDirection.Both, 0),
            "this" => _core.Trace("moon", null, TraceDirection.Both, 0),
            _ => null,
        };
        _inner = BenchSetup.InnerPacket(InnerSize);
        _buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _trace?.Dispose();
        _sa.Dispose();
    }

    [Benchmark]
    public void OnTun()
    {
        _buffer.Load(_inner);
        _core.OnTun("vti0", _buffer);
    }

    private sealed class SinkIo : IGatewayIo
    {
        public void SendUdp(IPEndPoint local, IPEndPoint remote, ReadOnlySpan<byte> payload)
        {
        }

        public void WriteTun(string device, ReadOnlySpan<byte> packet)
        {
        }

        public void SetCarrier(string device, bool up)
        {
        }

        public void SetVirtualIp(string connection, string device, System.Net.IPAddress address, bool present)
        {
        }
    }
}
