using System.Net;
using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Net;

namespace S2SEndpoint.Gateway.Tests.Core;

/// <summary>
/// The gateway in memory under what an internet can send: its readers and timer survive any exception, new IKE SA
/// requests are thinned per source after the remote_addrs check, and a flood never keeps a peer out.
/// </summary>
public sealed class HostileNetworkTests
{
    private const string Child = """ "net": { "local_ts": "10.1.0.0/24", "remote_ts": "10.2.0.0/24", "esp_proposals": "aes256gcm16", "start_action": "START" } """;

    /// <summary>Fake I/O whose sends throw while <see cref="Throw"/> is set (a bug below the core).</summary>
    private sealed class ThrowingIo : IGatewayIo
    {
        public bool Throw { get; set; }
        public int Sent { get; private set; }

        public void SendUdp(IPEndPoint local, IPEndPoint remote, ReadOnlySpan<byte> payload)
        {
            if (Throw)
                throw new InvalidOperationException("send failed");
            Sent++;
        }

        public void WriteTun(string device, ReadOnlySpan<byte> packet)
        {
        }
    }

    [Fact]
    public void Timer_SurvivesAnExceptionBelowIt_CountsItAndRunsAgain()
    {
        var clock = new Clock();
        var io = new ThrowingIo();
        var core = new GatewayCore(TestConfig.Load(InProcessGatewayTests.Config("gw", "192.0.2.1", "192.0.2.2", "a.test", "b.test", Child, "start")), io, clock, new SeededRandom(1));
        core.Start();
        Assert.Equal(1, io.Sent);

        io.Throw = true;
        clock.Now += TimeSpan.FromSeconds(5);
        core.OnTimer();
        Assert.Equal(1, core.Counters.InternalErrors);

        io.Throw = false;
        clock.Now += TimeSpan.FromSeconds(10);
        core.OnTimer();
        Assert.True(io.Sent > 1);
    }

    [Fact]
    public void UdpReader_SurvivesAnExceptionBelowIt()
    {
        var clock = new Clock();
        var io = new ThrowingIo();
        var responder = new GatewayCore(TestConfig.Load(InProcessGatewayTests.Config("gw", "192.0.2.2", "192.0.2.1", "b.test", "a.test", Child, "none")), io, clock, new SeededRandom(2));
        var initiatorIo = new FakeIo();
        var initiator = new GatewayCore(TestConfig.Load(InProcessGatewayTests.Config("gw", "192.0.2.1", "192.0.2.2", "a.test", "b.test", Child, "start")), initiatorIo, clock, new SeededRandom(1));
        initiator.Start();
        var (local, remote, data) = Assert.Single(initiatorIo.Udp);
        var buffer = new PacketBuffer(2048);

        io.Throw = true;
        buffer.Load(data, 0);
        responder.OnUdp(remote, local, buffer);
        Assert.Equal(1, responder.Counters.InternalErrors);

        io.Throw = false;
        buffer.Load(data, 0);
        responder.OnUdp(remote, local, buffer);
        Assert.Equal(1, io.Sent);
    }
}
