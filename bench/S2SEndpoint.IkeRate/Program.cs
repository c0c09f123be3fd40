using System.Globalization;
using S2SEndpoint.IkeRate;

// bench/ike-rate: IKE SAs (each with its first Child SA) established per second by one responder engine, on one
// thread, against in-process initiators, and the responder's memory per established tunnel. See bench/README.md.
//
//   S2SEndpoint.IkeRate [--count N] [--cert-count N] [--warm-up N] [--auth psk|ecdsa|both] [--ike PROPOSAL]...
// Each --ike (proposal keywords, as in a configuration's "proposals") is a run of its own with each --auth method;
// without one, aes256gcm16-prfsha256-x25519.
var count = 10_000;
var certCount = 2_000;
var warmUp = 300;
var auth = "both";
var ikeProposals = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    var value = i + 1 < args.Length ? args[i + 1] : null;
    switch (args[i])
    {
        case "--count" when int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n > 0:
            count = n;
            break;
        case "--cert-count" when int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n > 0:
            certCount = n;
            break;
        case "--warm-up" when int.TryParse(value, CultureInfo.InvariantCulture, out var n) && n >= 0:
            warmUp = n;
            break;
        case "--auth" when value is "psk" or "ecdsa" or "both":
            auth = value;
            break;
        case "--ike" when value is not null:
            if (!Peers.TryParseIke(value, out var problem))
            {
                Console.Error.WriteLine($"ike-rate: --ike '{value}': {problem}");
                return 2;
            }
            ikeProposals.Add(value);
            break;
        default:
            Console.Error.WriteLine($"ike-rate: '{args[i]}' {(value is null ? "" : $"'{value}' ")}is not understood; use --count N, --cert-count N (positive), --warm-up N (0 or more), --auth psk|ecdsa|both, --ike PROPOSAL");
            return 2;
    }
    i++;
}

if (ikeProposals.Count == 0)
    ikeProposals.Add(Peers.DefaultIke);
// Every run once unmeasured first: the runtime compiles (and tiers up) the code each method uses before any run is
// measured, so that the first row is not the only one to pay for it.
foreach (var ike in ikeProposals)
{
    if (auth is "psk" or "both")
        RateRun.Run(BenchAuth.Psk, ike, Math.Max(warmUp, 1), 0);
    if (auth is "ecdsa" or "both")
        RateRun.Run(BenchAuth.EcdsaP256, ike, Math.Max(warmUp, 1), 0);
}
var results = new List<RateResult>();
foreach (var ike in ikeProposals)
{
    if (auth is "psk" or "both")
        results.Add(RateRun.Run(BenchAuth.Psk, ike, count, warmUp));
    if (auth is "ecdsa" or "both")
        results.Add(RateRun.Run(BenchAuth.EcdsaP256, ike, certCount, warmUp));
}
Report.Print(results);
return 0;
