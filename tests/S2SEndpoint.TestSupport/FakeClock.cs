using Microsoft.Extensions.Time.Testing;

namespace S2SEndpoint.TestSupport;

/// <summary>
/// The one fake clock of the tests: a <see cref="FakeTimeProvider"/> that starts at 2026-11-24 12:00 UTC and moves
/// only through <see cref="FakeTimeProvider.Advance"/> or <see cref="FakeTimeProvider.SetUtcNow"/>, never backwards.
/// Timestamps (rate limits, ages, elapsed times) follow the same clock, at <see cref="TimeSpan.TicksPerSecond"/>.
/// </summary>
public sealed class FakeClock : FakeTimeProvider
{
    public static readonly DateTimeOffset Start2026 = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    public FakeClock()
        : base(Start2026)
    {
    }
}
