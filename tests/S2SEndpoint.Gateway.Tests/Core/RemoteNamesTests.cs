using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Gateway.Control;
using S2SEndpoint.Gateway.Net;
using S2SEndpoint.Gateway.Tests.Control;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway.Tests.Core;

/// <summary>
/// A host name in remote_addrs, resolved by the gateway (never the engine) as strongSwan resolves it: when it initiates
/// and again on each retry and restart, with the attempt going to what the latest lookup gave; a name that does not
/// resolve warns and is tried again as a failed attempt is; as responder the connection accepts the addresses the name
/// resolved to last, refreshed every minute. The resolver is a fake: no test asks a DNS server.
/// </summary>
public sealed class RemoteNamesTests
{
    /// <summary>strongSwan's retransmission ladder before giving up: 4 s, then x1.8, five retransmits (165.06 s).</summary>
    private static readonly TimeSpan Ladder = TimeSpan.FromSeconds(Enumerable.Range(0, 6).Sum(i => 4 * Math.Pow(1.8, i)));

    /// <summary>A resolver whose answer the test decides per call (null: the name does not resolve), and that notes each call.</summary>
    private sealed class FakeResolver(TimeProvider time) : IHostResolver
    {
        public Func<string, int, IPAddress[]?> Answer { get; set; } = (_, _) => null;

        /// <summary>When set, lookups wait for it: a slow DNS server.</summary>
        public TaskCompletionSource? Hold { get; set; }

        public List<(DateTimeOffset At, string Name, IPAddress[]? Answer)> Calls { get; } = [];

        public Task<IPAddress[]> ResolveAsync(string name)
        {
            IPAddress[]? answer;
            lock (Calls)
            {
                answer = Answer(name, Calls.Count + 1);
                Calls.Add((time.GetUtcNow(), name, answer));
            }
            var result = answer is null
                ? Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound))
                : Task.FromResult(answer);
            return Hold is { } hold ? hold.Task.ContinueWith(_ => result, TaskScheduler.Default).Unwrap() : result;
        }
    }

    private sealed class LoggerFactory(ListLogger logger) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => logger;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }
    }

    /// <summary>moon at 192.0.2.1, to <paramref name="remoteAddrs"/>; its child "net" is started and restarted when its peer dies.</summary>
    private static string Moon(string remoteAddrs, string start = "start") => $$"""
        {
          "gateway": { "tun_name": "s2s0" },
          "connections": {
            "moon": {
              "local_addrs": "192.0.2.1", "remote_addrs": "{{remoteAddrs}}", "dpd_delay": "30s",
              "proposals": "aes256gcm16-prfsha384-ecp384",
              "local": { "auth": "psk", "id": "moon" }, "remote": { "auth": "psk", "id": "sun" },
              "children": { "net": { "local_ts": "10.1.0.0/24", "remote_ts": "10.2.0.0/24", "esp_proposals": "aes256gcm16", "start_action": "{{start}}", "dpd_action": "restart" } }
            }
          },
          "secrets": { "ike-moon": { "id": "sun", "secret": "remote-names-test-psk" } }
        }
        """;

    /// <summary>sun at whatever address it is reached on, answering moon at <paramref name="remoteAddrs"/>.</summary>
    private static string Sun(string remoteAddrs = "192.0.2.1") => $$"""
        {
          "gateway": { "tun_name": "s2s0" },
          "connections": {
            "sun": {
              "remote_addrs": "{{remoteAddrs}}",
              "proposals": "aes256gcm16-prfsha384-ecp384",
              "local": { "auth": "psk", "id": "sun" }, "remote": { "auth": "psk", "id": "moon" },
              "children": { "net": { "local_ts": "10.2.0.0/24", "remote_ts": "10.1.0.0/24", "esp_proposals": "aes256gcm16" } }
            }
          },
          "secrets": { "ike-sun": { "id": "moon", "secret": "remote-names-test-psk" } }
        }
        """;

    private sealed class Lab
    {
        private readonly List<GatewayCore> _cores = [];
        private readonly HashSet<IPAddress> _silent = [];

        /// <param name="answer">What moon's resolver answers, from the lookup moon makes when it is made.</param>
        public Lab(string moon, Func<string, int, IPAddress[]?>? answer = null)
        {
            Resolver = new FakeResolver(Clock);
            if (answer is not null)
                Resolver.Answer = answer;
            Moon = Add(moon, "192.0.2.1", Resolver, Log);
            Net.Filter = (from, d) =>
            {
                if (from.Core == Moon && d.Remote.Port == 500 && d.Data.Length >= 28 && d.Data[18] == 34 && (d.Data[19] & 0x20) == 0)
                    Inits.Add((Clock.GetUtcNow(), d.Remote.Address, BinaryPrimitives.ReadUInt64BigEndian(d.Data)));
                return _silent.Contains(d.Remote.Address) || _silent.Contains(d.Local.Address) ? [] : [d];
            };
        }

        public FakeClock Clock { get; } = new();
        public FakeResolver Resolver { get; }
        public ListLogger Log { get; } = new();
        public GatewayCore Moon { get; }
        public MemoryNetwork<GatewayHost> Net { get; } = new();

        /// <summary>Every IKE_SA_INIT request moon sent: when, to which address, with which initiator SPI.</summary>
        public List<(DateTimeOffset At, IPAddress To, ulong Spi)> Inits { get; } = [];

        /// <summary>The first IKE_SA_INIT request of each attempt (each initiator SPI).</summary>
        public List<(DateTimeOffset At, IPAddress To, ulong Spi)> Attempts => [.. Inits.GroupBy(i => i.Spi).Select(g => g.First())];

        /// <summary>A gateway at <paramref name="addresses"/> (one core may answer on several).</summary>
        public GatewayCore Add(string config, string addresses, IHostResolver? resolver = null, ListLogger? log = null)
        {
            var io = new FakeIo();
            var core = new GatewayCore(TestConfig.Load(config), io, Clock, new SeededRandom(_cores.Count + 1), log is null ? null : new LoggerFactory(log), resolver: resolver);
            foreach (var address in addresses.Split(',', StringSplitOptions.TrimEntries))
                Net.Add(address, core, io);
            _cores.Add(core);
            return core;
        }

        public void Silence(string address) => _silent.Add(IPAddress.Parse(address));

        public void Hear(string address) => _silent.Remove(IPAddress.Parse(address));

        /// <summary>One second: every core's timer at each deadline in it, and at its end.</summary>
        public void Second()
        {
            var end = Clock.GetUtcNow() + TimeSpan.FromSeconds(1);
            while (_cores.Min(c => c.NextDeadline) is var due && due < end)
            {
                Clock.SetUtcNow(due > Clock.GetUtcNow() ? due : Clock.GetUtcNow());
                Timers();
                if (_cores.Min(c => c.NextDeadline) <= due)
                    break;
            }
            Clock.SetUtcNow(end);
            Timers();
        }

        private void Timers()
        {
            foreach (var core in _cores)
                core.OnTimer();
            Net.Pump();
        }

        public void RunUntil(Func<bool> done, TimeSpan limit)
        {
            var start = Clock.GetUtcNow();
            while (!done())
            {
                Assert.True(Clock.GetUtcNow() - start < limit, $"not within {limit.TotalSeconds} s");
                Second();
            }
        }

        public static IkeSa? Established(GatewayCore core) => core.Inspect(c => c.Engine.Sas.FirstOrDefault(s => s.State == IkeSaState.Established));

        /// <summary>What the resolver answered last for a lookup made at or before <paramref name="at"/>.</summary>
        public IPAddress[]? LatestAnswer(DateTimeOffset at)
        {
            lock (Resolver.Calls)
                return Resolver.Calls.Last(c => c.At <= at).Answer;
        }
    }

    [Fact]
    public void Start_EachAttemptResolvesAnew_TheSecondAttemptGoesToTheNewAddress()
    {
        // Each lookup gives another address; sun answers on all of them, but the first attempt's address is lost.
        var lab = new Lab(Moon("vpn.example.net"), (_, call) => [IPAddress.Parse($"192.0.2.{10 + call}")]);
        lab.Add(Sun(), string.Join(", ", Enumerable.Range(11, 30).Select(i => $"192.0.2.{i}")));

        lab.Moon.Start();
        lab.Silence(lab.Resolver.Calls[^1].Answer![0].ToString());
        lab.Net.Pump();
        lab.RunUntil(() => Lab.Established(lab.Moon) is not null, TimeSpan.FromMinutes(10));

        // Each attempt went to what the lookup just before it answered: the first when moon started, the second after the
        // first gave up (its 165 s of retransmissions) and the keeper tried again.
        var attempts = lab.Attempts;
        Assert.Equal(2, attempts.Count);
        Assert.All(attempts, a => Assert.Equal([a.To], lab.LatestAnswer(a.At)));
        Assert.NotEqual(attempts[0].To, attempts[1].To);
        Assert.True(attempts[1].At - attempts[0].At >= Ladder, "the second attempt came before the first gave up");
        Assert.Contains(lab.Resolver.Calls, c => c.At == attempts[1].At);
        Assert.Equal(attempts[1].To, Lab.Established(lab.Moon)!.RemoteEndpoint.Address);
    }

    [Fact]
    public void PeerDied_DpdRestart_ResolvesTheNameAgainBeforeTheNewSa()
    {
        // start_action none: only the restart brings the SA back, not the keeper.
        var address = "192.0.2.2";
        var lab = new Lab(Moon("vpn.example.net", start: "none"), (_, _) => [IPAddress.Parse(address)]);
        lab.Add(Sun(), "192.0.2.2");
        lab.Moon.Initiate("moon");
        lab.Net.Pump();
        var old = Lab.Established(lab.Moon)!;
        Assert.Equal(IPAddress.Parse("192.0.2.2"), old.RemoteEndpoint.Address);

        // The peer moves to another address (a new instance there) and its name follows; the old address goes silent.
        lab.Add(Sun(), "192.0.2.3");
        address = "192.0.2.3";
        lab.Silence("192.0.2.2");
        var before = lab.Attempts.Count;
        lab.RunUntil(() => Lab.Established(lab.Moon) is { } sa && sa != old, TimeSpan.FromMinutes(10));

        // The restart looked the name up at that moment and went straight to the new address.
        var restart = lab.Attempts[before];
        Assert.Equal(IPAddress.Parse("192.0.2.3"), restart.To);
        Assert.Contains(lab.Resolver.Calls, c => c.At == restart.At);
        Assert.Equal(before + 1, lab.Attempts.Count);
        Assert.Equal(["net"], Lab.Established(lab.Moon)!.Children.Select(c => c.Config.Name));
    }

    [Fact]
    public void Start_NameDoesNotResolve_WarnsNamingConnectionAndName_TriesAgainUntilItDoes()
    {
        var lab = new Lab(Moon("vpn.example.net"));
        lab.Add(Sun(), "192.0.2.2");

        lab.Moon.Start();
        lab.Net.Pump();
        Assert.Empty(lab.Inits);
        Assert.Contains(lab.Log.Lines, l => l.Level == LogLevel.Warning && l.Message.StartsWith("moon: remote_addrs name vpn.example.net does not resolve", StringComparison.Ordinal));
        Assert.Contains(lab.Log.Lines, l => l.Level == LogLevel.Warning && l.Message.StartsWith("moon: no address to initiate to", StringComparison.Ordinal));

        // A failed attempt: the keeper tries again (after 5 s, then 10 s...), each time looking the name up.
        for (var i = 0; i < 20; i++)
            lab.Second();
        var failedLookups = lab.Resolver.Calls.Count;
        lab.Resolver.Answer = (_, _) => [IPAddress.Parse("192.0.2.2")];
        lab.RunUntil(() => Lab.Established(lab.Moon) is not null, TimeSpan.FromMinutes(2));
        Assert.True(failedLookups >= 4, $"{failedLookups} lookups: when moon was made, started, and tried again after 5 s and 15 s");
        Assert.Equal(IPAddress.Parse("192.0.2.2"), Assert.Single(lab.Attempts).To);
    }

    [Fact]
    public void Responder_AcceptsTheAddressTheNameResolvedToLast_RefreshedEveryMinute()
    {
        // sun names moon; the name points elsewhere first, so moon's IKE_SA_INIT is not let in.
        var lab = new Lab(Moon("192.0.2.2", start: "none"));
        var sunResolver = new FakeResolver(lab.Clock) { Answer = (_, _) => [IPAddress.Parse("192.0.2.7")] };
        var sun = lab.Add(Sun("moon.example.net"), "192.0.2.2", sunResolver);
        Assert.DoesNotContain(IPAddress.Parse("192.0.2.1"), sun.Inspect(c => c.Data.Snapshot.AcceptedPeers)!);

        lab.Moon.Initiate("moon");
        lab.Net.Pump();
        Assert.Null(Lab.Established(sun));
        Assert.True(sun.Counters.Drops.Count(GatewayDropReason.UnknownPeer) > 0);

        // The name now points at moon: within a minute sun looks it up again and lets moon in.
        sunResolver.Answer = (_, _) => [IPAddress.Parse("192.0.2.1")];
        lab.Moon.Terminate("moon");
        lab.RunUntil(() => sun.Inspect(c => c.Data.Snapshot.AcceptedPeers)!.Contains(IPAddress.Parse("192.0.2.1")), ControlPlane.NameRefreshInterval + TimeSpan.FromSeconds(2));
        Assert.DoesNotContain(IPAddress.Parse("192.0.2.7"), sun.Inspect(c => c.Data.Snapshot.AcceptedPeers)!);
        lab.Moon.Initiate("moon");
        lab.Net.Pump();
        Assert.NotNull(Lab.Established(sun));
        Assert.NotNull(Lab.Established(lab.Moon));
    }

    [Fact]
    public void Reload_AnotherName_TheConnectionGoesToItsAddress_TheOldOnesNoLongerAccepted()
    {
        var lab = new Lab(Moon("vpn.example.net"), (name, _) => [IPAddress.Parse(name == "vpn.example.net" ? "192.0.2.2" : "192.0.2.3")]);
        lab.Add(Sun(), "192.0.2.2, 192.0.2.3");
        lab.Moon.Start();
        lab.Net.Pump();
        Assert.Equal(IPAddress.Parse("192.0.2.2"), Lab.Established(lab.Moon)!.RemoteEndpoint.Address);

        var next = TestConfig.Load(Moon("vpn2.example.net"));
        lab.Moon.Reload(next, ConfigDiff.Between(lab.Moon.Config, next));
        lab.RunUntil(() => Lab.Established(lab.Moon) is { } sa && sa.RemoteEndpoint.Address.Equals(IPAddress.Parse("192.0.2.3")), TimeSpan.FromSeconds(10));

        Assert.Equal([IPAddress.Parse("192.0.2.3")], lab.Moon.Inspect(c => c.Engine.RemoteAddressesOf("moon")));
        Assert.Equal([IPAddress.Parse("192.0.2.3")], lab.Moon.Inspect(c => c.Data.Snapshot.AcceptedPeers)!);
    }

    [Fact]
    public void Status_ShowsTheNameAndTheAddressItResolvedTo()
    {
        var lab = new Lab(Moon("vpn.example.net, 192.0.2.3, backup.example.net", start: "none"),
            (name, _) => name == "vpn.example.net" ? [IPAddress.Parse("192.0.2.2")] : null);

        var status = lab.Moon.Inspect(StatusReport.Build);

        var connection = status["connections"]![0]!;
        Assert.Equal(["vpn.example.net", "192.0.2.3", "backup.example.net"], connection["remote_addrs"]!.AsArray().Select(n => n!.ToString()));
        Assert.Equal(["192.0.2.2"], connection["resolved"]!["vpn.example.net"]!.AsArray().Select(n => n!.ToString()));
        Assert.Contains("moon: 192.0.2.1 ... vpn.example.net (192.0.2.2),192.0.2.3,backup.example.net (unresolved)", StatusReport.Render(status), StringComparison.Ordinal);
        // The engine tries them in remote_addrs order, each name in its place.
        Assert.Equal([IPAddress.Parse("192.0.2.2"), IPAddress.Parse("192.0.2.3")], lab.Moon.Inspect(c => c.Engine.RemoteAddressesOf("moon")));
    }

    /// <summary>A slow DNS server: nothing waits for it under the control lock, and what it answers is applied when it does.</summary>
    [Fact]
    public void Initiate_SlowLookup_AppliedWhenItAnswers()
    {
        var lab = new Lab(Moon("vpn.example.net", start: "none"), (_, _) => [IPAddress.Parse("192.0.2.2")]);
        lab.Resolver.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        lab.Moon.Initiate("moon");
        // The control plane still takes steps while the lookup waits.
        lab.Moon.OnTimer();
        lab.Moon.Initiate("moon", "net");
        Assert.Empty(lab.Moon.Inspect(c => c.Engine.Sas.ToList()));

        lab.Resolver.Hold.SetResult();
        Assert.True(Eventually.Holds(() => lab.Moon.Inspect(c => c.Engine.Sas.Count == 1)), "the lookup's answer was not applied");
        Assert.Equal(IPAddress.Parse("192.0.2.2"), lab.Moon.Inspect(c => c.Engine.Sas.Single().RemoteEndpoint.Address));
    }

    [Fact]
    public void Terminate_WhileTheLookupWaits_TheAnswerInitiatesNothing()
    {
        // The lookup when moon starts answers 192.0.2.9; the one the initiate makes, 192.0.2.2, late.
        var lab = new Lab(Moon("vpn.example.net", start: "none"), (_, call) => [IPAddress.Parse(call == 1 ? "192.0.2.9" : "192.0.2.2")]);
        lab.Resolver.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lab.Moon.Initiate("moon");

        lab.Moon.Terminate("moon");
        lab.Resolver.Hold.SetResult();

        // The answer is applied (the addresses are known), and nothing is initiated with it.
        Assert.True(Eventually.Holds(() => lab.Moon.Inspect(c => c.Engine.RemoteAddressesOf("moon").SequenceEqual([IPAddress.Parse("192.0.2.2")]))),
            "the lookup's answer was not applied");
        Assert.Empty(lab.Moon.Inspect(c => c.Engine.Sas.ToList()));
    }

    [Fact]
    public void StopLookups_AtExit_NoLookupAndNoInitiateAfterwards()
    {
        var lab = new Lab(Moon("vpn.example.net", start: "none"), (_, _) => [IPAddress.Parse("192.0.2.2")]);
        var before = lab.Resolver.Calls.Count;

        lab.Moon.StopLookups();
        lab.Moon.Initiate("moon");
        lab.Clock.Advance(ControlPlane.NameRefreshInterval);
        lab.Moon.OnTimer();

        Assert.Equal(before, lab.Resolver.Calls.Count);
        Assert.Empty(lab.Moon.Inspect(c => c.Engine.Sas.ToList()));
    }
}
