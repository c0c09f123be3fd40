using System.Text.Json.Nodes;
using S2SEndpoint.Gateway.Control;
using S2SEndpoint.Gateway.Tests.Core;
using S2SEndpoint.TestSupport;
using static S2SEndpoint.Gateway.Tests.Core.InProcessGatewayTests;

namespace S2SEndpoint.Gateway.Tests.Control;

/// <summary>
/// `s2s trace` end to end: the CLI, the control socket and a gateway whose SA is up in memory. What the records hold is
/// pinned in <see cref="TraceTests"/>; here, that they reach the user as one block per packet, or JSON, and that the
/// trace leaves the data path when the CLI is done.
/// </summary>
public sealed class TraceCommandTests : IDisposable
{
    private readonly SocketDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Trace_TheCliPrintsOneBlockPerPacket_InPacketOrder_ThenTheTraceStops()
    {
        var p = TraceTests.Up();
        using var server = _dir.Start(new CoreControlHandler(p.A));
        using var output = new StringWriter();
        using var error = new StringWriter();
        var cli = Task.Run(() => Program.Execute(["trace", "moon/net", "--outbound", "--count", "1", "--control", _dir.Socket], output, error));
        Eventually.Holds(() => p.A.Data.Tracer is not null);
        Pair.Inject(p.A, "s2s0", Ping("10.1.0.5", "10.2.0.7"));

        Assert.Equal(0, await cli.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Empty(error.ToString());
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var wire = p.IoA.Udp.Single().Data.Length + 20 + 8;
        Assert.Matches($@"^#1 \d{{4}}-\d\d-\d\dT[0-9:.]+Z outbound moon/net: sent, {wire} octets on the wire$", lines[0]);
        // One line (or a few) per step, in the order the packet went: each line starts with its step's name.
        string[] order = ["tun", "inner", "policy", "sa", "esp", "outer"];
        var firsts = order.Select(step => Array.FindIndex(lines, l => l.TrimStart().StartsWith(step, StringComparison.Ordinal))).ToArray();
        Assert.DoesNotContain(-1, firsts);
        Assert.Equal(firsts.Order(), firsts);
        Assert.Contains(lines, l => l.Contains("10.1.0.5 > 10.2.0.7", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("192.0.2.1 > 192.0.2.2", StringComparison.Ordinal) && l.Contains("4500 > 4500", StringComparison.Ordinal));
        // The count reached, the daemon's side goes too: the data path reads a null tracer again.
        Eventually.Holds(() => p.A.Data.Tracer is null);
    }

    [Fact]
    public async Task Trace_Json_OneObjectPerPacket_ADropWithItsReason()
    {
        var p = TraceTests.Up();
        using var server = _dir.Start(new CoreControlHandler(p.A));
        using var output = new StringWriter();
        using var error = new StringWriter();
        var cli = Task.Run(() => Program.Execute(["trace", "--count", "2", "--json", "--control", _dir.Socket], output, error));
        Eventually.Holds(() => p.A.Data.Tracer is not null);
        Pair.Inject(p.A, "s2s0", Ping("10.1.0.5", "10.2.0.7"));
        Pair.Inject(p.A, "s2s0", Ping("10.1.0.5", "10.9.0.1"));

        Assert.Equal(0, await cli.WaitAsync(TimeSpan.FromSeconds(30)));
        var records = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
        Assert.Equal(["sent", "dropped"], records.Select(r => r["result"]!.ToString()));
        Assert.Equal("no_policy", records[1]["drop"]!["reason"]!.ToString());
        Eventually.Holds(() => p.A.Data.Tracer is null);
    }

    [Theory]
    [InlineData(new[] { "trace", "mars" }, 1, "no connection 'mars'; known: moon")]
    [InlineData(new[] { "trace", "moon/x" }, 1, "connection 'moon' has no child 'x'; it has: net")]
    [InlineData(new[] { "trace", "--inbound", "--outbound" }, 2, "trace: give --inbound or --outbound, not both (leave both out for both directions)")]
    [InlineData(new[] { "trace", "--count", "-1" }, 2, "--count: '-1' is not a number of packets; give 1 or more, or leave it out to follow until interrupted")]
    [InlineData(new[] { "trace", "/net" }, 2, "'/net' is not CONN or CONN/CHILD (a connection name, optionally '/' and one of its children)")]
    public void Trace_AMistake_OneLineNamingIt(string[] args, int exit, string message)
    {
        var p = TraceTests.Up();
        using var server = _dir.Start(new CoreControlHandler(p.A));
        using var output = new StringWriter();
        using var error = new StringWriter();

        Assert.Equal(exit, Program.Execute([.. args, "--control", _dir.Socket], output, error));
        Assert.Contains(message, error.ToString(), StringComparison.Ordinal);
        Assert.Null(p.A.Data.Tracer);
    }
}
