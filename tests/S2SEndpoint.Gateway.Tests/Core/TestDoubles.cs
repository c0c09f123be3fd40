using System.Net;
using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Gateway.Net;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway.Tests.Core;

/// <summary>The gateway's sockets and devices as lists, and each device's carrier as told last (none told: off).</summary>
internal sealed class FakeIo : IGatewayIo
{
    public List<(IPEndPoint Local, IPEndPoint Remote, byte[] Data)> Udp { get; } = [];
    public List<(string Device, byte[] Packet)> Tun { get; } = [];
    public List<(string Device, bool Up)> CarrierChanges { get; } = [];

    public void SendUdp(IPEndPoint local, IPEndPoint remote, ReadOnlySpan<byte> payload) => Udp.Add((local, remote, payload.ToArray()));

    public void WriteTun(string device, ReadOnlySpan<byte> packet) => Tun.Add((device, packet.ToArray()));

    public void SetCarrier(string device, bool up) => CarrierChanges.Add((device, up));

    public bool HasCarrier(string device) => CarrierChanges.LastOrDefault(c => c.Device == device).Up;

    /// <summary>The virtual IPs put on (and taken off) devices, in order.</summary>
    public List<(string Connection, string Device, IPAddress Address, bool Present)> VirtualIpChanges { get; } = [];

    public void SetVirtualIp(string connection, string device, IPAddress address, bool present) => VirtualIpChanges.Add((connection, device, address, present));

    /// <summary>The virtual IPs on <paramref name="device"/> now.</summary>
    public IEnumerable<IPAddress> VirtualIpsOn(string device) =>
        VirtualIpChanges.Where(v => v.Device == device).GroupBy(v => v.Address).Where(g => g.Last().Present).Select(g => g.Key);
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
/// A gateway core on the in-memory network: what it sends is what its <see cref="FakeIo"/> took (the list empties as
/// the network takes it), and what arrives goes to <see cref="GatewayCore.OnUdp"/> in a buffer of its own.
/// </summary>
internal sealed class GatewayHost(GatewayCore core, FakeIo io) : INetworkHost
{
    public GatewayCore Core { get; } = core;
    public FakeIo Io { get; } = io;

    public IReadOnlyList<Datagram> TakeSent()
    {
        var sent = Io.Udp.Select(u => new Datagram(u.Local, u.Remote, u.Data)).ToList();
        Io.Udp.Clear();
        return sent;
    }

    public void Receive(Datagram datagram)
    {
        var buffer = new PacketBuffer(Math.Max(PacketBuffer.DefaultCapacity, datagram.Data.Length));
        buffer.Load(datagram.Data, 0);
        Core.OnUdp(datagram.Local, datagram.Remote, buffer);
    }
}

internal static class GatewayNetwork
{
    /// <summary>Puts <paramref name="core"/>, which sends through <paramref name="io"/>, on the network at <paramref name="address"/>.</summary>
    public static GatewayHost Add(this MemoryNetwork<GatewayHost> network, string address, GatewayCore core, FakeIo io)
    {
        var host = new GatewayHost(core, io);
        network.Add(IPAddress.Parse(address), host);
        return host;
    }
}
