using System.Net;
using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Gateway.Net;
using S2SEndpoint.Ike.Crypto;

namespace S2SEndpoint.Gateway.Tests.Core;

/// <summary>A clock that moves only when a test says so.</summary>
internal sealed class Clock : TimeProvider
{
    public DateTimeOffset Now { get; set; } = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    public override DateTimeOffset GetUtcNow() => Now;

    // Timestamps (elapsed-time measurements) follow the same clock.
    public override long GetTimestamp() => Now.UtcTicks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;
}

/// <summary>Deterministic randomness for in-memory gateways.</summary>
internal sealed class SeededRandom(int seed) : IRandomSource
{
    private readonly Random _random = new(seed);

    public void Fill(Span<byte> destination) => _random.NextBytes(destination);
}

/// <summary>The gateway's sockets and devices as two lists.</summary>
internal sealed class FakeIo : IGatewayIo
{
    public List<(IPEndPoint Local, IPEndPoint Remote, byte[] Data)> Udp { get; } = [];
    public List<(string Device, byte[] Packet)> Tun { get; } = [];

    public void SendUdp(IPEndPoint local, IPEndPoint remote, ReadOnlySpan<byte> payload) => Udp.Add((local, remote, payload.ToArray()));

    public void WriteTun(string device, ReadOnlySpan<byte> packet) => Tun.Add((device, packet.ToArray()));
}

internal static class TestConfig
{
    public static GatewayConfig Load(string json)
    {
        Assert.True(ConfigLoader.TryParse(json, ".", out var config, out var problems), string.Join('\n', problems));
        return config;
    }
}

/// <summary>
/// Several in-memory gateways by address: <see cref="Pump"/> delivers what each sent to the gateway at the
/// destination address (the receiver sees the destination as local) until the network is quiet; datagrams
/// to an address nobody has are lost.
/// </summary>
internal sealed class MemoryNet
{
    private readonly Dictionary<IPAddress, (GatewayCore Core, FakeIo Io)> _hosts = [];

    public void Add(string address, GatewayCore core, FakeIo io) => _hosts[IPAddress.Parse(address)] = (core, io);

    public void Pump()
    {
        for (var round = 0; round < 50; round++)
        {
            var moved = false;
            foreach (var (_, (_, io)) in _hosts.ToList())
            {
                var datagrams = io.Udp.ToList();
                io.Udp.Clear();
                foreach (var (local, remote, data) in datagrams)
                {
                    if (!_hosts.TryGetValue(remote.Address, out var to))
                        continue;
                    var buffer = new S2SEndpoint.Esp.PacketBuffer(2048);
                    buffer.Load(data, 0);
                    to.Core.OnUdp(remote, local, buffer);
                    moved = true;
                }
            }
            if (!moved)
                return;
        }
        throw new InvalidOperationException("the gateways kept talking");
    }
}
