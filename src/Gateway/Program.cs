using System.Reflection;

namespace S2SEndpoint.Gateway;

/// <summary>
/// The s2s program. The daemon, its configuration and the control commands arrive with the gateway
/// issue; until then it tells what it is and which library versions it was built from.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var version = Assembly.GetExecutingAssembly().GetName().Version;
        if (args.Length == 1 && args[0] is "--version" or "version")
        {
            Console.WriteLine($"s2s {version}");
            return 0;
        }
        Console.Error.WriteLine($"s2s {version}: the gateway commands (run, check, status, initiate, terminate, rekey, reload) are not built yet.");
        Console.Error.WriteLine("usage: s2s --version");
        return 2;
    }
}
