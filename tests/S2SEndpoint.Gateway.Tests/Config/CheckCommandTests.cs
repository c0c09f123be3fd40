namespace S2SEndpoint.Gateway.Tests.Config;

/// <summary>`s2s check --config FILE`: OK for the examples, one line per problem and exit 1 otherwise.</summary>
public sealed class CheckCommandTests
{
    [Theory]
    [InlineData("policy-based.json")]
    [InlineData("route-based.json")]
    [InlineData("azure-like.json")]
    public void Check_Examples_Ok(string example)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(0, Program.Check(Path.Combine(AppContext.BaseDirectory, "examples", example), output, error));
        Assert.Contains(": OK", output.ToString(), StringComparison.Ordinal);
        Assert.Empty(error.ToString());
    }

    [Fact]
    public void Check_BadConfig_OneLinePerProblemAndExitOne()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, """{ "gateway": { "mtu": 1 }, "connections": { "c": { "rekey_time": "soon" } } }""");
            var output = new StringWriter();
            var error = new StringWriter();
            Assert.Equal(1, Program.Check(file, output, error));
            var lines = error.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
            Assert.Contains("gateway.mtu: '1' is not a whole number from 576 to 65535", lines);
            Assert.Contains(lines, l => l.StartsWith("connections.c.rekey_time: 'soon' is not a duration", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith("connections.c.local: missing", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Check_TwoConnectionsOfOneName_RefusedAsRunWould()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, """
                {
                  "connections": {
                    "c": { "remote_addrs": "192.0.2.2", "local": { "id": "moon" }, "children": { "net": { "local_ts": "10.1.0.0/24", "remote_ts": "10.2.0.0/24" } } },
                    "c": { "remote_addrs": "192.0.2.3", "local": { "id": "moon" }, "children": { "net": { "local_ts": "10.1.0.0/24", "remote_ts": "10.3.0.0/24" } } }
                  },
                  "secrets": { "ike-c": { "secret": "a-pre-shared-key-of-some-length" } }
                }
                """);
            var error = new StringWriter();
            Assert.Equal(1, Program.Check(file, new StringWriter(), error));
            Assert.StartsWith("connections.c: is written more than once", error.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Check_MissingFile_SaysSo()
    {
        var error = new StringWriter();
        Assert.Equal(1, Program.Check("/nonexistent/s2s.json", new StringWriter(), error));
        Assert.StartsWith("/nonexistent/s2s.json: cannot be read", error.ToString(), StringComparison.Ordinal);
    }
}
