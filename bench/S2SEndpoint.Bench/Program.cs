using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Running;
using S2SEndpoint.Bench;

// The ESP benchmarks: bench/run.sh runs them all (about 7 minutes on 2 cores) and prints the packet rates per core,
// the ESP-versus-bare-AEAD ratio and the forged-versus-valid open; arguments are passed to BenchmarkDotNet (for
// example --filter '*Esp*'). `--parallel [transform] [size]` instead measures 1 and 2 threads sealing on one SA
// (ParallelSeal.cs).
//
// Jobs.cs has the three jobs: Short for the per-transform table, Headline (five processes) for the ESP-versus-bare
// target, Ring for the forged-versus-valid open. MemoryDiagnoser reports the bytes allocated per operation.
if (args.Length > 0 && args[0] == "--parallel")
{
    Console.WriteLine(ParallelSeal.Measure(args.Length > 1 ? args[1] : "aes128gcm16", args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 1400, 2));
    return;
}
var config = DefaultConfig.Instance
    .AddDiagnoser(MemoryDiagnoser.Default)
    .WithOptions(ConfigOptions.JoinSummary);
var summaries = BenchmarkSwitcher.FromAssembly(typeof(EspBenchmarks).Assembly)
    .Run(args.Length == 0 ? ["--filter", "*"] : args, config);
Report.Write(summaries);
