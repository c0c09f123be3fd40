using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Gateway.Tests.Core;
using S2SEndpoint.TestSupport;

namespace S2SEndpoint.Gateway.Tests.Logs;

/// <summary>How the daemon writes its log: gateway.log_format, the date in every timestamp, journald under systemd, the esp category.</summary>
public sealed class LogFormatTests
{
    private static ConsoleLoggerOptions Configured(GatewaySettings settings, string? journalStream, out IServiceProvider services)
    {
        services = new ServiceCollection().AddLogging(b => Program.ConfigureLogs(b, settings, journalStream)).BuildServiceProvider();
        return services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue;
    }

    [Theory]
    [InlineData(LogFormat.Auto, null, "simple")]
    [InlineData(LogFormat.Auto, "8:12345", "systemd")]
    [InlineData(LogFormat.Text, "8:12345", "simple")]
    [InlineData(LogFormat.Json, null, "json")]
    [InlineData(LogFormat.Systemd, null, "systemd")]
    public void Format_FollowsTheSettingAndSystemd(LogFormat format, string? journalStream, string formatter) =>
        Assert.Equal(formatter, Configured(new GatewaySettings { LogFormat = format }, journalStream, out _).FormatterName);

    [Fact]
    public void TextTimestamps_CarryTheDate()
    {
        Configured(new GatewaySettings { LogFormat = LogFormat.Text }, null, out var services);
        var format = services.GetRequiredService<IOptionsMonitor<SimpleConsoleFormatterOptions>>().CurrentValue.TimestampFormat;
        Assert.StartsWith("yyyy-MM-dd ", format, StringComparison.Ordinal);
        Assert.Matches(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3} $", new DateTime(2026, 12, 7, 9, 30, 4, 123).ToString(format, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("text", LogFormat.Text)]
    [InlineData("json", LogFormat.Json)]
    [InlineData("journald", LogFormat.Systemd)]
    [InlineData("auto", LogFormat.Auto)]
    public void LogFormatKey_IsRead(string text, LogFormat expected) =>
        Assert.Equal(expected, TestConfig.Load(WithGateway($$""" "log_format": "{{text}}", "log_levels": { "esp": "debug" } """)).Settings.LogFormat);

    /// <summary>A configuration with one connection and <paramref name="settings"/> in its gateway section.</summary>
    private static string WithGateway(string settings) =>
        InProcessGatewayTests.Config("moon", "192.0.2.1", "192.0.2.2", "moon", "sun", Child, "none")
            .Replace("\"gateway\": { \"tun_name\": \"s2s0\" }", $"\"gateway\": {{ \"tun_name\": \"s2s0\", {settings} }}", StringComparison.Ordinal);

    [Fact]
    public void LogFormatKey_UnknownValue_OneLineNamingItAndTheValidOnes()
    {
        Assert.False(ConfigLoader.TryParse(WithGateway(""" "log_format": "xml" """), ".", out _, out var problems));
        Assert.Equal("gateway.log_format: 'xml' is not a log format; valid: auto, text, json, systemd", Assert.Single(problems));
    }

    private const string Child = """ "net": { "local_ts": "10.1.0.0/24", "remote_ts": "10.2.0.0/24", "esp_proposals": "aes256gcm16", "start_action": "START" } """;

    /// <summary>Keeps every line by category.</summary>
    private sealed class ListProvider : ILoggerProvider
    {
        public ConcurrentQueue<(string Category, LogLevel Level, string Text)> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, Lines);

        public void Dispose()
        {
        }

        private sealed class Logger(string category, ConcurrentQueue<(string, LogLevel, string)> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue((category, logLevel, formatter(state, exception)));
        }
    }

    [Fact]
    public void EspCategory_SaysWhenSasJoinAndLeaveTheDataPlane_AndIkeSaysWhatItReceived()
    {
        var provider = new ListProvider();
        using var logs = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Debug).AddProvider(provider));
        var clock = new FakeClock();
        var (ioA, ioB) = (new FakeIo(), new FakeIo());
        var a = new GatewayCore(TestConfig.Load(InProcessGatewayTests.Config("moon", "192.0.2.1", "192.0.2.2", "moon", "sun", Child, "start")), ioA, clock, new SeededRandom(1), logs);
        var b = new GatewayCore(TestConfig.Load(InProcessGatewayTests.Config("sun", "192.0.2.2", "192.0.2.1", "sun", "moon", Child.Replace("10.1.", "10.9.", StringComparison.Ordinal).Replace("10.2.", "10.1.", StringComparison.Ordinal).Replace("10.9.", "10.2.", StringComparison.Ordinal), "none")), ioB, clock, new SeededRandom(2));
        var net = new MemoryNetwork<GatewayHost>();
        net.Add(System.Net.IPAddress.Parse("192.0.2.1"), new GatewayHost(a, ioA));
        net.Add(System.Net.IPAddress.Parse("192.0.2.2"), new GatewayHost(b, ioB));
        a.Start();
        net.Pump();
        a.Terminate("moon");
        net.Pump();
        clock.Advance(TimeSpan.FromSeconds(10));
        a.OnTimer();

        var esp = provider.Lines.Where(l => l.Category == "esp").Select(l => l.Text).ToList();
        Assert.Contains(esp, l => l.Contains("join the data plane", StringComparison.Ordinal));
        Assert.Contains(esp, l => l.Contains("leave the data plane", StringComparison.Ordinal));
        Assert.Contains(provider.Lines, l => l.Category == "ike" && l.Level == LogLevel.Debug && l.Text.Contains("received IkeAuth response 1 [", StringComparison.Ordinal));
    }
}
