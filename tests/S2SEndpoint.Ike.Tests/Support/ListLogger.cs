using Microsoft.Extensions.Logging;

namespace S2SEndpoint.Ike.Tests.Support;

/// <summary>A logger that keeps every line it is given, with its level, for tests that read the log.</summary>
internal sealed class ListLogger(LogLevel minimum = LogLevel.Information) : ILogger
{
    public List<(LogLevel Level, string Text)> Lines { get; } = [];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
            Lines.Add((logLevel, formatter(state, exception)));
    }
}
