using System.Diagnostics.Metrics;
using System.Net;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using S2SEndpoint.Ike.Diagnostics;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway.Control;

/// <summary>
/// The gateway's metrics: System.Diagnostics.Metrics instruments read from the core at each scrape (under its control
/// lock, as `s2s status` reads it), served in Prometheus text on gateway.metrics (loopback unless an address says
/// otherwise) by OpenTelemetry's Prometheus HttpListener exporter, which takes the instruments as they are.
///
///   s2s_connection_up{connection}                    1 with an IKE SA established, 0 without (every configured one)
///   s2s_ike_sas{state}, s2s_child_sas{connection}    how many there are now
///   s2s_child_bytes_total, s2s_child_packets_total   {connection, child, direction}: over all the child's SAs so far
///   s2s_drops_total{layer, reason}                   ike, esp (the table's and every SA's, gone ones included), gateway
///   s2s_rekeys_total{kind}                           ike, child
///   s2s_ike_messages_total{direction}, s2s_ike_retransmits_total
///   s2s_tcp_mss_clamped_total                        SYNs whose MSS option a child's mss_clamp lowered, both ways
/// </summary>
public sealed class GatewayMetrics : IDisposable
{
    /// <summary>The meter the instruments belong to.</summary>
    public const string MeterName = "S2SEndpoint";

    private readonly Meter _meter = new(MeterName);
    private readonly MeterProvider _provider;

    /// <param name="core">The gateway.</param>
    /// <param name="listen">Where the exporter listens (HTTP, path /metrics).</param>
    public GatewayMetrics(GatewayCore core, IPEndPoint listen)
    {
        ArgumentNullException.ThrowIfNull(core);
        ArgumentNullException.ThrowIfNull(listen);
        Endpoint = listen;
        _meter.CreateObservableGauge("s2s.connection.up", () => core.Inspect(_ =>
            core.Engine.Connections.Select(c => new Measurement<int>(
                core.Engine.Sas.Any(s => s.Config.Name == c.Name && s.State == IkeSaState.Established) ? 1 : 0, Tag("connection", c.Name))).ToList()),
            description: "1 when the connection has an IKE SA established, 0 when not");
        _meter.CreateObservableGauge("s2s.ike.sas", () => core.Inspect(_ =>
            core.Engine.Sas.GroupBy(s => s.State).Select(g => new Measurement<int>(g.Count(), Tag("state", g.Key.ToString().ToLowerInvariant()))).ToList()),
            description: "IKE SAs by state");
        _meter.CreateObservableGauge("s2s.child.sas", () => core.Inspect(_ =>
            core.Engine.Sas.SelectMany(s => s.Children).GroupBy(c => c.Config.Name).Select(g => new Measurement<int>(g.Count(), Tag("child", g.Key))).ToList()),
            description: "Child SAs by child");
        _meter.CreateObservableCounter("s2s.child.bytes", () => Traffic(core, bytes: true), description: "inner-packet octets over all of a child's SAs");
        _meter.CreateObservableCounter("s2s.child.packets", () => Traffic(core, bytes: false), description: "packets over all of a child's SAs");
        _meter.CreateObservableCounter("s2s.drops", () => core.Inspect(_ => Drops(core)), description: "packets and datagrams dropped, by layer and reason");
        _meter.CreateObservableCounter("s2s.rekeys", () => core.Inspect(_ => new[]
        {
            new Measurement<long>(core.Engine.Statistics.IkeRekeys, Tag("kind", "ike")),
            new Measurement<long>(core.Engine.Statistics.ChildRekeys, Tag("kind", "child")),
        }), description: "SAs replaced by a rekey");
        _meter.CreateObservableCounter("s2s.ike.messages", () => core.Inspect(_ => new[]
        {
            new Measurement<long>(core.Engine.Statistics.Received, Tag("direction", "in")),
            new Measurement<long>(core.Engine.Statistics.Sent, Tag("direction", "out")),
        }), description: "IKE datagrams received and sent");
        _meter.CreateObservableCounter("s2s.ike.retransmits", () => core.Inspect(_ => core.Engine.Statistics.Retransmits), description: "IKE requests sent again for want of an answer");
        _meter.CreateObservableCounter("s2s.tcp.mss_clamped", () => core.Counters.MssClamped, description: "TCP SYNs whose MSS option a child's mss_clamp lowered, both ways");

        var prefix = $"http://{(listen.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{listen.Address}]" : listen.Address.ToString())}:{listen.Port}/";
        try
        {
            _provider = Build(prefix);
        }
        catch (Exception e) when (e is HttpListenerException or InvalidOperationException)
        {
            // The exporter wraps the listener's failure (the port is taken, or the address not ours).
            _meter.Dispose();
            throw new InvalidOperationException($"gateway.metrics: cannot listen on {prefix}: {(e.InnerException ?? e).Message}", e);
        }
    }

    private static MeterProvider Build(string prefix) =>
        Sdk.CreateMeterProviderBuilder()
            .AddMeter(MeterName)
            .AddPrometheusHttpListener(o =>
            {
                o.ScopeInfoEnabled = false;
                o.TargetInfoEnabled = false;
                o.ConfigureHttpListener = (_, listener) =>
                {
                    listener.Prefixes.Clear();
                    listener.Prefixes.Add(prefix);
                };
            })
            .Build();

    /// <summary>Where the exporter listens.</summary>
    public IPEndPoint Endpoint { get; }

    private static KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);

    private static List<Measurement<long>> Traffic(GatewayCore core, bool bytes) => core.Inspect(_ =>
    {
        var list = new List<Measurement<long>>();
        foreach (var ((connection, child), t) in core.Kernel.Totals())
        {
            list.Add(new((long)(bytes ? t.InboundBytes : t.InboundPackets), Tag("connection", connection), Tag("child", child), Tag("direction", "in")));
            list.Add(new((long)(bytes ? t.OutboundBytes : t.OutboundPackets), Tag("connection", connection), Tag("child", child), Tag("direction", "out")));
        }
        return list;
    });

    private static List<Measurement<long>> Drops(GatewayCore core)
    {
        var list = new List<Measurement<long>>();
        void Add<TReason>(string layer, DropCounters<TReason> counters) where TReason : struct, Enum
        {
            foreach (var (reason, count) in counters.Nonzero())
                list.Add(new(count, Tag("layer", layer), Tag("reason", reason)));
        }
        Add("ike", core.Engine.Drops);
        Add("gateway", core.Counters.Drops);
        // ESP: the table's, the live SAs' and the gone SAs' in one sum per reason, so that no total goes down.
        var esp = new DropCounters<S2SEndpoint.Esp.DropReason>();
        esp.Add(core.Kernel.Table.Drops);
        esp.Add(core.Kernel.RetiredDrops);
        foreach (var i in core.Kernel.All)
        {
            esp.Add(i.Inbound.Drops);
            esp.Add(i.Outbound.Drops);
        }
        Add("esp", esp);
        return list;
    }

    public void Dispose()
    {
        _provider.Dispose();
        _meter.Dispose();
    }
}
