using System.Text.Json.Nodes;
using S2SEndpoint.Gateway.Control;
using S2SEndpoint.Gateway.Tests.Core;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;
using S2SEndpoint.TestSupport;

namespace S2SEndpoint.Gateway.Tests.Control;

/// <summary>`s2s monitor`: SA events as they happen, over the control socket, one line each, bounded for a slow reader.</summary>
public sealed class MonitorTests : IDisposable
{
    private static readonly DateTimeOffset At = new(2026, 12, 7, 12, 0, 1, TimeSpan.Zero);
    private readonly SocketDirectory _dir = new();
    private readonly FakeHandler _handler = new();

    public void Dispose() => _dir.Dispose();

    private static IkeEvent[] SomeEvents() =>
    [
        new IkeSaEstablished("moon", 1, 0x1122334455667788, 0x99aabbccddeeff00, "aes256gcm16-prfsha384-ecp384", Identity.Parse("sun"), false),
        new ChildSaEstablished("moon", 1, "net", 3, 0xc1000001, 0xc2000001, "aes256gcm16", "10.1.0.0/24", "10.2.0.0/24", Rekeyed: true),
        new NegotiationFailed("moon", 1, NotifyType.NoProposalChosen, true, "peer refused"),
    ];

    [Fact]
    public async Task Monitor_OverTheSocket_StreamsEveryEventInOrder_AsTheCliPrintsThem()
    {
        using var server = _dir.Start(_handler);
        using var output = new StringWriter();
        using var error = new StringWriter();
        var cli = Task.Run(() => Program.Execute(["monitor", "--count", "3", "--control", _dir.Socket], output, error));
        Eventually.Holds(() => _handler.Feed.Subscribers == 1);
        foreach (var e in SomeEvents())
            _handler.Feed.Publish(e, At);

        Assert.Equal(0, await cli.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(
        [
            "2026-12-07T12:00:01.000Z moon[1] IKE SA up with 'sun' (aes256gcm16-prfsha384-ecp384), SPIs 1122334455667788_i 99aabbccddeeff00_r",
            "2026-12-07T12:00:01.000Z moon[1] CHILD_SA net{3} rekeyed (aes256gcm16), SPIs c1000001_i c2000001_o, 10.1.0.0/24 === 10.2.0.0/24",
            "2026-12-07T12:00:01.000Z moon[1] NO_PROPOSAL_CHOSEN from the peer: peer refused",
        ], output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.Empty(error.ToString());
        // The client went: its subscription ends with it.
        Eventually.Holds(() => _handler.Feed.Subscribers == 0);
    }

    [Fact]
    public async Task Monitor_Json_OneObjectPerEvent()
    {
        using var server = _dir.Start(_handler);
        var lines = new List<JsonObject>();
        var client = Task.Run(() => ControlClient.Stream(_dir.Socket, new JsonObject { ["command"] = "monitor" }, line =>
        {
            lines.Add(line);
            return lines.Count < 2;
        }));
        Eventually.Holds(() => _handler.Feed.Subscribers == 1);
        foreach (var e in SomeEvents()[..2])
            _handler.Feed.Publish(e, At);

        await client.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["ike-up", "child-rekeyed"], lines.Select(l => l["event"]!.ToString()));
        Assert.Equal("c1000001", lines[1]["spi_in"]!.ToString());
    }

    [Fact]
    public async Task Monitors_DoNotHoldTheCommandSlots()
    {
        using var server = _dir.Start(_handler);
        // One after another (a request being read holds a slot until the monitor takes over its connection).
        var monitors = new List<Task>();
        for (var i = 1; i <= ControlServer.MaxClients + 1; i++)
        {
            monitors.Add(Task.Run(() => ControlClient.Stream(_dir.Socket, new JsonObject { ["command"] = "monitor" }, _ => false)));
            Eventually.Holds(() => _handler.Feed.Subscribers == i);
        }

        Assert.NotNull(ControlClient.Send(_dir.Socket, new JsonObject { ["command"] = "status" }));

        _handler.Feed.Publish(SomeEvents()[0], At);
        await Task.WhenAll(monitors).WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void Feed_SlowReader_LosesItsOldestLines_AndIsToldHowMany()
    {
        var feed = new EventFeed();
        using var slow = feed.Subscribe()!;
        for (var i = 0; i < EventFeed.QueueLength + 10; i++)
            feed.Publish(new IkeSaClosed("moon", (uint)i, "test"), At);

        Assert.True(slow.TryRead(TimeSpan.Zero, out var first));
        Assert.Equal(10, (long)first["dropped_before"]!);
        Assert.Equal(10u, (uint)first["ike_sa"]!);
        Assert.Contains("(10 earlier line(s) dropped: the monitor fell behind)", EventFeed.Render(first), StringComparison.Ordinal);
    }

    [Fact]
    public void Feed_HasRoomForSoManySubscribers()
    {
        var feed = new EventFeed();
        var all = Enumerable.Range(0, EventFeed.MaxSubscribers).Select(_ => feed.Subscribe()).ToList();
        Assert.All(all, Assert.NotNull);
        Assert.Null(feed.Subscribe());
        all[0]!.Dispose();
        Assert.NotNull(feed.Subscribe());
    }

    [Fact]
    public void Gateway_UpAndRekey_ReachTheMonitor()
    {
        var p = InProcessGatewayTests.PolicyBased();
        using var monitor = p.A.Events.Subscribe()!;
        p.A.Start();
        p.Pump();
        p.A.Control(engine => engine.Rekey("moon"));
        p.Pump();

        var events = new List<string>();
        while (monitor.TryRead(TimeSpan.Zero, out var line))
            events.Add(line["event"]!.ToString());
        Assert.Equal(["ike-up", "child-up", "child-rekeyed", "child-down"], events);
    }
}
