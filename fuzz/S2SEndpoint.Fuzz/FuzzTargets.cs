using S2SEndpoint.Fuzz.Targets;

namespace S2SEndpoint.Fuzz;

/// <summary>The fuzz targets by the names fuzz/run.sh and fuzz/corpus/ use.</summary>
internal static class FuzzTargets
{
    public static IReadOnlyDictionary<string, Action<byte[]>> All { get; } = new Dictionary<string, Action<byte[]>>(StringComparer.Ordinal)
    {
        [IkeMessageTarget.Name] = IkeMessageTarget.Run,
        [IkeSkTarget.Name] = IkeSkTarget.Run,
        [IkeFragmentsTarget.Name] = IkeFragmentsTarget.Run,
        [EspOpenTarget.Name] = EspOpenTarget.Run,
        [ConfigTarget.Name] = ConfigTarget.Run,
        [TunOffloadTarget.Name] = TunOffloadTarget.Run,
    };
}
