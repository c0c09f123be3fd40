using System.Net;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Tests.Engine;

/// <summary>The data plane as a list: what was installed and removed, with SPIs handed out in order.</summary>
internal sealed class FakeKernel(uint firstSpi) : IChildSaKernel
{
    private uint _next = firstSpi;

    public List<ChildSaInstall> Installed { get; } = [];
    public List<uint> Removed { get; } = [];
    public Dictionary<uint, ChildSaUsage> Usage { get; } = [];

    public IEnumerable<ChildSaInstall> Active => Installed.Where(i => !Removed.Contains(i.InboundSpi));

    public uint AllocateSpi() => FailAllocateSpi ? throw new InvalidOperationException("no SPI") : _next++;

    /// <summary>When set, AllocateSpi throws (a fault inside a task that a timer started).</summary>
    public bool FailAllocateSpi { get; set; }

    /// <summary>The next SPI handed out (a test may make it a reserved one).</summary>
    public uint NextSpi
    {
        get => _next;
        set => _next = value;
    }

    /// <summary>When set, Install throws what it returns (a fault inside a task), or installs when it returns null.</summary>
    public Func<ChildSaInstall, Exception?>? FailInstall { get; set; }

    public void Install(ChildSaInstall childSa)
    {
        if (FailInstall?.Invoke(childSa) is { } e)
            throw e;
        Installed.Add(childSa);
    }

    public void Remove(uint inboundSpi, uint outboundSpi)
    {
        Removed.Add(inboundSpi);
        Calls.Add($"remove {inboundSpi}");
    }

    public void RemoveSuperseded(uint inboundSpi, uint outboundSpi)
    {
        Removed.Add(inboundSpi);
        Calls.Add($"remove-superseded {inboundSpi}");
    }

    public void ActivateOutbound(uint inboundSpi) => Calls.Add($"activate {inboundSpi}");

    public void UpdateEndpoints(uint inboundSpi, IPEndPoint local, IPEndPoint remote) => Calls.Add($"endpoints {inboundSpi} {local} {remote}");

    /// <summary>Removes and activations in order, as "remove 7", "remove-superseded 7", "activate 9".</summary>
    public List<string> Calls { get; } = [];

    public ChildSaUsage QueryUsage(uint inboundSpi) => Usage.GetValueOrDefault(inboundSpi);

    /// <summary>The virtual IPs the engine put on the device now, by connection and IKE SA.</summary>
    public List<(string Connection, uint IkeSaId, IPAddress Address)> VirtualIps { get; } = [];

    public void AddVirtualIp(string connection, uint ikeSaId, IPAddress address)
    {
        VirtualIps.Add((connection, ikeSaId, address));
        Calls.Add($"add-vip {address}");
    }

    public void RemoveVirtualIp(string connection, uint ikeSaId, IPAddress address)
    {
        // As the gateway's kernel counts them: only this IKE SA's hold goes.
        VirtualIps.RemoveAll(v => v.Connection == connection && v.IkeSaId == ikeSaId && v.Address.Equals(address));
        Calls.Add($"remove-vip {address}");
    }
}

/// <summary>One side of a test: an engine with its clock, kernel and collected events, on the in-memory network.</summary>
internal sealed class Side : INetworkHost
{
    public Side(string name, IPAddress address, IkeSaConfig config, FakeClock clock, int seed, uint firstSpi, IkeEngineOptions? options, Microsoft.Extensions.Logging.ILogger? log = null)
    {
        Name = name;
        Address = address;
        Kernel = new FakeKernel(firstSpi);
        Engine = new IkeEngine([config], Kernel, clock, new SeededRandom(seed), log, options);
    }

    public string Name { get; }
    public IPAddress Address { get; }
    public IkeEngine Engine { get; }
    public FakeKernel Kernel { get; }
    public List<IkeEvent> Events { get; } = [];

    public IkeSa? Established => Engine.Sas.FirstOrDefault(s => s.State == IkeSaState.Established);

    public IEnumerable<T> EventsOf<T>() where T : IkeEvent => Events.OfType<T>();

    public IReadOnlyList<Datagram> TakeSent() => Engine.TakeOutgoing();

    public void Receive(Datagram datagram) => Engine.Receive(datagram);
}

/// <summary>
/// Two engines joined by the in-memory network: what one sends the other receives, through a filter that can lose,
/// duplicate, reorder or rewrite datagrams (a NAT). Time moves only through <see cref="Advance"/>.
/// </summary>
internal sealed class EngineHarness
{
    public static readonly IPAddress AddressA = IPAddress.Parse("192.0.2.1");
    public static readonly IPAddress AddressB = IPAddress.Parse("192.0.2.2");
    public const string Psk = "s2s-test-psk";

    public EngineHarness(Func<IkeSaConfig, IkeSaConfig>? configureA = null, Func<IkeSaConfig, IkeSaConfig>? configureB = null,
        IkeEngineOptions? optionsA = null, IkeEngineOptions? optionsB = null, int seed = 0, Microsoft.Extensions.Logging.ILogger? logB = null)
    {
        A = new Side("A", AddressA, (configureA ?? (c => c))(Config("moon", AddressA, AddressB, "moon.s2s.test", "sun.s2s.test", "10.1.0.0/24", "10.2.0.0/24")), Clock, 1 + (2 * seed), 0xc1000001, optionsA);
        B = new Side("B", AddressB, (configureB ?? (c => c))(Config("sun", AddressB, AddressA, "sun.s2s.test", "moon.s2s.test", "10.2.0.0/24", "10.1.0.0/24")), Clock, 2 + (2 * seed), 0xc2000001, optionsB, logB);
        Net.Add(AddressA, A);
        Net.Add(AddressB, B);
    }

    public FakeClock Clock { get; } = new();
    public Side A { get; }
    public Side B { get; }

    /// <summary>The network between A and B: its filter decides what happens to each datagram, its wire lists what was delivered.</summary>
    public MemoryNetwork<Side> Net { get; } = new();

    private readonly List<Side> _more = [];

    /// <summary>
    /// Another engine on the network, whose timers and events run with A's and B's: a standby gateway at an address of
    /// its own, or a peer restarted with its state lost at an address another side had (which that side then loses).
    /// </summary>
    public Side AddSide(string name, IPAddress address, IkeSaConfig config, int seed, uint firstSpi, Microsoft.Extensions.Logging.ILogger? log = null)
    {
        var side = new Side(name, address, config, Clock, seed, firstSpi, null, log);
        Net.Add(address, side);
        _more.Add(side);
        return side;
    }

    public static IkeSaConfig Config(string name, IPAddress local, IPAddress remote, string localId, string remoteId, string localTs, string remoteTs,
        string ike = "aes256-sha256-modp2048", string esp = "aes256gcm16")
    {
        Assert.True(ProposalKeywords.TryParseList(ike, ProtocolId.Ike, out var ikeProposals, out var error), error);
        Assert.True(ProposalKeywords.TryParseList(esp, ProtocolId.Esp, out var espProposals, out error), error);
        return new IkeSaConfig
        {
            Name = name,
            LocalAddresses = [local],
            RemoteAddresses = [remote],
            Proposals = ikeProposals,
            LocalId = Identity.Parse(localId),
            RemoteId = Identity.Parse(remoteId),
            PreSharedKey = System.Text.Encoding.UTF8.GetBytes(Psk),
            Children =
            [
                new ChildSaConfig
                {
                    Name = "net",
                    LocalTs = [Prefix(localTs)],
                    RemoteTs = [Prefix(remoteTs)],
                    EspProposals = espProposals,
                },
            ],
        };
    }

    public static TrafficSelector Prefix(string cidr)
    {
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        return TrafficSelector.FromPrefix(IPAddress.Parse(cidr[..slash]), int.Parse(cidr[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    public static IReadOnlyList<Proposal> Esp(string keywords)
    {
        Assert.True(ProposalKeywords.TryParseList(keywords, ProtocolId.Esp, out var list, out var error), error);
        return list;
    }

    public Side Other(Side side) => side == A ? B : A;

    /// <summary>Delivers datagrams back and forth until both sides are quiet (bounded).</summary>
    public void Pump(int maxRounds = MemoryNetwork<Side>.DefaultMaxRounds)
    {
        try
        {
            Net.Pump(maxRounds);
        }
        finally
        {
            Collect();
        }
    }

    private void Collect()
    {
        A.Events.AddRange(A.Engine.TakeEvents());
        B.Events.AddRange(B.Engine.TakeEvents());
        foreach (var side in _more)
            side.Events.AddRange(side.Engine.TakeEvents());
    }

    /// <summary>Moves the clock, runs both engines' timers, and pumps what they send.</summary>
    public void Advance(TimeSpan by)
    {
        Clock.Advance(by);
        A.Engine.OnTimer();
        B.Engine.OnTimer();
        foreach (var side in _more)
            side.Engine.OnTimer();
        Pump();
    }

    /// <summary>Advances in steps to the earliest deadline, up to <paramref name="total"/>.</summary>
    public void Run(TimeSpan total)
    {
        var end = Clock.GetUtcNow() + total;
        while (true)
        {
            var next = Min(A.Engine.NextDeadline, B.Engine.NextDeadline);
            foreach (var side in _more)
                next = Min(next, side.Engine.NextDeadline);
            if (next > end)
            {
                Clock.SetUtcNow(end);
                return;
            }
            Advance(next > Clock.GetUtcNow() ? next - Clock.GetUtcNow() : TimeSpan.Zero);
        }
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    /// <summary>
    /// Holds back the first CREATE_CHILD_SA datagram that <paramref name="order"/> names, so that two
    /// crossing rekeys meet in that order; <see cref="ReleaseHeld"/> delivers it late.
    /// </summary>
    public List<(Side From, Datagram Datagram)> HoldCrossing(RekeyTests.CollisionOrder order)
    {
        var held = new List<(Side, Datagram)>();
        Net.Filter = (from, d) =>
        {
            var header = EstablishmentTests.Parse(d.Data).Header;
            var create = header.Exchange == ExchangeType.CreateChildSa;
            var hold = order switch
            {
                RekeyTests.CollisionOrder.InitiatorRequestLate => from == A && create && !header.IsResponse,
                RekeyTests.CollisionOrder.ResponderRequestLate => from == B && create && !header.IsResponse,
                RekeyTests.CollisionOrder.ResponseLate => from == A && create && header.IsResponse,
                _ => false,
            };
            if (hold && held.Count == 0)
            {
                held.Add((from, d));
                return [];
            }
            return [d];
        };
        return held;
    }

    public void ReleaseHeld(List<(Side From, Datagram Datagram)> held)
    {
        foreach (var (_, d) in held)
            Net.Deliver(d);
        Pump();
    }

    /// <summary>
    /// Both sides rekey at once, their Child SAs or with <paramref name="ike"/> their IKE SAs, the crossing datagram held
    /// back as <paramref name="order"/> says (<see cref="HoldCrossing"/>) and delivered late; then time runs for
    /// <paramref name="settle"/>. Returns what was held back.
    /// </summary>
    public List<(Side From, Datagram Datagram)> CrossRekeys(RekeyTests.CollisionOrder order, bool ike, TimeSpan settle)
    {
        var held = HoldCrossing(order);
        foreach (var side in new[] { A, B })
        {
            var connection = side.Engine.Connections.First().Name;
            if (ike)
                side.Engine.RekeyIke(connection);
            else
                side.Engine.Rekey(connection);
        }
        Pump();
        ReleaseHeld(held);
        Run(settle);
        return held;
    }

    /// <summary>The outside address of the NAT that <see cref="PutABehindNat"/> puts in front of A.</summary>
    public static readonly IPAddress NatOutside = IPAddress.Parse("203.0.113.7");

    /// <summary>A sits behind a NAT: B sees A's datagrams from <see cref="NatOutside"/>, each port moved up by 40000.</summary>
    public void PutABehindNat() => Net.Filter = new PortShiftNat(AddressA, NatOutside, 40000).Filter(A);

    public void Establish()
    {
        A.Engine.Initiate(A.Engine.Connections.First().Name);
        Pump();
        AssertEstablished();
    }

    public void AssertEstablished(int children = 1)
    {
        var a = A.Established;
        var b = B.Established;
        Assert.NotNull(a);
        Assert.NotNull(b);
        Assert.Equal(a.InitiatorSpi, b.InitiatorSpi);
        Assert.Equal(a.ResponderSpi, b.ResponderSpi);
        Assert.Equal(children, a.Children.Count);
        Assert.Equal(children, b.Children.Count);
        AssertChildKeysMirror();
    }

    /// <summary>What A sends with is what B receives with, and the other way round.</summary>
    public void AssertChildKeysMirror()
    {
        foreach (var a in A.Kernel.Active)
        {
            var b = Assert.Single(B.Kernel.Active, x => x.InboundSpi == a.OutboundSpi);
            Assert.Equal(a.InboundSpi, b.OutboundSpi);
            Assert.Equal(a.OutboundEncryptionKey, b.InboundEncryptionKey);
            Assert.Equal(a.OutboundIntegrityKey, b.InboundIntegrityKey);
            Assert.Equal(a.InboundEncryptionKey, b.OutboundEncryptionKey);
            Assert.Equal(a.InboundIntegrityKey, b.OutboundIntegrityKey);
            Assert.Equal(a.Suite, b.Suite);
            Assert.Equal(a.UdpEncapsulation, b.UdpEncapsulation);
        }
    }
}
