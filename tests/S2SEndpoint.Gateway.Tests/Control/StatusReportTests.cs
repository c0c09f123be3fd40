using System.Text.Json.Nodes;
using S2SEndpoint.Gateway.Control;
using S2SEndpoint.Gateway.Tests.Core;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway.Tests.Control;

/// <summary>
/// `s2s status` built from two gateways joined in memory with a tunnel up and pings through it: the SAs
/// with their SPIs, proposals and counters, drops by reason, no secrets; and the commands of
/// <see cref="CoreControlHandler"/> on the same pair.
/// </summary>
public sealed class StatusReportTests
{
    private static InProcessGatewayTests.Pair TunnelWithTraffic()
    {
        var p = InProcessGatewayTests.PolicyBased();
        p.A.Start();
        p.Pump();
        for (var i = 0; i < 3; i++)
        {
            InProcessGatewayTests.Pair.Inject(p.A, "s2s0", InProcessGatewayTests.Ping("10.1.0.5", "10.2.0.7"));
            InProcessGatewayTests.Pair.Inject(p.B, "s2s0", InProcessGatewayTests.Ping("10.2.0.7", "10.1.0.5"));
            p.Pump();
        }
        // One packet that matches no policy, counted as a gateway drop.
        InProcessGatewayTests.Pair.Inject(p.A, "s2s0", InProcessGatewayTests.Ping("172.16.0.1", "10.2.0.7"));
        p.Clock.Advance(TimeSpan.FromSeconds(30));
        return p;
    }

    [Fact]
    public void Build_EstablishedTunnel_ShowsSasWithCounters()
    {
        var p = TunnelWithTraffic();
        var status = StatusReport.Build(p.A);

        var connection = Assert.IsType<JsonObject>(Assert.Single(status["connections"]!.AsArray()));
        Assert.Equal("moon", (string?)connection["name"]);
        Assert.Equal("192.0.2.2", (string?)connection["remote_addrs"]![0]);
        var ike = Assert.IsType<JsonObject>(Assert.Single(connection["ike_sas"]!.AsArray()));
        var sa = Assert.Single(p.A.Engine.Sas);
        Assert.Equal("ESTABLISHED", (string?)ike["state"]);
        Assert.Equal("initiator", (string?)ike["role"]);
        Assert.Equal(sa.InitiatorSpi.ToString("x16", null), (string?)ike["initiator_spi"]);
        Assert.Matches("^[0-9a-f]{16}$", (string?)ike["responder_spi"]);
        Assert.Equal("aes256gcm16-prfsha384-ecp384", (string?)ike["proposal"]);
        Assert.Equal("sun", (string?)ike["remote_id"]);
        Assert.Equal(30, (long)ike["established"]!);
        Assert.InRange((long)ike["rekey_in"]!, 1, (long)TimeSpan.FromHours(4).TotalSeconds);

        var child = Assert.IsType<JsonObject>(Assert.Single(ike["children"]!.AsArray()));
        var childSa = Assert.Single(sa.Children);
        Assert.Equal("net", (string?)child["name"]);
        Assert.Equal("INSTALLED", (string?)child["state"]);
        Assert.Equal("aes256gcm16", (string?)child["proposal"]);
        Assert.Equal(childSa.InboundSpi.ToString("x8", null), (string?)child["spi_in"]);
        Assert.Matches("^[0-9a-f]{8}$", (string?)child["spi_out"]);
        Assert.Equal(["10.1.0.0/24", "10.3.0.0/24"], child["local_ts"]!.AsArray().Select(x => (string?)x));
        Assert.Equal(["10.2.0.0/24"], child["remote_ts"]!.AsArray().Select(x => (string?)x));
        Assert.Equal(3UL, (ulong)child["packets_in"]!);
        Assert.Equal(3UL, (ulong)child["packets_out"]!);
        Assert.True((ulong)child["bytes_in"]! >= 3 * 84);
        Assert.True((ulong)child["bytes_out"]! >= 3 * 84);
        // The test clock moves wall time only (timestamps stay real), so the last packet reads as just now.
        Assert.Equal(0, (long)child["last_inbound"]!);
        Assert.Empty(child["drops"]!.AsObject());

        Assert.Equal(1, (long)status["drops"]!["gateway"]!["no_policy"]!);
        Assert.Equal("s2s0", (string?)status["gateway"]!["devices"]![0]);
    }

    [Fact]
    public void Build_ReplayedPacket_CountedOnTheSaByReason()
    {
        var p = InProcessGatewayTests.PolicyBased();
        p.A.Start();
        p.Pump();
        InProcessGatewayTests.Pair.Inject(p.A, "s2s0", InProcessGatewayTests.Ping("10.1.0.5", "10.2.0.7"));
        var esp = p.IoA.Udp.Single();
        p.IoA.Udp.Add(esp);
        p.Pump();
        var child = StatusReport.Build(p.B)["connections"]![0]!["ike_sas"]![0]!["children"]![0]!;
        Assert.Equal(1UL, (ulong)child["packets_in"]!);
        Assert.Equal(1, (long)child["drops"]!["replayed"]!);
        Assert.Equal("responder", (string?)StatusReport.Build(p.B)["connections"]![0]!["ike_sas"]![0]!["role"]);
    }

    [Fact]
    public void Build_NoSecretsInTheDocument()
    {
        var p = TunnelWithTraffic();
        var json = StatusReport.Build(p.A).ToJsonString();
        Assert.DoesNotContain("in-process-psk", json, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("psk", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("\"key", json, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Render_ShowsConnectionIkeSaAndChildLines()
    {
        var p = TunnelWithTraffic();
        var sa = Assert.Single(p.A.Engine.Sas);
        var child = Assert.Single(sa.Children);
        var lines = StatusReport.Render(StatusReport.Build(p.A)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("gateway: devices s2s0", lines[0]);
        Assert.Equal("moon: 192.0.2.1 ... 192.0.2.2", lines[1]);
        Assert.StartsWith($"  moon[{sa.Id}]: ESTABLISHED 30s ago, 192.0.2.1:4500 'moon' ... 192.0.2.2:4500 'sun'", lines[2], StringComparison.Ordinal);
        Assert.StartsWith($"    initiator, SPIs {sa.InitiatorSpi:x16}_i* {sa.ResponderSpi:x16}_r, aes256gcm16-prfsha384-ecp384, rekeying in ", lines[3], StringComparison.Ordinal);
        Assert.StartsWith($"    net{{{child.UniqueId}}}: INSTALLED 30s ago, aes256gcm16, rekeying in ", lines[4], StringComparison.Ordinal);
        Assert.Matches($"^      in  {child.InboundSpi:x8}, +\\d+ bytes, +3 packets, last 0s ago$", lines[5]);
        Assert.Matches($"^      out {child.OutboundSpi:x8}, +\\d+ bytes, +3 packets$", lines[6]);
        Assert.Equal("      10.1.0.0/24 10.3.0.0/24 === 10.2.0.0/24", lines[7]);
        Assert.Equal("drops: gateway: no_policy 1", lines[8]);
    }

    /// <summary>The daemon's offload report in the gateway line: what the kernel gave, off when switched off, nothing from a core alone.</summary>
    [Theory]
    [InlineData("""{ "enabled": true, "tun": ["s2s0", "vti0"], "udp_gso": true, "udp_gro": true }""", "gateway: devices s2s0; offload: TUN s2s0,vti0, UDP GSO GRO")]
    [InlineData("""{ "enabled": true, "tun": [], "udp_gso": true, "udp_gro": false }""", "gateway: devices s2s0; offload: UDP GSO")]
    [InlineData("""{ "enabled": true, "tun": [], "udp_gso": false, "udp_gro": false }""", "gateway: devices s2s0; offload: none the kernel gave")]
    [InlineData("""{ "enabled": false, "tun": [], "udp_gso": false, "udp_gro": false }""", "gateway: devices s2s0; offload off")]
    [InlineData(null, "gateway: devices s2s0")]
    public void Render_GatewayLine_SaysWhichOffloadsRun(string? offload, string expected)
    {
        var status = StatusReport.Build(TunnelWithTraffic().A);
        if (offload is not null)
            ((System.Text.Json.Nodes.JsonObject)status["gateway"]!)["offload"] = System.Text.Json.Nodes.JsonNode.Parse(offload);
        Assert.Equal(expected, StatusReport.Render(status).Split('\n')[0]);
    }

    [Fact]
    public void Handler_RekeyChild_StartsARekeyAndSaysSo()
    {
        var p = TunnelWithTraffic();
        var handler = new CoreControlHandler(p.A);
        var before = Assert.Single(Assert.Single(p.A.Engine.Sas).Children).InboundSpi;
        Assert.Equal("moon/net: rekeying 1 Child SA(s)", handler.Rekey("moon", "net"));
        // The request went out on Flush; the exchange completes once the peer answers.
        p.Pump();
        var after = Assert.Single(Assert.Single(p.A.Engine.Sas).Children);
        Assert.NotEqual(before, after.InboundSpi);
        Assert.Equal("moon: rekeying 1 IKE SA(s)", handler.Rekey("moon", null));
    }

    [Fact]
    public void Handler_Terminate_DeletesAndThenHasNothingLeft()
    {
        var p = TunnelWithTraffic();
        var handler = new CoreControlHandler(p.A);
        Assert.Equal("moon/net: terminating 1 Child SA(s)", handler.Terminate("moon", "net"));
        p.Pump();
        Assert.Empty(Assert.Single(p.A.Engine.Sas).Children);
        Assert.Equal("moon: terminating 1 IKE SA(s)", handler.Terminate("moon", null));
        p.Pump();
        Assert.DoesNotContain(p.A.Engine.Sas, s => s.State == IkeSaState.Established);
        var e = Assert.Throws<ControlException>(() => handler.Rekey("moon", null));
        Assert.Equal("moon: no established IKE SA to rekey", e.Message);
        Assert.Equal("moon: initiating", handler.Initiate("moon", null));
        p.Pump();
        Assert.Single(p.A.Engine.Sas, s => s.State == IkeSaState.Established);
    }

    [Theory]
    [InlineData("mars", null, "no connection 'mars'; known: moon")]
    [InlineData("moon", "lan", "connection 'moon' has no child 'lan'; it has: net")]
    public void Handler_UnknownName_OneLineNamingWhatExists(string connection, string? child, string message)
    {
        var p = InProcessGatewayTests.PolicyBased();
        var handler = new CoreControlHandler(p.A);
        Assert.Equal(message, Assert.Throws<ControlException>(() => handler.Initiate(connection, child)).Message);
        Assert.Equal(message, Assert.Throws<ControlException>(() => handler.Terminate(connection, child)).Message);
        Assert.Equal(message, Assert.Throws<ControlException>(() => handler.Rekey(connection, child)).Message);
    }

    [Fact]
    public void Handler_ReloadWithoutDaemonSupport_Refused()
    {
        var p = InProcessGatewayTests.PolicyBased();
        Assert.Equal("this daemon cannot reload its configuration", Assert.Throws<ControlException>(() => new CoreControlHandler(p.A).Reload()).Message);
        Assert.Equal("nothing changed", new CoreControlHandler(p.A, () => "nothing changed").Reload());
    }
}
