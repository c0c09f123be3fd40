using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using BenchmarkDotNet.Reports;

namespace S2SEndpoint.Bench;

// The figures the README quotes, from BenchmarkDotNet's medians: per transform and inner packet size, the time and
// packet rate of one seal and of one open (open = seal+open minus seal), the bytes allocated per operation, and for
// the AEADs the ESP seal+open against the bare AEAD seal+open on the same buffer; then the headline ratio from
// HeadlineBenchmarks, and once more with the two interleaved in one process; then, from ForgedOpenBenchmarks, what
// opening a forged packet costs against a valid one, from BenchmarkDotNet and interleaved in one process. Printed and
// written as Markdown to BenchmarkDotNet.Artifacts/results/esp-summary.md.
internal static class Report
{
    private const double Target = 0.85;

    public static void Write(IEnumerable<Summary> summaries)
    {
        var reports = summaries.SelectMany(s => s.Reports).Where(r => r.ResultStatistics is not null).ToList();
        if (reports.Count == 0)
            return;
        var text = new StringBuilder();
        var invariant = CultureInfo.InvariantCulture;
        text.AppendLine(invariant, $"Machine: {CpuModel()}, {Environment.ProcessorCount} cores, {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription}");
        if (reports.Any(r => r.BenchmarkCase.Descriptor.Type == typeof(EspBenchmarks)))
        {
            text.AppendLine();
            text.AppendLine("| transform | inner octets | seal ns | open ns | seal+open ns | seal pkt/s/core | open pkt/s/core | seal Gbit/s | alloc B/op | bare AEAD seal+open ns | ESP / bare throughput |");
            text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        }
        foreach (var transform in BenchSetup.EspTransforms)
        {
            foreach (var size in new[] { 64, 512, 1400 })
            {
                var seal = Find(reports, nameof(EspBenchmarks), nameof(EspBenchmarks.Seal), transform, size);
                var both = Find(reports, nameof(EspBenchmarks), nameof(EspBenchmarks.SealOpen), transform, size);
                if (seal is null || both is null)
                    continue;
                var sealNs = Median(seal);
                var bothNs = Median(both);
                var openNs = bothNs - sealNs;
                var allocated = Math.Max(Allocated(seal), Allocated(both));
                var bare = Find(reports, nameof(BareAeadBenchmarks), nameof(BareAeadBenchmarks.SealOpen), transform, size);
                var bareText = bare is null ? "" : Median(bare).ToString("F0", invariant);
                var ratioText = bare is null ? "" : (Median(bare) / bothNs).ToString("P1", invariant);
                text.AppendLine(invariant,
                    $"| {transform} | {size} | {sealNs:F0} | {openNs:F0} | {bothNs:F0} | {Rate(sealNs)} | {Rate(openNs)} | {size * 8 / sealNs:F2} | {allocated} | {bareText} | {ratioText} |");
            }
        }
        var headlineEsp = reports.FirstOrDefault(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == nameof(HeadlineBenchmarks.EspSealOpen));
        var headlineBare = reports.FirstOrDefault(r => r.BenchmarkCase.Descriptor.WorkloadMethod.Name == nameof(HeadlineBenchmarks.BareAeadSealOpen));
        if (headlineEsp is not null && headlineBare is not null)
        {
            var ratio = Median(headlineBare) / Median(headlineEsp);
            text.AppendLine();
            text.AppendLine(invariant,
                $"Headline, {HeadlineBenchmarks.InnerSize}-octet {HeadlineBenchmarks.Transform}, medians over 5 processes each: ESP seal+open {Median(headlineEsp):F0} ns, bare AEAD seal+open {Median(headlineBare):F0} ns: ESP runs at {ratio:P1} of the bare AEAD's throughput (target {Target:P0}: {(ratio >= Target ? "met" : "NOT met")}).");
            text.AppendLine();
            text.AppendLine(Interleaved.Measure(HeadlineBenchmarks.Transform, HeadlineBenchmarks.InnerSize));
        }
        WriteForged(reports, text);
        Console.WriteLine();
        Console.WriteLine(text.ToString());
        var directory = Path.Combine("BenchmarkDotNet.Artifacts", "results");
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "esp-summary.md"), text.ToString());
    }

    private static void WriteForged(List<BenchmarkReport> reports, StringBuilder text)
    {
        var invariant = CultureInfo.InvariantCulture;
        var header = false;
        foreach (var transform in ForgedOpenBenchmarks.Transforms)
        {
            foreach (var size in new[] { 64, 1400 })
            {
                var valid = Find(reports, nameof(ForgedOpenBenchmarks), nameof(ForgedOpenBenchmarks.Valid), transform, size);
                var forged = Find(reports, nameof(ForgedOpenBenchmarks), nameof(ForgedOpenBenchmarks.Forged), transform, size);
                if (valid is null || forged is null)
                    continue;
                if (!header)
                {
                    text.AppendLine();
                    text.AppendLine("Inbound.Open, valid against forged (one ICV bit flipped), ns per packet, medians:");
                    text.AppendLine();
                    text.AppendLine("| transform | inner octets | valid ns | forged ns | forged / valid | alloc B/op valid, forged | interleaved valid ns | interleaved forged ns | interleaved forged / valid, median of pairs |");
                    text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
                    header = true;
                }
                var (oneValid, oneForged, oneRatio) = Interleaved.MeasureForged(transform, size);
                text.AppendLine(invariant,
                    $"| {transform} | {size} | {Median(valid):F0} | {Median(forged):F0} | {Median(forged) / Median(valid):F2} | {Allocated(valid)}, {Allocated(forged)} | {oneValid:F0} | {oneForged:F0} | {oneRatio:F2} |");
            }
        }
    }

    private static BenchmarkReport? Find(List<BenchmarkReport> reports, string type, string method, string transform, int size) =>
        reports.FirstOrDefault(r =>
            r.BenchmarkCase.Descriptor.Type.Name == type &&
            r.BenchmarkCase.Descriptor.WorkloadMethod.Name == method &&
            (string)r.BenchmarkCase.Parameters["Transform"] == transform &&
            (int)r.BenchmarkCase.Parameters["InnerSize"] == size);

    private static double Median(BenchmarkReport report) => report.ResultStatistics!.Median;

    private static long Allocated(BenchmarkReport report) => report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase) ?? -1;

    private static string Rate(double nanoseconds) =>
        nanoseconds <= 0 ? "-" : (1e9 / nanoseconds).ToString("N0", CultureInfo.InvariantCulture);

    private static string CpuModel()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                if (line.StartsWith("model name", StringComparison.Ordinal))
                    return line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
            }
        }
        catch (IOException)
        {
        }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }
}
