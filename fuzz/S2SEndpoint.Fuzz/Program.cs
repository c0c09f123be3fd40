using System.Globalization;
using S2SEndpoint.Fuzz;
using S2SEndpoint.Fuzz.Targets;
using SharpFuzz;

// The AFL++ harness (see fuzz/README.md):
//   run TARGET               under afl-fuzz: SharpFuzz's out-of-process fork server runs TARGET on each input
//   replay TARGET PATH...    runs TARGET on each file (or each file of a directory), prints what broke; exit 1 if any
//   seeds TARGET DIR REPO    writes the first corpus of TARGET into DIR from the captures and examples in REPO

if (args.Length < 2 || !FuzzTargets.All.TryGetValue(args[1], out var target))
{
    Console.Error.WriteLine($"usage: S2SEndpoint.Fuzz run|replay|seeds TARGET ...; targets: {string.Join(", ", FuzzTargets.All.Keys)}");
    return 2;
}

switch (args[0])
{
    case "run":
        Fuzzer.OutOfProcess.Run(stream =>
        {
            using var memory = new MemoryStream();
            stream.CopyTo(memory);
            target(memory.ToArray());
        });
        return 0;
    case "replay":
        var files = args.Skip(2).SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p) : [p]).Order(StringComparer.Ordinal).ToList();
        var failures = FuzzCorpus.Replay(target, files);
        foreach (var failure in failures)
            Console.WriteLine(failure);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{args[1]}: {files.Count} inputs, {failures.Count} failed"));
        return failures.Count == 0 ? 0 : 1;
    case "seeds" when args.Length == 4:
        var count = Seeds.Write(args[1], args[2], args[3]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{args[1]}: {count} seeds in {args[2]}"));
        return 0;
    default:
        Console.Error.WriteLine($"unknown command '{args[0]}'");
        return 2;
}
