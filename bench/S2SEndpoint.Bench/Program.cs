using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Running;
using S2SEndpoint.Bench;

// The ESP benchmarks: bench/run.sh runs them all (about 7 minutes on 2 cores) and prints the packet rates per core,
// the ESP-versus-bare-AEAD ratio and the forged-versus-valid open; arguments are passed to BenchmarkDotNet (for
// example --filter '*Esp*').
//
// Jobs.cs has the three jobs: Short for the per-transform table, Headline (five processes) for the ESP-versus-bare
// target, Ring for the forged-versus-valid open. MemoryDiagnoser reports the bytes allocated per operation.
var config = DefaultConfig.Instance
    .AddDiagnoser(MemoryDiagnoser.Default)
    .WithOptions(ConfigOptions.JoinSummary);
var summaries = BenchmarkSwitcher.FromAssembly(typeof(EspBenchmarks).Assembly)
    .Run(args.Length == 0 ? ["--filter", "*"] : args, config);
Report.Write(summaries);
