namespace S2SEndpoint.Esp.Tests.Support;

/// <summary>Records lifetime events as they are reported.</summary>
internal sealed class RecordingObserver : ILifetimeObserver
{
    public List<(LifetimeStage Stage, LifetimeLimit Limit)> Events { get; } = [];

    public void OnLifetimeLimit(EspSa sa, LifetimeStage stage, LifetimeLimit limit) => Events.Add((stage, limit));
}
