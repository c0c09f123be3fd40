using System.Text.Json.Nodes;
using S2SEndpoint.Gateway.Control;
using S2SEndpoint.Gateway.Tests.Core;

namespace S2SEndpoint.Gateway.Tests.Control;

/// <summary>
/// The s2s command line driven through <see cref="Program.Execute"/> against a control server with a fake
/// handler: CONN/CHILD reaches the daemon split, --json and --control are honoured, and each mistake is
/// one line with exit code 2 (usage) or 1 (failure).
/// </summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly SocketDirectory _dir = new();
    private readonly FakeHandler _handler = new();
    private readonly StringWriter _output = new();
    private readonly StringWriter _error = new();

    public void Dispose()
    {
        _dir.Dispose();
        _output.Dispose();
        _error.Dispose();
    }

    private int Run(params string[] args) => Program.Execute(args, _output, _error);

    [Theory]
    [InlineData("initiate", "moon/net", "moon", "net")]
    [InlineData("initiate", "moon", "moon", null)]
    [InlineData("terminate", "moon/net", "moon", "net")]
    [InlineData("terminate", "moon", "moon", null)]
    [InlineData("rekey", "moon", "moon", null)]
    [InlineData("rekey", "moon/net/2", "moon", "net/2")]
    public void TargetCommand_SplitsConnectionAndChild(string command, string target, string connection, string? child)
    {
        using var server = _dir.Start(_handler);
        Assert.Equal(0, Run(command, target, "--control", _dir.Socket));
        Assert.Equal((command, connection, child), Assert.Single(_handler.Calls));
        Assert.Equal($"{command} {connection}/{child}: done{Environment.NewLine}", _output.ToString());
        Assert.Empty(_error.ToString());
    }

    [Fact]
    public void Status_Json_PrintsTheDocumentIndented()
    {
        _handler.Document = new JsonObject { ["connections"] = new JsonArray(new JsonObject { ["name"] = "moon", ["ike_sas"] = new JsonArray() }) };
        using var server = _dir.Start(_handler);
        Assert.Equal(0, Run("status", "--json", "--control", _dir.Socket));
        Assert.True(JsonNode.DeepEquals(_handler.Document, JsonNode.Parse(_output.ToString())));
        Assert.Contains("\n  \"connections\"", _output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Status_Text_RendersTheDocument()
    {
        _handler.Document = new JsonObject
        {
            ["connections"] = new JsonArray(new JsonObject { ["name"] = "moon", ["local_addrs"] = new JsonArray("192.0.2.1"), ["remote_addrs"] = new JsonArray("192.0.2.2"), ["ike_sas"] = new JsonArray() }),
        };
        using var server = _dir.Start(_handler);
        Assert.Equal(0, Run("status", "--control", _dir.Socket));
        Assert.Equal($"moon: 192.0.2.1 ... 192.0.2.2, no IKE SA{Environment.NewLine}", _output.ToString());
    }

    [Fact]
    public void Status_Json_OverACoreWithTraffic_ShowsTheSasCounters()
    {
        var p = InProcessGatewayTests.PolicyBased();
        p.A.Start();
        p.Pump();
        InProcessGatewayTests.Pair.Inject(p.A, "s2s0", InProcessGatewayTests.Ping("10.1.0.5", "10.2.0.7"));
        p.Pump();
        using var server = _dir.Start(new CoreControlHandler(p.A));
        Assert.Equal(0, Run("status", "--json", "--control", _dir.Socket));
        var child = JsonNode.Parse(_output.ToString())!["connections"]![0]!["ike_sas"]![0]!["children"]![0]!;
        Assert.Equal(1, (int)child["packets_out"]!);
        Assert.True((int)child["bytes_out"]! > 0);
        Assert.Equal(p.A.Engine.Sas.Single().Children.Single().OutboundSpi.ToString("x8", null), (string?)child["spi_out"]);
    }

    [Fact]
    public void Reload_PrintsWhatChanged()
    {
        using var server = _dir.Start(_handler);
        Assert.Equal(0, Run("reload", "--control", _dir.Socket));
        Assert.Equal("reload", Assert.Single(_handler.Calls).Command);
    }

    [Fact]
    public void DaemonRefuses_OneLineOnStderrExitOne()
    {
        _handler.Throw = new ControlException("no connection 'mars'; known: moon");
        using var server = _dir.Start(_handler);
        Assert.Equal(1, Run("initiate", "mars", "--control", _dir.Socket));
        Assert.Equal($"no connection 'mars'; known: moon{Environment.NewLine}", _error.ToString());
        Assert.Empty(_output.ToString());
    }

    [Fact]
    public void NoDaemon_OneLineExitOne()
    {
        Assert.Equal(1, Run("status", "--control", _dir.Socket));
        Assert.Equal($"no s2s daemon on {_dir.Socket} (is `s2s run` running? use --control PATH){Environment.NewLine}", _error.ToString());
    }

    [Theory]
    [InlineData("initiate")]
    [InlineData("initiate", "moon/")]
    [InlineData("terminate", "/net")]
    [InlineData("rekey", "a", "b")]
    [InlineData("status", "--bogus")]
    [InlineData("run")]
    [InlineData("launch")]
    [InlineData]
    public void UsageMistake_ExitTwoWithoutTouchingTheDaemon(params string[] args)
    {
        using var server = _dir.Start(_handler);
        Assert.Equal(2, Run([.. args, "--control", _dir.Socket]));
        Assert.StartsWith("s2s: ", _error.ToString(), StringComparison.Ordinal);
        Assert.Empty(_handler.Calls);
    }

    [Fact]
    public void BadTarget_SaysWhatIsValid()
    {
        Assert.Equal(2, Run("initiate", "moon/"));
        Assert.StartsWith("s2s: 'moon/' is not CONN or CONN/CHILD", _error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Version_PrintsName()
    {
        Assert.Equal(0, Run("--version"));
        Assert.StartsWith("s2s ", _output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Help_ListsTheCommands()
    {
        Assert.Equal(0, Run("--help"));
        foreach (var command in new[] { "run", "check", "status", "initiate", "terminate", "rekey", "reload" })
            Assert.Contains($"  {command}", _output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Check_ThroughTheParser_SameAsBefore()
    {
        Assert.Equal(0, Run("check", "--config", Path.Combine(AppContext.BaseDirectory, "examples", "azure-like.json")));
        // The example as checked out is mode 0644 and holds a secret: OK, with a warning of that.
        Assert.Contains(": OK", _output.ToString(), StringComparison.Ordinal);
    }
}
