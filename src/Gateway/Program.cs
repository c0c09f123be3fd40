using System.CommandLine;
using System.CommandLine.Invocation;
using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Gateway.Control;
using S2SEndpoint.Gateway.Tracing;

namespace S2SEndpoint.Gateway;

/// <summary>
/// The s2s program: `run` (the daemon), `check` (a configuration), `azure` (a configuration for an Azure VPN gateway), and the control commands `status`,
/// `initiate`, `terminate`, `rekey`, `reload`, `monitor` and `trace`, which reach a running daemon over its control socket
/// (the configuration's gateway.control_socket, /run/s2s/s2s.sock unless set; `--control PATH` for several
/// daemons on one machine). Exit codes: 0 done, 1 failed (the problem on stderr, one line each), 2 usage.
/// </summary>
internal static partial class Program
{
    private const int Failed = 1;
    private const int Usage = 2;

    /// <summary>`s2s status --json`: indented, and with quotes and non-ASCII as they are (it goes to a terminal, not a web page).</summary>
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static int Main(string[] args) => Execute(args, Console.Out, Console.Error);

    /// <summary>Parses <paramref name="args"/> and runs the command, writing to the given streams.</summary>
    internal static int Execute(string[] args, TextWriter output, TextWriter error)
    {
        var result = Commands(output, error).Parse(args);
        if (result.Action is ParseErrorAction)
        {
            foreach (var e in result.Errors)
                error.WriteLine($"s2s: {e.Message}");
            error.WriteLine("Run 's2s --help' for usage.");
            return Usage;
        }
        return result.Invoke(new InvocationConfiguration { Output = output, Error = error });
    }

    private static RootCommand Commands(TextWriter output, TextWriter error)
    {
        var root = new RootCommand("s2s: a user-mode IPsec gateway (IKEv2 and ESP over a TUN device).");
        foreach (var v in root.Options.OfType<VersionOption>())
            v.Action = new PrintVersion(output);

        var run = new Command("run", "Run the gateway until SIGTERM or SIGINT.");
        var runConfig = ConfigOption();
        var runControl = new Option<string>("--control")
        {
            Description = "The control socket to listen on (default: the configuration's gateway.control_socket).",
            HelpName = "PATH",
        };
        run.Options.Add(runConfig);
        run.Options.Add(runControl);
        run.SetAction(r => Run(r.GetRequiredValue(runConfig), r.GetValue(runControl)));
        root.Subcommands.Add(run);

        var check = new Command("check", "Check a configuration: one line per problem, exit 1 if there is any; warnings alone exit 0.");
        var checkConfig = ConfigOption();
        var profile = new Option<string>("--profile")
        {
            Description = $"Then warn of what the peer is known to refuse or break: {Azure.AzureProfile.Name} (docs/azure.md). Its warnings alone exit 0, as the check's own do.",
            HelpName = "PEER",
        };
        profile.Validators.Add(r =>
        {
            if (r.Tokens.Count == 1 && r.Tokens[0].Value != Azure.AzureProfile.Name)
                r.AddError($"--profile: '{r.Tokens[0].Value}' is not a profile; valid: {Azure.AzureProfile.Name}");
        });
        check.Options.Add(checkConfig);
        check.Options.Add(profile);
        check.SetAction(r => Check(r.GetRequiredValue(checkConfig), r.GetValue(profile), output, error));
        root.Subcommands.Add(check);

        root.Subcommands.Add(Azure.AzureCommand.Create(output, error));

        var status = new Command("status", "Show connections, IKE and Child SAs, traffic counters and drops.");
        var json = new Option<bool>("--json") { Description = "Print the status document as JSON." };
        var statusControl = ControlOption();
        status.Options.Add(json);
        status.Options.Add(statusControl);
        status.SetAction(r => Ask(r.GetRequiredValue(statusControl), new JsonObject { ["command"] = "status" }, output, error,
            answer => answer is not JsonObject document ? null : r.GetValue(json) ? document.ToJsonString(Indented) : StatusReport.Render(document).TrimEnd('\n')));
        root.Subcommands.Add(status);

        root.Subcommands.Add(TargetCommand("initiate", "Bring up a connection's children, or one child.", output, error));
        root.Subcommands.Add(TargetCommand("terminate", "Delete a connection's IKE SAs, or one child's Child SAs.", output, error));
        root.Subcommands.Add(TargetCommand("rekey", "Rekey a connection's IKE SA, or one child's Child SAs.", output, error));

        var monitor = new Command("monitor", "Follow SA events as they happen: IKE and Child SAs up, rekeyed, down, failures.");
        var monitorCount = new Option<int>("--count") { Description = "Stop after this many events (default: until interrupted).", HelpName = "N" };
        var monitorJson = new Option<bool>("--json") { Description = "One JSON object per event." };
        var monitorControl = ControlOption();
        monitor.Options.Add(monitorCount);
        monitor.Options.Add(monitorJson);
        monitor.Options.Add(monitorControl);
        monitor.SetAction(r => Monitor(r.GetRequiredValue(monitorControl), r.GetValue(monitorCount), r.GetValue(monitorJson), output, error));
        root.Subcommands.Add(monitor);

        var trace = new Command("trace", $"Follow packets through the encryption path, one block per packet: TUN, policy, SA, seal, UDP; UDP, SPI, replay window, ICV, trailer, selectors, TUN. At most {TraceSession.PacketsPerSecond} packets a second.");
        var traceTarget = new Argument<string?>("CONN[/CHILD]") { Description = "Only a connection's packets, or one child's (default: every packet).", Arity = ArgumentArity.ZeroOrOne };
        traceTarget.Validators.Add(r =>
        {
            if (r.Tokens.Count == 1 && !TrySplitTarget(r.Tokens[0].Value, out _, out _))
                r.AddError($"'{r.Tokens[0].Value}' is not CONN or CONN/CHILD (a connection name, optionally '/' and one of its children)");
        });
        var traceCount = new Option<int>("--count") { Description = "Stop after this many packets (default: until interrupted).", HelpName = "N" };
        var inbound = new Option<bool>("--inbound") { Description = "Only packets from the wire to a tunnel device." };
        var outbound = new Option<bool>("--outbound") { Description = "Only packets from a tunnel device to the wire." };
        var traceJson = new Option<bool>("--json") { Description = "One JSON object per packet." };
        var traceControl = ControlOption();
        trace.Arguments.Add(traceTarget);
        trace.Options.Add(traceCount);
        trace.Options.Add(inbound);
        trace.Options.Add(outbound);
        trace.Options.Add(traceJson);
        trace.Options.Add(traceControl);
        trace.SetAction(r => Trace(r.GetRequiredValue(traceControl), r.GetValue(traceTarget), r.GetValue(traceCount), r.GetValue(inbound), r.GetValue(outbound), r.GetValue(traceJson), output, error));
        root.Subcommands.Add(trace);

        var capture = new Command("capture", "Write the WAN side's IKE and ESP (UDP 500 and 4500), or a tunnel device's packets, to a pcap file.");
        var wan = new Option<bool>("--wan") { Description = "Capture IKE and ESP on UDP 500 and 4500, on every interface." };
        var tun = new Option<string>("--tun") { Description = "Capture the plaintext of this tunnel device.", HelpName = "DEVICE" };
        var write = new Option<string>("--write") { Description = "The pcap file to write (made 0600).", HelpName = "FILE", Required = true };
        var captureCount = new Option<int>("--count") { Description = "Stop after this many packets.", HelpName = "N" };
        var captureSeconds = new Option<int>("--seconds") { Description = "Stop after this many seconds.", HelpName = "S" };
        capture.Options.Add(wan);
        capture.Options.Add(tun);
        capture.Options.Add(write);
        capture.Options.Add(captureCount);
        capture.Options.Add(captureSeconds);
        capture.SetAction(r => Capture(r.GetValue(wan), r.GetValue(tun), r.GetRequiredValue(write), r.GetValue(captureCount), r.GetValue(captureSeconds), output, error));
        root.Subcommands.Add(capture);

        var reload = new Command("reload", "Re-read the configuration file; unchanged tunnels stay up.");
        var reloadControl = ControlOption();
        reload.Options.Add(reloadControl);
        reload.SetAction(r => Ask(r.GetRequiredValue(reloadControl), new JsonObject { ["command"] = "reload" }, output, error, answer => answer?.ToString()));
        root.Subcommands.Add(reload);
        return root;
    }

    private static Option<string> ConfigOption() => new("--config")
    {
        Description = "The configuration file (JSON shaped like swanctl.conf).",
        HelpName = "FILE",
        Required = true,
    };

    private static Option<string> ControlOption() => new("--control")
    {
        Description = "The daemon's control socket.",
        HelpName = "PATH",
        DefaultValueFactory = _ => new GatewaySettings().ControlSocket,
    };

    /// <summary>initiate, terminate or rekey CONN[/CHILD]: the request carries the connection and, if given, the child.</summary>
    private static Command TargetCommand(string name, string description, TextWriter output, TextWriter error)
    {
        var command = new Command(name, description);
        var target = new Argument<string>("CONN[/CHILD]") { Description = "A connection, or one of its children." };
        target.Validators.Add(r =>
        {
            if (r.Tokens.Count == 1 && !TrySplitTarget(r.Tokens[0].Value, out _, out _))
                r.AddError($"'{r.Tokens[0].Value}' is not CONN or CONN/CHILD (a connection name, optionally '/' and one of its children)");
        });
        var control = ControlOption();
        command.Arguments.Add(target);
        command.Options.Add(control);
        command.SetAction(r =>
        {
            TrySplitTarget(r.GetRequiredValue(target), out var connection, out var child);
            var request = new JsonObject { ["command"] = name, ["connection"] = connection };
            if (child is not null)
                request["child"] = child;
            return Ask(r.GetRequiredValue(control), request, output, error, answer => answer?.ToString());
        });
        return command;
    }

    /// <summary>"moon" is the connection moon; "moon/net" its child net. Neither part may be empty.</summary>
    internal static bool TrySplitTarget(string text, out string connection, out string? child)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        connection = slash < 0 ? text : text[..slash];
        child = slash < 0 ? null : text[(slash + 1)..];
        return connection.Length > 0 && child is not { Length: 0 };
    }

    /// <summary>Sends one request to the daemon and prints its answer as <paramref name="render"/> makes it.</summary>
    private static int Ask(string control, JsonObject request, TextWriter output, TextWriter error, Func<JsonNode?, string?> render)
    {
        try
        {
            var text = render(ControlClient.Send(control, request));
            if (text is null)
            {
                error.WriteLine($"the s2s daemon on {control} gave an answer that is not understood");
                return Failed;
            }
            output.WriteLine(text);
            return 0;
        }
        catch (ControlException e)
        {
            error.WriteLine(e.Message);
            return Failed;
        }
    }

    /// <summary>`s2s monitor`: one line per SA event (as text, or the JSON object), until <paramref name="count"/> events or forever.</summary>
    private static int Monitor(string control, int count, bool json, TextWriter output, TextWriter error)
    {
        if (count < 0)
        {
            error.WriteLine($"--count: '{count}' is not a number of events; give 1 or more, or leave it out to follow until interrupted");
            return Failed;
        }
        return Follow(control, new JsonObject { ["command"] = "monitor" }, count, json ? null : EventFeed.Render, output, error);
    }

    /// <summary>`s2s trace`: one block per traced packet (as text, or the JSON object), until <paramref name="count"/> packets or forever.</summary>
    private static int Trace(string control, string? target, int count, bool inbound, bool outbound, bool json, TextWriter output, TextWriter error)
    {
        if (count < 0)
        {
            error.WriteLine($"--count: '{count}' is not a number of packets; give 1 or more, or leave it out to follow until interrupted");
            return Usage;
        }
        if (inbound && outbound)
        {
            error.WriteLine("trace: give --inbound or --outbound, not both (leave both out for both directions)");
            return Usage;
        }
        var request = new JsonObject { ["command"] = "trace", ["direction"] = inbound ? "inbound" : outbound ? "outbound" : "both" };
        if (target is not null)
        {
            TrySplitTarget(target, out var connection, out var child);
            request["connection"] = connection;
            if (child is not null)
                request["child"] = child;
        }
        if (count > 0)
            request["count"] = count;
        return Follow(control, request, count, json ? null : TraceText.Render, output, error);
    }

    /// <summary>
    /// The streaming commands' client side: sends <paramref name="request"/> and prints each line the daemon streams,
    /// as <paramref name="render"/> makes it (null: the JSON object), until <paramref name="count"/> lines (0: forever).
    /// </summary>
    private static int Follow(string control, JsonObject request, int count, Func<JsonObject, string>? render, TextWriter output, TextWriter error)
    {
        var seen = 0;
        try
        {
            ControlClient.Stream(control, request, line =>
            {
                output.WriteLine(render is null ? line.ToJsonString() : render(line));
                output.Flush();
                return count == 0 || ++seen < count;
            });
            return 0;
        }
        catch (ControlException e)
        {
            error.WriteLine(e.Message);
            return Failed;
        }
    }

    /// <summary>`s2s capture`: the WAN side or a tunnel device into a pcap file, until a count, a time or Ctrl-C.</summary>
    private static int Capture(bool wan, string? tun, string file, int count, int seconds, TextWriter output, TextWriter error)
    {
        if (wan == tun is not null)
        {
            error.WriteLine("capture: give either --wan (IKE and ESP on UDP 500 and 4500) or --tun DEVICE (a tunnel's plaintext)");
            return Usage;
        }
        if (count < 0 || seconds < 0)
        {
            error.WriteLine($"capture: {(count < 0 ? $"--count '{count}'" : $"--seconds '{seconds}'")} is not a limit; give 1 or more, or leave it out");
            return Usage;
        }
        using var stop = new CancellationTokenSource();
        ConsoleCancelEventHandler interrupt = (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        Console.CancelKeyPress += interrupt;
        try
        {
            var request = new Net.WireCapture.Request(tun ?? Net.WireCapture.AnyDevice, tun is null ? Net.WireCapture.WanFilter : null, file, count, TimeSpan.FromSeconds(seconds));
            var written = Net.WireCapture.Run(request, TimeProvider.System, stop.Token);
            output.WriteLine($"{written} packet(s) from {(tun is null ? "the WAN side (UDP 500 and 4500)" : tun)} written to {file}");
            return 0;
        }
        catch (InvalidOperationException e)
        {
            error.WriteLine($"capture: {e.Message}");
            return Failed;
        }
        finally
        {
            Console.CancelKeyPress -= interrupt;
        }
    }

    /// <summary>Runs the gateway until SIGTERM or SIGINT; <paramref name="controlPath"/> overrides gateway.control_socket.</summary>
    private static int Run(string path, string? controlPath)
    {
        GatewayConfig config;
        try
        {
            config = ConfigLoader.Load(path);
        }
        catch (ConfigException e)
        {
            foreach (var line in e.Problems)
                Console.Error.WriteLine(line);
            WriteWarnings(e.Warnings, Console.Error);
            return Failed;
        }
        if (controlPath is not null)
            config = config with { Settings = config.Settings with { ControlSocket = controlPath } };
        using var logs = CreateLogs(config.Settings, Environment.GetEnvironmentVariable("JOURNAL_STREAM"));
        var configLog = logs.CreateLogger("config");
        foreach (var line in config.Warnings)
            Log.ConfigWarning(configLog, line);
        using var daemon = new Daemon(config, logs, path, controlPath);
        return daemon.Run();
    }

    /// <summary>
    /// The daemon's loggers: levels per category, and the format gateway.log_format asks for. auto is journald's
    /// when systemd started s2s (it sets JOURNAL_STREAM for a service's standard output), plain text otherwise;
    /// text has the date in every timestamp.
    /// </summary>
    internal static ILoggerFactory CreateLogs(GatewaySettings settings, string? journalStream) =>
        LoggerFactory.Create(builder => ConfigureLogs(builder, settings, journalStream));

    internal static void ConfigureLogs(ILoggingBuilder builder, GatewaySettings settings, string? journalStream)
    {
        builder.SetMinimumLevel(settings.LogLevel);
        foreach (var (subsystem, level) in settings.LogLevels)
            builder.AddFilter(subsystem, level);
        var format = settings.LogFormat == LogFormat.Auto ? (string.IsNullOrEmpty(journalStream) ? LogFormat.Text : LogFormat.Systemd) : settings.LogFormat;
        switch (format)
        {
            case LogFormat.Json:
                builder.AddJsonConsole(o =>
                {
                    o.UseUtcTimestamp = true;
                    o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                });
                break;
            case LogFormat.Systemd:
                builder.AddSystemdConsole(o => o.TimestampFormat = null);
                break;
            default:
                builder.AddSimpleConsole(o =>
                {
                    o.SingleLine = true;
                    o.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
                });
                break;
        }
    }

    /// <summary>
    /// Loads and checks a configuration: one line per problem on <paramref name="error"/>, exit 1; else a summary,
    /// exit 0. Warnings ("warning: " and one line each) go to <paramref name="error"/> either way and fail nothing.
    /// </summary>
    internal static int Check(string path, TextWriter output, TextWriter error) => Check(path, null, output, error);

    /// <summary>
    /// The check, then with <paramref name="profile"/> "azure" a warning for each Azure pitfall the configuration runs into
    /// (<see cref="Azure.AzureProfile"/>), and for IKEv1, which the check refuses, the Azure line beside the check's.
    /// </summary>
    internal static int Check(string path, string? profile, TextWriter output, TextWriter error)
    {
        var azure = profile == Azure.AzureProfile.Name;
        try
        {
            var config = ConfigLoader.Load(path);
            IReadOnlyList<string> warnings = azure ? [.. config.Warnings, .. Azure.AzureProfile.Check(config)] : config.Warnings;
            var children = config.Connections.Sum(c => c.Children.Count);
            output.WriteLine($"{path}: {config.Connections.Count} connection(s), {children} child(ren): OK{(warnings.Count > 0 ? $", {warnings.Count} warning(s)" : "")}");
            // Host names are not looked up now: the answer may differ when s2s runs, and again on each attempt.
            foreach (var (connection, hosts) in config.RemoteHosts)
            {
                foreach (var name in hosts.Select(h => h.Name).OfType<string>())
                    output.WriteLine($"connections.{connection}.remote_addrs: '{name}' is a host name, resolved at run time: each time s2s initiates the connection, and every minute for the peers it accepts");
            }
            foreach (var c in config.Connections)
            {
                if (c.LocalCredential is { } local)
                    output.WriteLine($"connections.{c.Name}.local.certs: '{Config.CredentialLoader.Name(local.Certificate)}' ({local.Key.Type}{(local.RsaPss ? ", RSASSA-PSS" : "")}), issued by '{local.Certificate.IssuerName.Decode(System.Security.Cryptography.X509Certificates.X500DistinguishedNameFlags.UseCommas)}', valid until {Config.CredentialLoader.Time(local.Certificate.NotAfter)}, {local.Intermediates.Count} intermediate(s); id '{c.LocalId}'");
                if (c.RemoteAuth == Ike.Sa.AuthClass.PublicKey)
                    output.WriteLine($"connections.{c.Name}.remote.cacerts: {string.Join("; ", c.TrustAnchors.Select(a => $"'{Config.CredentialLoader.Name(a)}'"))}");
            }
            WriteWarnings(warnings, error);
            return 0;
        }
        catch (ConfigException e)
        {
            foreach (var line in e.Problems)
                error.WriteLine(line);
            if (azure)
            {
                foreach (var line in Azure.AzureProfile.CheckUnloadable(path))
                    error.WriteLine(line);
            }
            WriteWarnings(e.Warnings, error);
            return Failed;
        }
    }

    private static void WriteWarnings(IReadOnlyList<string> warnings, TextWriter error)
    {
        foreach (var line in warnings)
            error.WriteLine($"warning: {line}");
    }

    /// <summary>`s2s --version` as before System.CommandLine: "s2s 1.0.0.0".</summary>
    private sealed class PrintVersion(TextWriter output) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            output.WriteLine($"s2s {Assembly.GetExecutingAssembly().GetName().Version}");
            return 0;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(3201, LogLevel.Warning, "{Warning}")]
        public static partial void ConfigWarning(ILogger logger, string warning);
    }
}
