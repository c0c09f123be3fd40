using System.Net;
using System.Net.Sockets;
using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Gateway.Control;
using S2SEndpoint.Gateway.Tests.Core;

namespace S2SEndpoint.Gateway.Tests.Control;

/// <summary>gateway.metrics: Prometheus text over HTTP on loopback, the series operators graph, counters that never go down.</summary>
public sealed class MetricsTests
{
    private static IPEndPoint FreeLoopbackPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return (IPEndPoint)probe.LocalEndpoint;
    }

    [Fact]
    public async Task Scrape_AfterATunnelAndAPingAndARekey_HasTheSeries()
    {
        var p = InProcessGatewayTests.PolicyBased();
        p.A.Start();
        p.Pump();
        InProcessGatewayTests.Pair.Inject(p.A, "s2s0", InProcessGatewayTests.Ping("10.1.0.5", "10.2.0.7"));
        p.Pump();
        p.A.Control(engine => engine.Rekey("moon"));
        p.Pump();
        InProcessGatewayTests.Pair.Inject(p.A, "s2s0", InProcessGatewayTests.Ping("10.1.0.5", "10.2.0.7"));
        InProcessGatewayTests.Pair.Inject(p.A, "s2s0", InProcessGatewayTests.Ping("10.9.0.5", "10.2.0.7"));
        p.Pump();

        using var metrics = new GatewayMetrics(p.A, FreeLoopbackPort());
        using var http = new HttpClient();
        var text = await http.GetStringAsync(new Uri($"http://{metrics.Endpoint}/metrics"));

        Assert.Contains("s2s_connection_up{connection=\"moon\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("s2s_ike_sas{state=\"established\"} 1", text, StringComparison.Ordinal);
        // Two pings over two SAs: the gone SA's packet still counts.
        Assert.Contains("s2s_child_packets_total{child=\"net\",connection=\"moon\",direction=\"out\"} 2", text, StringComparison.Ordinal);
        Assert.Contains("s2s_rekeys_total{kind=\"child\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("s2s_drops_total{layer=\"gateway\",reason=\"no_policy\"} 1", text, StringComparison.Ordinal);
        Assert.Matches(@"s2s_ike_messages_total\{direction=""in""\} [1-9]", text);
        Assert.Contains("s2s_ike_retransmits_total{} 0", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Scrape_AfterClampedSyns_CountsThem()
    {
        const string child = """ "net": { "local_ts": "10.1.0.0/24", "remote_ts": "10.2.0.0/24", "esp_proposals": "aes256gcm16", "start_action": "start", "mss_clamp": 1350 } """;
        var p = new InProcessGatewayTests.Pair(
            InProcessGatewayTests.Config("moon", "192.0.2.1", "192.0.2.2", "moon", "sun", child, "start"),
            InProcessGatewayTests.Config("sun", "192.0.2.2", "192.0.2.1", "sun", "moon", child.Replace("10.1.0.0/24\", \"remote_ts\": \"10.2.0.0/24", "10.2.0.0/24\", \"remote_ts\": \"10.1.0.0/24", StringComparison.Ordinal), "none"));
        p.A.Start();
        p.Pump();
        InProcessGatewayTests.Pair.Inject(p.A, "s2s0", TcpSegments.Ipv4("10.1.0.5", "10.2.0.7", TcpSegments.Tcp(TcpSegments.LinuxSynOptions(1460))));
        p.Pump();

        using var metrics = new GatewayMetrics(p.A, FreeLoopbackPort());
        using var http = new HttpClient();
        var text = await http.GetStringAsync(new Uri($"http://{metrics.Endpoint}/metrics"));

        // A lowered it before the seal; B found 1350 and left it.
        Assert.Contains("s2s_tcp_mss_clamped_total{} 1", text, StringComparison.Ordinal);
        Assert.Equal(0, p.B.Counters.MssClamped);
    }

    [Theory]
    [InlineData("9469", "127.0.0.1:9469")]
    [InlineData("0.0.0.0:9100", "0.0.0.0:9100")]
    [InlineData("[::1]:9469", "[::1]:9469")]
    public void MetricsKey_PortAloneIsLoopback(string text, string endpoint) =>
        Assert.Equal(IPEndPoint.Parse(endpoint), ConfigLoader.MetricsEndpoint(text));

    [Theory]
    [InlineData("0")]
    [InlineData("70000")]
    [InlineData("localhost:9469")]
    [InlineData("10.0.0.1")]
    public void MetricsKey_NotAnEndpoint_IsRefused(string text) => Assert.Null(ConfigLoader.MetricsEndpoint(text));

    [Fact]
    public void PortTaken_OneLineNamingTheKey()
    {
        var p = InProcessGatewayTests.PolicyBased();
        using var taken = new HttpListener();
        var endpoint = FreeLoopbackPort();
        taken.Prefixes.Add($"http://{endpoint}/");
        taken.Start();
        var e = Assert.Throws<InvalidOperationException>(() => new GatewayMetrics(p.A, endpoint));
        Assert.StartsWith("gateway.metrics: cannot listen on http://", e.Message, StringComparison.Ordinal);
    }
}
