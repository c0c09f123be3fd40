namespace S2SEndpoint.Gateway.Tests.Config;

/// <summary>
/// `s2s check --config FILE`: OK for the examples, one line per problem and exit 1 otherwise; warnings (secrets
/// others can read, short keys) are printed and exit 0.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CheckCommandTests : IDisposable
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const string Secret = "a-pre-shared-key-of-26-chars";

    private readonly string _dir = Directory.CreateTempSubdirectory("s2s-check-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>Writes a file into the test's directory with the given mode (set after writing, so the umask plays no part).</summary>
    private string Write(string name, string text, UnixFileMode mode)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    private static string Config(string secret) => $$"""
        {
          "connections": {
            "c": {
              "remote_addrs": "192.0.2.2", "local": { "id": "moon" }, "remote": { "id": "sun" },
              "children": { "net": { "local_ts": "10.1.0.0/24", "remote_ts": "10.2.0.0/24" } }
            }
          },
          "secrets": { "ike-c": { "id": "sun", {{secret}} } }
        }
        """;

    private static (int Exit, string Output, string Error) Check(string path)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = Program.Check(path, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData("policy-based.json")]
    [InlineData("route-based.json")]
    [InlineData("azure-like.json")]
    [InlineData("azure-active-active.json")]
    public void Check_Examples_OkWithoutWarningsOnceChmod600(string example)
    {
        // As installed: files holding secrets mode 0600 (a checkout gives them 0644, which check warns of).
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "examples")))
            Write(Path.GetFileName(file), File.ReadAllText(file), Private);
        var (exit, output, error) = Check(Path.Combine(_dir, example));
        Assert.Equal(0, exit);
        Assert.EndsWith(": OK" + Environment.NewLine, output, StringComparison.Ordinal);
        Assert.Empty(error);
    }

    [Theory]
    [InlineData(0b110_100_100, "its group and others can read it")]
    [InlineData(0b110_100_000, "its group can read it")]
    [InlineData(0b110_010_000, "its group can write it")]
    [InlineData(0b110_000_110, "others can read and write it")]
    [InlineData(0b110_110_110, "its group and others can read and write it")]
    [InlineData(0b110_000_000, null)]
    [InlineData(0b100_000_000, null)]
    [InlineData(0b111_001_001, null)]
    public void Check_ConfigHoldingASecret_WarnsWhenGroupOrOthersMayReadOrWriteIt(int mode, string? access)
    {
        var path = Write("s2s.json", Config($"\"secret\": \"{Secret}\""), (UnixFileMode)mode);
        var (exit, output, error) = Check(path);
        Assert.Equal(0, exit);
        if (access is null)
        {
            Assert.Empty(error);
            return;
        }
        var octal = Convert.ToString(mode, 8).PadLeft(4, '0');
        Assert.Equal($"warning: {path}: this file holds pre-shared keys and has mode {octal}: {access}; chmod 600 {path}{Environment.NewLine}", error);
        Assert.EndsWith(": OK, 1 warning(s)" + Environment.NewLine, output, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_SecretFileReadableByGroup_WarnsNamingTheFileAndTheFix()
    {
        var psk = Write("c.psk", Secret + "\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        // The configuration itself holds no secret here: its own 0644 is no warning.
        var path = Write("s2s.json", Config("\"file\": \"c.psk\""), Private | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var (exit, _, error) = Check(path);
        Assert.Equal(0, exit);
        Assert.Equal($"warning: secrets.ike-c.file: '{psk}' holds a pre-shared key and has mode 0640: its group can read it; chmod 600 {psk}{Environment.NewLine}", error);
    }

    /// <summary>A host name is checked as a name, not looked up (its addresses may be others when s2s runs, and on each attempt).</summary>
    [Fact]
    public void Check_HostNameInRemoteAddrs_OkWithoutLookingItUp_SaysItIsResolvedAtRunTime()
    {
        var path = Write("s2s.json", Config($"\"secret\": \"{Secret}\"").Replace("\"192.0.2.2\"", "\"vpn.example.invalid, 192.0.2.3\"", StringComparison.Ordinal), Private);
        var (exit, output, error) = Check(path);
        Assert.Equal(0, exit);
        Assert.Empty(error);
        Assert.Equal(
            $"{path}: 1 connection(s), 1 child(ren): OK{Environment.NewLine}" +
            $"connections.c.remote_addrs: 'vpn.example.invalid' is a host name, resolved at run time: each time s2s initiates the connection, and every minute for the peers it accepts{Environment.NewLine}",
            output);
    }

    [Fact]
    public void Check_InvalidHostNameInRemoteAddrs_OneLineAndExitOne()
    {
        var path = Write("s2s.json", Config($"\"secret\": \"{Secret}\"").Replace("\"192.0.2.2\"", "\"vpn_1.example.net\"", StringComparison.Ordinal), Private);
        var (exit, output, error) = Check(path);
        Assert.Equal(1, exit);
        Assert.Empty(output);
        Assert.Equal($"connections.c.remote_addrs[0]: 'vpn_1.example.net' is neither an IP address nor a host name; valid: an IPv4 or IPv6 address, a DNS name such as vpn.example.net (resolved when s2s initiates), or %any{Environment.NewLine}", error);
    }

    [Fact]
    public void Check_ShortPreSharedKey_WarnsWithoutPrintingItAndExitsZero()
    {
        var path = Write("s2s.json", Config("\"secret\": \"hunter2\""), Private);
        var (exit, output, error) = Check(path);
        Assert.Equal(0, exit);
        Assert.Contains(": OK, 1 warning(s)", output, StringComparison.Ordinal);
        Assert.StartsWith("warning: secrets.ike-c.secret: the pre-shared key has 7 characters; one shorter than 20", error, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error, StringComparison.Ordinal);
    }

    /// <summary>Two tunnels that route one prefix with one metric: one multipath route (ECMP), which `s2s run` installs.</summary>
    [Fact]
    public void Check_OnePrefixIntoTwoTunnelsWithOneMetric_OkAsEcmp()
    {
        var path = Write("s2s.json", """
            {
              "connections": {
                "azure-0": { "remote_addrs": "192.0.2.2", "local": { "id": "moon" }, "remote": { "id": "sun" },
                  "children": { "vnet": { "interface": "vti0", "routes": "10.2.0.0/16, fd00:2::/48" } } },
                "azure-1": { "remote_addrs": "192.0.2.3", "local": { "id": "moon" }, "remote": { "id": "sun" },
                  "children": { "vnet": { "interface": "vti1", "routes": "10.2.0.0/16 metric 0, fd00:2::/48 metric 1024" } } }
              },
              "secrets": { "ike-c": { "id": "sun", "secret": "a-pre-shared-key-of-26-chars" } }
            }
            """, Private);

        var (exit, output, error) = Check(path);

        Assert.Equal(0, exit);
        Assert.EndsWith(": OK" + Environment.NewLine, output, StringComparison.Ordinal);
        Assert.Empty(error);
    }

    /// <summary>A tunnel's route equal to a policy-based child's remote_ts: `s2s run` would stop at `ip route add` ("File exists").</summary>
    [Fact]
    public void Check_ATunnelRouteEqualToAPolicyBasedChildsRoute_RefusedNamingBothChildren()
    {
        var path = Write("s2s.json", """
            {
              "connections": {
                "hq": { "remote_addrs": "192.0.2.2", "local": { "id": "moon" }, "remote": { "id": "sun" },
                  "children": { "lan": { "local_ts": "10.1.0.0/16", "remote_ts": "10.2.0.0/16" } } },
                "azure-1": { "remote_addrs": "192.0.2.3", "local": { "id": "moon" }, "remote": { "id": "sun" },
                  "children": { "vnet": { "interface": "vti1", "routes": "10.2.0.0/16" } } }
              },
              "secrets": { "ike-c": { "id": "sun", "secret": "a-pre-shared-key-of-26-chars" } }
            }
            """, Private);

        var (exit, _, error) = Check(path);

        Assert.Equal(1, exit);
        Assert.StartsWith("connections.azure-1.children.vnet.routes[0]: '10.2.0.0/16' is already routed into s2s%d with metric 0 by connections.hq.children.lan;", error, StringComparison.Ordinal);
        Assert.Single(error.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Check_ProblemsAndWarnings_BothPrintedAndExitOne()
    {
        var path = Write("s2s.json", Config("\"secret\": \"hunter2\"").Replace("10.2.0.0/24", "10.2.0.0/33", StringComparison.Ordinal), Private);
        var (exit, _, error) = Check(path);
        Assert.Equal(1, exit);
        var lines = error.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.StartsWith("connections.c.children.net.remote_ts[0]: '10.2.0.0/33' is not a CIDR prefix", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("warning: secrets.ike-c.secret: the pre-shared key has 7 characters", lines[1], StringComparison.Ordinal);
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
