using System.Text.Json.Nodes;
using S2SEndpoint.Gateway.Control;
using S2SEndpoint.Gateway.Tracing;
using S2SEndpoint.Ike.Sa;
using static S2SEndpoint.Gateway.Tests.Core.InProcessGatewayTests;
using static S2SEndpoint.TestSupport.TcpSegments;

namespace S2SEndpoint.Gateway.Tests.Core;

/// <summary>
/// children.NAME.mss_clamp through two gateways joined in memory: the child that has it lowers the MSS option of the
/// SYNs it sends (after the route, before the seal) and of those it receives (after the open, before the TUN write),
/// so that both ends of a connection through it offer no more; a child without it changes nothing. Each clamp is
/// counted (`s2s status`, metrics) and shown to `s2s trace`.
/// </summary>
public sealed class MssClampTests
{
    private const string PolicyChildA = """ "net": { "local_ts": "10.1.0.0/24", "remote_ts": "10.2.0.0/24", "esp_proposals": "aes256gcm16", "start_action": "START" MSS } """;
    private const string PolicyChildB = """ "net": { "local_ts": "10.2.0.0/24", "remote_ts": "10.1.0.0/24", "esp_proposals": "aes256gcm16" } """;

    /// <summary>A (moon, 192.0.2.1) and B (sun, 192.0.2.2), policy-based; A's child with <paramref name="mss"/> as its mss_clamp unless null.</summary>
    private static Pair PolicyBased(string? mss, string start = "start")
    {
        var childA = PolicyChildA.Replace("START", start, StringComparison.Ordinal).Replace("MSS", mss is null ? "" : $", \"mss_clamp\": {mss}", StringComparison.Ordinal);
        var p = new Pair(
            InProcessGatewayTests.Config("moon", "192.0.2.1", "192.0.2.2", "moon", "sun", childA, start),
            InProcessGatewayTests.Config("sun", "192.0.2.2", "192.0.2.1", "sun", "moon", PolicyChildB, "none"));
        if (start == "start")
        {
            p.A.Start();
            p.Pump();
            Assert.Single(p.A.Engine.Sas, s => s.State == IkeSaState.Established);
        }
        return p;
    }

    private static byte[] SynFromA(ushort mss = 1460) => Ipv4("10.1.0.5", "10.2.0.7", Tcp(LinuxSynOptions(mss)));

    private static byte[] SynAckFromB(ushort mss = 1460) => Ipv4("10.2.0.7", "10.1.0.5", Tcp(LinuxSynOptions(mss), Syn | Ack));

    /// <summary>
    /// <paramref name="delivered"/> is <paramref name="sent"/> as a router forwards it (TTL or hop limit one less), with
    /// <paramref name="mss"/> in its MSS option and a TCP checksum equal to a full computation; no other octet of the
    /// TCP segment changed.
    /// </summary>
    private static void AssertDelivered(byte[] sent, byte[] delivered, int mss)
    {
        Assert.Equal(sent.Length, delivered.Length);
        Assert.Equal(mss, Mss(delivered));
        Assert.Equal(ComputeChecksum(delivered), StoredChecksum(delivered));
        var tcp = TcpOffset(sent);
        var allowed = new[] { tcp + 16, tcp + 17, MssOffset(sent), MssOffset(sent) + 1 };
        for (var i = tcp; i < sent.Length; i++)
        {
            if (sent[i] != delivered[i])
                Assert.Contains(i, allowed);
        }
    }

    [Fact]
    public void ChildWithMssClamp_ClampsItsOutboundAndInboundSyns()
    {
        var p = PolicyBased("1350");
        var syn = SynFromA();

        Pair.Inject(p.A, "s2s0", syn);
        p.Pump();
        var (device, delivered) = Assert.Single(p.IoB.Tun);
        Assert.Equal("s2s0", device);
        AssertDelivered(syn, delivered, 1350);

        // B clamps nothing: its SYN-ACK leaves with 1460, and A lowers it on the way in.
        var synAck = SynAckFromB();
        Pair.Inject(p.B, "s2s0", synAck);
        p.Pump();
        AssertDelivered(synAck, Assert.Single(p.IoA.Tun).Packet, 1350);

        Assert.Equal(2, p.A.Counters.MssClamped);
        Assert.Equal(0, p.B.Counters.MssClamped);
    }

    [Theory]
    [InlineData("1460")]
    [InlineData("1500")]
    public void MssAtOrBelowTheClamp_CrossesUnchanged(string clamp)
    {
        var p = PolicyBased(clamp);
        var syn = SynFromA();

        Pair.Inject(p.A, "s2s0", syn);
        p.Pump();

        AssertDelivered(syn, Assert.Single(p.IoB.Tun).Packet, 1460);
        Assert.Equal(syn.AsSpan(20).ToArray(), p.IoB.Tun[0].Packet.AsSpan(20).ToArray());
        Assert.Equal(0, p.A.Counters.MssClamped);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("0")]
    public void ChildWithoutMssClamp_ChangesNoSyn(string? mss)
    {
        var p = PolicyBased(mss);
        var syn = SynFromA();
        var synAck = SynAckFromB();

        Pair.Inject(p.A, "s2s0", syn);
        Pair.Inject(p.B, "s2s0", synAck);
        p.Pump();

        Assert.Equal(syn.AsSpan(20).ToArray(), Assert.Single(p.IoB.Tun).Packet.AsSpan(20).ToArray());
        Assert.Equal(synAck.AsSpan(20).ToArray(), Assert.Single(p.IoA.Tun).Packet.AsSpan(20).ToArray());
        Assert.Equal(0, p.A.Counters.MssClamped);
        Assert.Equal(0, p.B.Counters.MssClamped);
    }

    /// <summary>
    /// A route-based child carries IPv6 too: a SYN behind a hop-by-hop header each way, clamped by A both ways, to 20 less
    /// than mss_clamp (IPv4's), for packets of the same size.
    /// </summary>
    [Fact]
    public void RouteBasedChild_Ipv6SynsBehindExtensionHeaders_ClampedBothWays()
    {
        const string vtiA = """ "vti": { "interface": "vti-b", "routes": "fd00:2::/64", "esp_proposals": "aes256gcm16", "start_action": "start", "mss_clamp": 1300 } """;
        const string vtiB = """ "vti": { "interface": "vti-a", "esp_proposals": "aes256gcm16" } """;
        var p = new Pair(InProcessGatewayTests.Config("moon", "192.0.2.1", "192.0.2.2", "moon", "sun", vtiA, "start"), InProcessGatewayTests.Config("sun", "192.0.2.2", "192.0.2.1", "sun", "moon", vtiB, "none"));
        p.A.Start();
        p.Pump();
        var syn = Ipv6("fd00:1::5", "fd00:2::7", Tcp(LinuxSynOptions(1440)), [0]);
        var synAck = Ipv6("fd00:2::7", "fd00:1::5", Tcp(LinuxSynOptions(1440), Syn | Ack), [0, 60]);

        Pair.Inject(p.A, "vti-b", syn);
        Pair.Inject(p.B, "vti-a", synAck);
        p.Pump();

        AssertDelivered(syn, Assert.Single(p.IoB.Tun).Packet, 1280);
        AssertDelivered(synAck, Assert.Single(p.IoA.Tun).Packet, 1280);
        Assert.Equal(2, p.A.Counters.MssClamped);
    }

    /// <summary>start_action trap: the SYN that brings the tunnel up is clamped before it is held, and leaves clamped.</summary>
    [Fact]
    public void TrappedChild_TheHeldSynLeavesClamped()
    {
        var p = PolicyBased("1350", start: "trap");
        var syn = SynFromA();

        Pair.Inject(p.A, "s2s0", syn);
        Assert.Equal(1, p.A.Counters.Held);
        p.Pump();

        AssertDelivered(syn, Assert.Single(p.IoB.Tun).Packet, 1350);
        Assert.Equal(1, p.A.Counters.MssClamped);
    }

    [Fact]
    public void Trace_ShowsTheClamp_OutboundBeforeTheSa_InboundBeforeTheDevice()
    {
        var p = PolicyBased("1350");
        using var trace = p.A.Trace(null, null, TraceDirection.Both, 0)!;

        Pair.Inject(p.A, "s2s0", SynFromA());
        p.Pump();
        Pair.Inject(p.B, "s2s0", SynAckFromB(1400));
        p.Pump();

        var records = new List<JsonObject>();
        while (trace.TryRead(TimeSpan.Zero, out var line))
            records.Add((JsonObject)JsonNode.Parse(line.ToJsonString())!);
        Assert.Equal(2, records.Count);
        Assert.Equal(["tun", "inner", "policy", "mss", "sa", "esp", "outer"], Steps(records[0]));
        Assert.Equal(["outer", "udp", "spi", "length", "replay", "icv", "trailer", "inner", "selectors", "mss", "tun"], Steps(records[1]));
        var mss = (JsonObject)records[1]["steps"]!.AsArray().Single(s => s!["step"]!.ToString() == "mss")!;
        Assert.Equal(1400, (int)mss["from"]!);
        Assert.Equal(1350, (int)mss["to"]!);
        Assert.Matches(@"\n  mss +TCP MSS 1460 -> 1350 \(mss_clamp\)\n", TraceText.Render(records[0]));
        Assert.Contains("TCP MSS 1400 -> 1350", TraceText.Render(records[1]), StringComparison.Ordinal);
    }

    private static string[] Steps(JsonObject record) => [.. record["steps"]!.AsArray().Select(s => s!["step"]!.ToString())];

    [Fact]
    public void Status_CountsClampedSyns()
    {
        var p = PolicyBased("1350");
        Pair.Inject(p.A, "s2s0", SynFromA());
        Pair.Inject(p.B, "s2s0", SynAckFromB());
        Pair.Inject(p.A, "s2s0", SynFromA(1200));
        p.Pump();

        var status = StatusReport.Build(p.A);

        Assert.Equal(2, (long)status["gateway"]!["mss_clamped"]!);
        Assert.Equal(0, (long)StatusReport.Build(p.B)["gateway"]!["mss_clamped"]!);
        Assert.StartsWith("gateway: devices s2s0; TCP MSS clamped in 2 SYNs\n", StatusReport.Render(status), StringComparison.Ordinal);
        Assert.StartsWith("gateway: devices s2s0\n", StatusReport.Render(StatusReport.Build(p.B)), StringComparison.Ordinal);
    }

    /// <summary>A reload that changes mss_clamp changes the connection: its next SAs carry the new value.</summary>
    [Fact]
    public void Reload_NewMssClamp_TheRoutesCarryIt()
    {
        var p = PolicyBased("1350");
        var next = TestConfig.Load(InProcessGatewayTests.Config("moon", "192.0.2.1", "192.0.2.2", "moon", "sun",
            PolicyChildA.Replace("START", "start", StringComparison.Ordinal).Replace("MSS", ", \"mss_clamp\": 1200", StringComparison.Ordinal), "start"));
        var diff = S2SEndpoint.Gateway.Config.ConfigDiff.Between(p.A.Config, next);
        Assert.Equal(["moon"], diff.Changed);

        p.A.Reload(next, diff);
        p.Pump();
        Pair.Inject(p.A, "s2s0", SynFromA());
        p.Pump();

        Assert.All(p.A.Data.Snapshot.Routes.Values, r => Assert.Equal(1200, r.MssClamp));
        AssertDelivered(SynFromA(), p.IoB.Tun[^1].Packet, 1200);
    }
}
