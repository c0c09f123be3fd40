using System.Globalization;

namespace S2SEndpoint.IkeRate;

/// <summary>The table bench/ike-rate prints, Markdown, one row per method, and what its columns mean.</summary>
internal static class Report
{
    public static void Print(IReadOnlyList<RateResult> results)
    {
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine();
        Console.WriteLine("| IKE proposal | auth | SAs/s | CPU ms per SA | IKE_SA_INIT ms | IKE_INTERMEDIATE ms | IKE_AUTH ms | kernel ms | output ms | wall ms per SA | first / last tenth ms | KiB per tunnel | RSS KiB per tunnel | N | run s |");
        Console.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in results)
        {
            var auth = r.Auth == BenchAuth.Psk ? "PSK" : "ECDSA P-256 certificates";
            Console.WriteLine(string.Create(c,
                $"| {r.Ike} | {auth} | {1000 / r.CpuMsPerSa:F0} | {r.CpuMsPerSa:F3} | {r.InitMsPerSa:F3} | {r.IntermediateMsPerSa:F3} | {r.AuthMsPerSa:F3} | {r.KernelMsPerSa:F3} | {r.OutputMsPerSa:F3} | {r.WallMsPerSa:F3} | {r.FirstTenthMsPerSa:F3} / {r.LastTenthMsPerSa:F3} | {r.HeapKiBPerTunnel:F1} | {r.RssKiBPerTunnel:F1} | {r.Count} | {r.Elapsed.TotalSeconds:F1} |"));
        }
        Console.WriteLine();
        Console.WriteLine("SAs/s: 1000 / CPU ms per SA, the responder's thread CPU time inside its calls (engine, kernel changes, events, output),");
        Console.WriteLine("one thread; the initiators run on the same thread between those calls and are not counted. Wall ms: the same calls by");
        Console.WriteLine("the clock (other processes on the core included). KiB per tunnel: managed heap after N tunnels less before, over N");
        Console.WriteLine("(IKE SA, Child SA, both ESP SAs and their table entries); RSS adds native memory (OpenSSL contexts) and heap slack.");
        Console.WriteLine("Targets (x25519, PSK): at least 1000 SAs/s on one core; at most 20 KiB per tunnel. IKE_INTERMEDIATE: one exchange");
        Console.WriteLine("per additional key exchange (keN_ in the proposal, RFC 9370); 0 without.");
    }
}
