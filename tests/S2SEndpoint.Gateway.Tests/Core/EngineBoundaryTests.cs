using System.Net;
using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Gateway.Net;
using S2SEndpoint.Gateway.Policy;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway.Tests.Core;

/// <summary>
/// The engine talks to the kernel; the gateway applies what it was told after the engine call returns. Nothing leaves
/// the gateway while the engine runs (a received message, a timer, a command), and the kernel reaches the data path
/// make before break: a new inbound SA is in the table before the data path sees the new outbound one, and a removed
/// inbound SA leaves only after.
/// </summary>
public sealed class EngineBoundaryTests
{
    /// <summary>Fake I/O that notes every call made while its gateway runs a step that drives the engine.</summary>
    private sealed class WatchingIo : IGatewayIo
    {
        public FakeIo Inner { get; } = new();
        public GatewayCore? Core { get; set; }
        public List<string> InsideEngine { get; } = [];
        public int Calls { get; private set; }

        public void SendUdp(IPEndPoint local, IPEndPoint remote, ReadOnlySpan<byte> payload)
        {
            Watch($"SendUdp to {remote}");
            Inner.SendUdp(local, remote, payload);
        }

        public void WriteTun(string device, ReadOnlySpan<byte> packet)
        {
            Watch($"WriteTun {device}");
            Inner.WriteTun(device, packet);
        }

        public void SetCarrier(string device, bool up)
        {
            Watch($"SetCarrier {device} {up}");
            Inner.SetCarrier(device, up);
        }

        public void SetVirtualIp(string connection, string device, IPAddress address, bool present)
        {
            Watch($"SetVirtualIp {device} {address} {present}");
            Inner.SetVirtualIp(connection, device, address, present);
        }

        private void Watch(string call)
        {
            Calls++;
            if (Core!.InsideEngine)
                InsideEngine.Add(call + Environment.NewLine + Environment.StackTrace);
        }
    }

    private const string TrapChild = """ "net": { "local_ts": "10.1.0.0/24", "remote_ts": "10.2.0.0/24", "esp_proposals": "aes256gcm16", "start_action": "trap" } """;
    private const string PeerChild = """ "net": { "local_ts": "10.2.0.0/24", "remote_ts": "10.1.0.0/24", "esp_proposals": "aes256gcm16", "start_action": "none" } """;

    [Fact]
    public void NoGatewayIoWhileTheEngineRuns_TrapRekeysTimersAndTerminate_EverythingLeavesAfterTheEngineReturns()
    {
        var clock = new FakeClock();
        var ioA = new WatchingIo();
        var ioB = new WatchingIo();
        var a = new GatewayCore(TestConfig.Load(InProcessGatewayTests.Config("a", "192.0.2.1", "192.0.2.2", "moon", "sun", TrapChild, "trap")), ioA, clock, new SeededRandom(1));
        var b = new GatewayCore(TestConfig.Load(InProcessGatewayTests.Config("b", "192.0.2.2", "192.0.2.1", "sun", "moon", PeerChild, "none")), ioB, clock, new SeededRandom(2));
        (ioA.Core, ioB.Core) = (a, b);
        var net = new MemoryNetwork<GatewayHost>();
        net.Add("192.0.2.1", a, ioA.Inner);
        net.Add("192.0.2.2", b, ioB.Inner);
        // The watch sees what it should: a step is inside the engine, nothing else is.
        Assert.False(a.InsideEngine);
        Assert.True(a.Control(_ => a.InsideEngine));

        // The trap: the packets wait, the SA comes up inside A's Engine.Receive, and they leave after it returned.
        InProcessGatewayTests.Pair.Inject(a, "s2s0", InProcessGatewayTests.Ping("10.1.0.5", "10.2.0.7", 10));
        InProcessGatewayTests.Pair.Inject(a, "s2s0", InProcessGatewayTests.Ping("10.1.0.5", "10.2.0.7", 20));
        net.Pump();
        Assert.Equal([38, 48], ioB.Inner.Tun.Select(t => t.Packet.Length));

        // Rekeys from both sides, each under traffic, a liveness check, and the timers of a day's quarter hour.
        a.Control(engine => engine.Rekey("a", "net"));
        net.Pump();
        b.Control(engine => engine.Rekey("b", "net"));
        net.Pump();
        a.Control(engine => engine.CheckLiveness("a"));
        for (var second = 0; second < 900; second += 5)
        {
            clock.Advance(TimeSpan.FromSeconds(5));
            InProcessGatewayTests.Pair.Inject(a, "s2s0", InProcessGatewayTests.Ping("10.1.0.5", "10.2.0.7"));
            InProcessGatewayTests.Pair.Inject(b, "s2s0", InProcessGatewayTests.Ping("10.2.0.7", "10.1.0.5"));
            a.OnTimer();
            b.OnTimer();
            net.Pump();
        }
        a.Terminate("a");
        net.Pump();

        Assert.True(ioA.InsideEngine.Count + ioB.InsideEngine.Count == 0, string.Join(Environment.NewLine, ioA.InsideEngine.Concat(ioB.InsideEngine).Take(2)));
        Assert.Equal(2 + 180, ioB.Inner.Tun.Count);
        Assert.Equal(180, ioA.Inner.Tun.Count);
        Assert.True(ioA.Calls > 360 && ioB.Calls > 360, $"A made {ioA.Calls} calls, B {ioB.Calls}");
        Assert.DoesNotContain(a.Engine.Sas, s => s.State == IkeSaState.Established);
        Assert.Equal(0, a.Counters.Drops.Count(GatewayDropReason.InternalError) + b.Counters.Drops.Count(GatewayDropReason.InternalError));
    }

    private static (EspKernel Kernel, SaTable Table, ChildSaInstall Install) KernelWithOneChild()
    {
        Assert.True(ProposalKeywords.TryParse("aes256gcm16", ProtocolId.Esp, out var proposal, out var error), error);
        Assert.True(ChildSuite.TryFromProposal(proposal, out var suite, out error), error);
        var table = new SaTable();
        var kernel = new EspKernel(table, new SeededRandom(1), new FakeClock(), 1024);
        var key = Enumerable.Repeat((byte)0x5a, 36).ToArray();
        var install = new ChildSaInstall("c", "net", 1, 0x1000, 0x2000, suite, [.. key], [], [.. key], [], [], [],
            new IPEndPoint(IPAddress.Loopback, 4500), new IPEndPoint(IPAddress.Loopback, 4500), true, 0, 0);
        return (kernel, table, install);
    }

    [Fact]
    public void Install_NothingReachesTheTableUntilApplied_TheInboundSaJoinsBeforeThePublish()
    {
        var (kernel, table, install) = KernelWithOneChild();

        kernel.Install(install);

        // The engine sees its SA (it is chosen, its SPI is taken); the data path does not yet.
        Assert.False(table.TryGetInbound(0x1000, out _));
        var installed = Assert.Single(kernel.All);
        Assert.True(kernel.TryGetOutbound(installed.ReqId, out _));
        var change = Assert.Single(kernel.TakeChanges());
        Assert.Equal(KernelChangeKind.Installed, change.Kind);
        var inTableAtPublish = false;
        kernel.Apply([change], () => inTableAtPublish = table.TryGetInbound(0x1000, out _));
        Assert.True(inTableAtPublish);
        Assert.Empty(kernel.TakeChanges());
    }

    [Fact]
    public void Remove_TheInboundSaLeavesTheTableAfterThePublish_AndIsDisposedAfterItsGrace()
    {
        var (kernel, table, install) = KernelWithOneChild();
        kernel.Install(install);
        kernel.Apply(kernel.TakeChanges(), () => { });
        var installed = Assert.Single(kernel.All);

        kernel.Remove(0x1000, 0x2000);

        Assert.True(table.TryGetInbound(0x1000, out _));
        Assert.False(kernel.TryGetOutbound(installed.ReqId, out _));
        var change = Assert.Single(kernel.TakeChanges());
        Assert.Equal(KernelChangeKind.Removed, change.Kind);
        var inTableAtPublish = false;
        kernel.Apply([change], () => inTableAtPublish = table.TryGetInbound(0x1000, out _));
        Assert.True(inTableAtPublish);
        Assert.False(table.TryGetInbound(0x1000, out _));
        Assert.False(installed.Inbound.IsDisposed);
    }

    [Fact]
    public void RemoveSuperseded_TheInboundSaLingersInTheTable_ThenLeaves()
    {
        var (_, table, install) = KernelWithOneChild();
        var clock = new FakeClock();
        var kernel = new EspKernel(table, new SeededRandom(1), clock, 1024);
        kernel.Install(install);
        kernel.Apply(kernel.TakeChanges(), () => { });

        kernel.RemoveSuperseded(0x1000, 0x2000);
        var changes = kernel.TakeChanges();
        Assert.Equal(KernelChangeKind.Superseded, Assert.Single(changes).Kind);
        kernel.Apply(changes, () => { });
        Assert.True(table.TryGetInbound(0x1000, out _));

        clock.Advance(EspKernel.SupersededInboundLinger);
        kernel.Sweep();
        Assert.False(table.TryGetInbound(0x1000, out _));
    }
}
