namespace S2SEndpoint.Esp.Tests.Support;

/// <summary>A clock that moves only when a test says so.</summary>
internal sealed class FakeTime : TimeProvider
{
    private long _ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => _ticks;

    public void Advance(TimeSpan by) => _ticks += by.Ticks;
}

/// <summary>Records lifetime events as they are reported.</summary>
internal sealed class RecordingObserver : ILifetimeObserver
{
    public List<(LifetimeStage Stage, LifetimeLimit Limit)> Events { get; } = [];

    public void OnLifetimeLimit(EspSa sa, LifetimeStage stage, LifetimeLimit limit) => Events.Add((stage, limit));
}
