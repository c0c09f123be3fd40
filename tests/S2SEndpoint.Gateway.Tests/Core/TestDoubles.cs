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
