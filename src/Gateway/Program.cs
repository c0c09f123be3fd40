using System.Reflection;
using Microsoft.Extensions.Logging;
using S2SEndpoint.Gateway.Config;

namespace S2SEndpoint.Gateway;

/// <summary>
/// The s2s program. So far it checks configurations (`s2s check --config FILE`); the daemon and the
/// control commands (run, status, initiate, terminate, rekey, reload) come with the gateway issue.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var version = Assembly.GetExecutingAssembly().GetName().Version;
        switch (args)
        {
            case ["--version" or "version"]:
                Console.WriteLine($"s2s {version}");
                return 0;
            case ["check", "--config", var path]:
                return Check(path, Console.Out, Console.Error);
            case ["run", "--config", var path]:
                return Run(path);
            default:
                Console.Error.WriteLine("usage: s2s run --config FILE | s2s check --config FILE | s2s --version");
                Console.Error.WriteLine("(the control commands status, initiate, terminate, rekey and reload are not built yet)");
                return 2;
        }
    }

    /// <summary>Runs the gateway until SIGTERM or SIGINT.</summary>
    private static int Run(string path)
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
            return 1;
        }
        using var logs = Microsoft.Extensions.Logging.LoggerFactory.Create(builder =>
        {
            builder.SetMinimumLevel(config.Settings.LogLevel);
            foreach (var (subsystem, level) in config.Settings.LogLevels)
                builder.AddFilter(subsystem, level);
            builder.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            });
        });
        using var daemon = new Daemon(config, logs);
        return daemon.Run();
    }

    /// <summary>Loads and checks a configuration: one line per problem on <paramref name="error"/>, exit 1; else a summary.</summary>
    internal static int Check(string path, TextWriter output, TextWriter error)
    {
        try
        {
            var config = ConfigLoader.Load(path);
            var children = config.Connections.Sum(c => c.Children.Count);
            output.WriteLine($"{path}: {config.Connections.Count} connection(s), {children} child(ren): OK");
            return 0;
        }
        catch (ConfigException e)
        {
            foreach (var line in e.Problems)
                error.WriteLine(line);
            return 1;
        }
    }
}
