using System.Buffers.Binary;
using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Exchanges;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Sa;

/// <summary>
/// The sans-I/O IKEv2 engine: datagrams, time and commands go in; datagrams to send, SA events and
/// Child SA installs (through <see cref="IChildSaKernel"/>) come out. It owns no socket and no clock:
/// the caller delivers what arrives with <see cref="Receive"/>, calls <see cref="OnTimer"/> when
/// <see cref="NextDeadline"/> passes, and sends what <see cref="TakeOutgoing"/> returns. One consumer
/// drives it; nothing in it takes a lock.
/// </summary>
public sealed class IkeEngine
{
    private readonly Dictionary<string, IkeSaConfig> _connections;
    private readonly Dictionary<ulong, IkeSa> _sas = [];
    private readonly List<Datagram> _outgoing = [];
    private readonly List<IkeEvent> _events = [];
    private readonly CookieJar _cookies;
    private readonly SourceRateLimiter _peerLines;
    private readonly TimeProvider _time;
    private long _reassemblyBytes;
    private uint _nextSaId;
    private uint _nextChildId;

    public IkeEngine(IEnumerable<IkeSaConfig> connections, IChildSaKernel kernel, TimeProvider time, IRandomSource random, ILogger? logger = null, IkeEngineOptions? options = null)
    {
        _connections = connections.ToDictionary(c => c.Name, StringComparer.Ordinal);
        Kernel = kernel;
        _time = time;
        Random = random;
        Options = options ?? new IkeEngineOptions();
        Log = new EngineLog(logger ?? NullLogger.Instance);
        _cookies = new CookieJar(random);
        _peerLines = new SourceRateLimiter(time, PeerLogBurst, PeerLogPerSecond);
    }

    /// <summary>Warning lines one peer address can cause: a burst, then one every two seconds.</summary>
    public const int PeerLogBurst = 10;
    public const double PeerLogPerSecond = 0.5;

    internal IChildSaKernel Kernel { get; }
    internal IRandomSource Random { get; }
    internal EngineLog Log { get; }
    public IkeEngineOptions Options { get; }
    public DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>Datagrams dropped before or instead of processing, by reason (for status and tests).</summary>
    public Dictionary<string, long> Drops { get; } = new(StringComparer.Ordinal);

    public IReadOnlyCollection<IkeSa> Sas => _sas.Values;

    public IReadOnlyCollection<IkeSaConfig> Connections => _connections.Values;

    /// <summary>Fragment octets held now by SAs not yet authenticated (at most <see cref="IkeEngineOptions.UnauthenticatedReassemblyLimit"/>).</summary>
    public long UnauthenticatedReassemblyBytes => _reassemblyBytes;

    internal bool TryChargeReassembly(int octets)
    {
        if (_reassemblyBytes + octets > Options.UnauthenticatedReassemblyLimit)
            return false;
        _reassemblyBytes += octets;
        return true;
    }

    internal void ReleaseReassembly(int octets) => _reassemblyBytes -= octets;

    public int HalfOpenCount => _sas.Values.Count(IsHalfOpenResponder);

    /// <summary>An SA a peer asked for with IKE_SA_INIT that has not completed IKE_AUTH: state an unauthenticated peer made us keep.</summary>
    private static bool IsHalfOpenResponder(IkeSa s) => !s.IsOriginalInitiator && s.State is IkeSaState.Connecting or IkeSaState.Authenticating;

    public List<Datagram> TakeOutgoing()
    {
        var list = new List<Datagram>(_outgoing);
        _outgoing.Clear();
        return list;
    }

    public List<IkeEvent> TakeEvents()
    {
        var list = new List<IkeEvent>(_events);
        _events.Clear();
        return list;
    }

    /// <summary>The earliest moment <see cref="OnTimer"/> has work to do.</summary>
    public DateTimeOffset NextDeadline
    {
        get
        {
            var next = DateTimeOffset.MaxValue;
            foreach (var sa in _sas.Values)
            {
                var due = Min(sa.Tasks.NextDeadline, sa.Timers.Next(sa));
                if (due < next)
                    next = due;
            }
            return next;
        }
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    // ---- commands ----

    /// <summary>
    /// Brings up a connection's children: on its established IKE SA if there is one, else on a new IKE SA
    /// to the first of its remote addresses. <paramref name="child"/> null means every child.
    /// </summary>
    public void Initiate(string connection, string? child = null)
    {
        var config = Connection(connection);
        var children = child is null ? config.Children : [.. config.Children.Where(c => c.Name == child)];
        if (child is not null && children.Count == 0)
            throw new ArgumentException($"connection '{connection}' has no child '{child}'; it has: {string.Join(", ", config.Children.Select(c => c.Name))}", nameof(child));
        // An SA on its way out (a delete queued, or made from a configuration a reload replaced) takes no
        // new children: they would go down with it.
        bool Usable(IkeSa s) => s.Config == config && s.State != IkeSaState.Destroyed && s.State != IkeSaState.Deleting && !s.Tasks.IsQueued(TaskType.IkeDelete);
        var sa = _sas.Values.FirstOrDefault(s => Usable(s) && s.IsOriginalInitiator)
            ?? _sas.Values.FirstOrDefault(s => Usable(s) && s.State == IkeSaState.Established);
        if (sa is null)
        {
            StartIkeSa(config, 0, children);
            return;
        }
        foreach (var c in children)
        {
            // Not twice: a child already there, queued, or being created in the exchange in flight stays as it is.
            if (!sa.Children.Exists(x => x.Config.Name == c.Name) && !sa.Tasks.QueuedOrActive.Any(t => t is ChildCreateTask { RekeyOf: null } cc && cc.Config?.Name == c.Name))
                sa.Tasks.Queue(new ChildCreateTask(sa, true, c));
        }
        sa.Tasks.Initiate();
    }

    private IkeSa StartIkeSa(IkeSaConfig config, int remoteIndex, IReadOnlyList<ChildSaConfig> children)
    {
        if (config.RemoteAddresses.Count == 0)
            throw new InvalidOperationException($"connection '{config.Name}' has no remote_addrs to initiate to");
        var local = new IPEndPoint(config.LocalAddresses.Count > 0 ? config.LocalAddresses[0] : IPAddress.Any, config.LocalPort);
        var remote = new IPEndPoint(config.RemoteAddresses[remoteIndex], config.RemotePort);
        var sa = new IkeSa(this, config, ++_nextSaId, true, NewSpi(), local, remote) { Created = Now, RemoteAddressIndex = remoteIndex, LastInbound = Now };
        _sas.Add(sa.LocalSpi, sa);
        Log.Initiating(config.Name, sa.Id, remote.ToString());
        sa.Tasks.Queue(new IkeInitTask(sa, true));
        sa.Tasks.Queue(new IkeNatdTask(sa, true));
        sa.Tasks.Queue(new IkeAuthTask(sa, true));
        if (children.Count > 0)
            sa.Tasks.Queue(new ChildCreateTask(sa, true, children[0]));
        foreach (var c in children.Skip(1))
            sa.Tasks.Queue(new ChildCreateTask(sa, true, c));
        sa.Tasks.Initiate();
        return sa;
    }

    /// <summary>
    /// Adds a connection, or replaces its configuration (a reload). SAs made from the old configuration
    /// keep it until they go; new SAs, rekeys included, take the new one.
    /// </summary>
    public void SetConnection(IkeSaConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _connections[config.Name] = config;
    }

    /// <summary>Forgets a connection (a reload that removed it); terminate its SAs first.</summary>
    public void RemoveConnection(string name) => _connections.Remove(name);

    /// <summary>Deletes the connection's IKE SAs, and with them their Child SAs.</summary>
    public void Terminate(string connection)
    {
        foreach (var sa in _sas.Values.Where(s => s.Config.Name == connection).ToList())
            Terminate(sa);
    }

    internal void Terminate(IkeSa sa)
    {
        if (sa.State is IkeSaState.Connecting or IkeSaState.Authenticating)
        {
            Destroy(sa, "terminated before it was established");
            return;
        }
        if (!sa.Tasks.IsQueued(TaskType.IkeDelete))
        {
            sa.Tasks.Queue(new IkeDeleteTask(sa, true));
            sa.Tasks.Initiate();
        }
    }

    /// <summary>Deletes one Child SA by name on every IKE SA of the connection.</summary>
    public void TerminateChild(string connection, string child)
    {
        foreach (var sa in _sas.Values.Where(s => s.Config.Name == connection && s.State == IkeSaState.Established).ToList())
        {
            foreach (var c in sa.Children.Where(c => c.Config.Name == child && c.State == ChildSaState.Installed).ToList())
                sa.Tasks.Queue(new ChildDeleteTask(sa, true, c));
            sa.Tasks.Initiate();
        }
    }

    /// <summary>Rekeys the connection's Child SAs now (all, or those of one child config).</summary>
    public void Rekey(string connection, string? child = null)
    {
        foreach (var sa in _sas.Values.Where(s => s.Config.Name == connection && s.State == IkeSaState.Established).ToList())
        {
            foreach (var c in sa.Children.Where(c => (child is null || c.Config.Name == child) && c.State == ChildSaState.Installed).ToList())
                sa.Tasks.Queue(new ChildCreateTask(sa, true, c.Config, c));
            sa.Tasks.Initiate();
        }
    }

    /// <summary>Rekeys the connection's IKE SAs now (RFC 7296 2.18).</summary>
    public void RekeyIke(string connection)
    {
        foreach (var sa in _sas.Values.Where(s => s.Config.Name == connection && s.State == IkeSaState.Established).ToList())
        {
            if (!sa.Tasks.IsQueued(TaskType.IkeRekey))
                sa.Tasks.Queue(new IkeRekeyTask(sa, true));
            sa.Tasks.Initiate();
        }
    }

    /// <summary>Sends a liveness check now on the connection's established IKE SAs.</summary>
    public void CheckLiveness(string connection)
    {
        foreach (var sa in _sas.Values.Where(s => s.Config.Name == connection && s.State == IkeSaState.Established))
        {
            if (!sa.Tasks.IsQueued(TaskType.IkeDpd))
                sa.Tasks.Queue(new IkeDpdTask(sa, true));
            sa.Tasks.Initiate();
        }
    }

    private IkeSaConfig Connection(string name) =>
        _connections.TryGetValue(name, out var c) ? c
        : throw new ArgumentException($"no connection '{name}'; known: {string.Join(", ", _connections.Keys)}", nameof(name));

    // ---- datagrams ----

    /// <summary>Handles one received IKE message (without non-ESP marker). Never throws on its content.</summary>
    public void Receive(Datagram datagram)
    {
        if (!IkeMessage.TryParse(datagram.Data, out var message, out var error))
        {
            Drop(null, datagram, error.CounterKey, Log.DebugEnabled ? error.ToString() : null);
            return;
        }
        var header = message.Header;
        if (header.Exchange == ExchangeType.IkeSaInit && !header.IsResponse)
        {
            ReceiveInitRequest(message, datagram);
            return;
        }
        var localSpi = header.IsFromInitiator ? header.ResponderSpi : header.InitiatorSpi;
        if (!_sas.TryGetValue(localSpi, out var sa) || sa.IsOriginalInitiator == header.IsFromInitiator)
        {
            Drop(null, datagram, "unknown IKE SPI", Log.DebugEnabled ? $"no IKE SA with SPI {localSpi:x16}" : null);
            return;
        }
        var remoteSpi = header.IsFromInitiator ? header.InitiatorSpi : header.ResponderSpi;
        var expectedRemote = sa.IsOriginalInitiator ? sa.ResponderSpi : sa.InitiatorSpi;
        if (remoteSpi != expectedRemote && !(header.Exchange == ExchangeType.IkeSaInit && sa.State == IkeSaState.Connecting))
        {
            Drop(sa, datagram, "peer SPI mismatch", $"peer SPI {remoteSpi:x16} does not match {expectedRemote:x16}");
            return;
        }
        sa.Tasks.Receive(message, datagram);
    }

    private void ReceiveInitRequest(IkeMessage message, Datagram datagram)
    {
        var header = message.Header;
        if (header.ResponderSpi != 0 || header.MessageId != 0 || !header.IsFromInitiator)
        {
            Drop(null, datagram, "malformed IKE_SA_INIT request", "IKE_SA_INIT request with a responder SPI, a message ID or without the Initiator flag");
            return;
        }
        // A retransmitted IKE_SA_INIT request reaches the half-open SA it created.
        foreach (var existing in _sas.Values)
        {
            // Only a half-open SA made by IKE_SA_INIT takes one: never an established or rekeyed SA.
            if (!existing.IsOriginalInitiator && existing.State is IkeSaState.Connecting or IkeSaState.Authenticating &&
                existing.InitiatorSpi == header.InitiatorSpi && existing.RemoteEndpoint.Equals(datagram.Remote))
            {
                existing.Tasks.Receive(message, datagram);
                return;
            }
        }
        // A half-open SA keeps the request until IKE_AUTH: its size bounds what each one holds.
        if (datagram.Data.Length > Options.MaxInitRequest)
        {
            Drop(null, datagram, "IKE_SA_INIT request too large", $"IKE_SA_INIT request of {datagram.Data.Length} octets, more than {Options.MaxInitRequest}");
            return;
        }
        var config = FindConfig(datagram);
        if (config is null)
        {
            Drop(null, datagram, "no matching connection", $"no connection accepts {datagram.Remote.Address} on {datagram.Local.Address}");
            return;
        }
        var source = SourceRateLimiter.KeyOf(datagram.Remote.Address);
        var halfOpen = 0;
        var fromSource = 0;
        IkeSa? oldestUnproved = null;
        foreach (var s in _sas.Values)
        {
            if (!IsHalfOpenResponder(s))
                continue;
            halfOpen++;
            if (s.Source != source)
                continue;
            fromSource++;
            if (!s.AddressProved && (oldestUnproved is null || s.Created < oldestUnproved.Created))
                oldestUnproved = s;
        }
        if (halfOpen >= Options.HalfOpenLimit)
        {
            Drop(null, datagram, "half-open limit", $"{halfOpen} half-open IKE SAs: the limit");
            return;
        }
        var proved = HasValidCookie(message, datagram);
        if (fromSource >= Options.HalfOpenPerSource)
        {
            // The source has all the half-open SAs it may have. It must prove its address with a cookie first;
            // then it replaces the oldest of its SAs made without that proof, so that somebody spoofing a real
            // peer's address cannot keep the peer out, while a source that answers cookies stays at the limit.
            if (!proved)
            {
                SendCookie(message, datagram);
                return;
            }
            if (oldestUnproved is null)
            {
                Drop(null, datagram, "half-open limit per source", $"{fromSource} half-open IKE SAs from {datagram.Remote.Address}: the limit");
                return;
            }
            Destroy(oldestUnproved, "replaced by a request from the same source that answered a cookie");
        }
        else if (halfOpen >= Options.CookieThreshold && !proved)
        {
            SendCookie(message, datagram);
            return;
        }
        var sa = new IkeSa(this, config, ++_nextSaId, false, NewSpi(), datagram.Local, datagram.Remote)
        {
            InitiatorSpi = header.InitiatorSpi,
            Created = Now,
            LastInbound = Now,
            Source = source,
            AddressProved = proved,
        };
        _sas.Add(sa.LocalSpi, sa);
        sa.Tasks.Receive(message, datagram);
    }

    private IkeSaConfig? FindConfig(Datagram datagram)
    {
        foreach (var c in _connections.Values)
        {
            var localOk = c.LocalAddresses.Count == 0 || c.LocalAddresses.Any(a => a.Equals(datagram.Local.Address) || a.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any));
            var remoteOk = c.RemoteAddresses.Count == 0 || c.RemoteAddresses.Any(a => a.Equals(datagram.Remote.Address) || a.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any));
            if (localOk && remoteOk)
                return c;
        }
        return null;
    }

    private bool HasValidCookie(IkeMessage message, Datagram datagram)
    {
        // RFC 7296 2.6: the initiator retries "with a Notify payload of type COOKIE containing the
        // responder-supplied cookie data as the first payload".
        if (message.Payloads.Count == 0 || message.Payloads[0] is not NotifyPayload { NotifyType: NotifyType.Cookie } cookie)
            return false;
        var nonce = message.Find<NoncePayload>();
        return nonce is not null && _cookies.Verify(cookie.Data, nonce.Data, datagram.Remote.Address, message.Header.InitiatorSpi);
    }

    private void SendCookie(IkeMessage message, Datagram datagram)
    {
        var nonce = message.Find<NoncePayload>();
        if (nonce is null)
        {
            Drop(null, datagram, "malformed IKE_SA_INIT request", "IKE_SA_INIT request without a nonce");
            return;
        }
        var cookie = _cookies.Make(nonce.Data, datagram.Remote.Address, message.Header.InitiatorSpi);
        var header = new IkeHeader(message.Header.InitiatorSpi, 0, PayloadType.Notify, ExchangeType.IkeSaInit, HeaderFlags.Response, 0, 0);
        var response = new IkeMessage(header, [NotifyPayload.Status(NotifyType.Cookie, cookie)]).ToArray();
        _outgoing.Add(new Datagram(datagram.Local, datagram.Remote, response));
        Count("cookie requested");
    }

    /// <summary>Rotates the cookie secret; the gateway calls this every few minutes.</summary>
    public void RotateCookieSecret() => _cookies.Rotate();

    // ---- timers ----

    /// <summary>Runs everything that is due: retransmits, half-open expiry, liveness checks, rekeys and expiry.</summary>
    public void OnTimer()
    {
        var now = Now;
        foreach (var sa in _sas.Values.ToList())
        {
            if (sa.State == IkeSaState.Destroyed)
                continue;
            sa.Tasks.OnTimer(now);
            if (sa.State == IkeSaState.Destroyed)
                continue;
            try
            {
                sa.Timers.Run(sa, now);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Fault(sa, e, "running its timers");
            }
        }
    }

    // ---- called by SAs and tasks ----

    internal void Send(IkeSa sa, byte[] data) => _outgoing.Add(new Datagram(sa.LocalEndpoint, sa.RemoteEndpoint, data));

    /// <summary>Sends back along the path a received datagram came (its destination becomes the source).</summary>
    internal void SendTo(Datagram to, byte[] data) => _outgoing.Add(new Datagram(to.Local, to.Remote, data));

    internal void Emit(IkeEvent e) => _events.Add(e);

    /// <summary>Sends a one-off protected request that is not retransmitted (RFC 7296 2.21.2's AUTHENTICATION_FAILED).</summary>
    internal void SendOnce(IkeSa sa, ExchangeType exchange, IkePayload payload)
    {
        var header = sa.Header(exchange, false, sa.Tasks.NextRequestId + 1);
        Send(sa, SkProtection.Seal(header, [payload], sa.OutboundCipher!));
    }

    /// <summary>Counts a dropped datagram under a fixed <paramref name="counter"/> and logs the detail at Debug.</summary>
    internal void Drop(IkeSa? sa, Datagram datagram, string counter, string? detail = null)
    {
        Count(counter);
        // Drops are what a flood of forged datagrams produces: their log line is only built when wanted.
        if (!Log.DebugEnabled)
            return;
        var reason = SafeText.Clean(detail ?? counter);
        Log.Dropped(datagram.Remote.ToString(), sa is null ? reason : $"{sa}: {reason}");
    }

    private void Count(string counter) => Drops[counter] = Drops.GetValueOrDefault(counter) + 1;

    internal ulong NewSpi()
    {
        Span<byte> b = stackalloc byte[8];
        ulong spi;
        do
        {
            Random.Fill(b);
            spi = BinaryPrimitives.ReadUInt64BigEndian(b);
        }
        while (spi == 0 || _sas.ContainsKey(spi));
        return spi;
    }

    internal byte[] NewNonce()
    {
        var nonce = new byte[Options.NonceSize];
        Random.Fill(nonce);
        return nonce;
    }

    internal uint NewChildId() => ++_nextChildId;

    /// <summary>The responder's SPI arrives with the IKE_SA_INIT response; the table keys on the local SPI, so nothing moves.</summary>
    internal static void CreatePassiveTasks(IkeSa sa, Exchanges.IncomingMessage request, List<IkeTask> into)
    {
        switch (request.Header.Exchange)
        {
            case ExchangeType.IkeSaInit:
                into.Add(new IkeInitTask(sa, false));
                into.Add(new IkeNatdTask(sa, false));
                into.Add(new IkeAuthTask(sa, false));
                into.Add(new ChildCreateTask(sa, false, null));
                break;
            case ExchangeType.CreateChildSa:
                // An IKE proposal in the SA payload means the IKE SA itself is being rekeyed (RFC 7296 1.3.2).
                if (request.Find<SecurityAssociationPayload>()?.Proposals.Any(p => p.Protocol == ProtocolId.Ike) == true)
                    into.Add(new IkeRekeyTask(sa, false));
                else
                    into.Add(new ChildCreateTask(sa, false, null));
                break;
            case ExchangeType.Informational:
                var deletes = request.Payloads.OfType<DeletePayload>().ToList();
                if (deletes.Exists(d => d.Protocol == ProtocolId.Ike))
                    into.Add(new IkeDeleteTask(sa, false));
                else if (deletes.Count > 0)
                    into.Add(new ChildDeleteTask(sa, false, null));
                into.Add(new InformationalTask(sa));
                break;
            default:
                break;
        }
    }

    /// <summary>Installs a Child SA in the data plane and announces it.</summary>
    internal void Installed(IkeSa sa, ChildSa child, ChildSaInstall install, bool rekeyed)
    {
        Kernel.Install(install);
        sa.Children.Add(child);
        var proposal = ProposalKeywords.Format(child.Proposal);
        var local = string.Join(' ', child.LocalTs);
        var remote = string.Join(' ', child.RemoteTs);
        Log.ChildSaEstablished(sa.Config.Name, sa.Id, child.Config.Name, child.UniqueId, proposal, child.InboundSpi, child.OutboundSpi, local, remote);
        Emit(new ChildSaEstablished(sa.Config.Name, sa.Id, child.Config.Name, child.UniqueId, child.InboundSpi, child.OutboundSpi, proposal, local, remote, rekeyed));
    }

    internal void RemoveChild(IkeSa sa, ChildSa child, string reason)
    {
        if (!sa.Children.Remove(child))
            return;
        // The SA that rekeyed this one takes its outbound traffic first, so that no packet finds neither.
        foreach (var next in sa.Children.Where(c => c.OutboundPending && c.Replaces == child))
        {
            next.OutboundPending = false;
            next.Replaces = null;
            Kernel.ActivateOutbound(next.InboundSpi);
        }
        // A rekey's new SA that goes before the old one (the initiator refused our response and deleted it):
        // the old SA is the child's again, and is rekeyed anew after a short delay.
        if (child.OutboundPending && child.Replaces is { } previous && sa.Children.Contains(previous) && previous.State == ChildSaState.Rekeyed)
        {
            previous.State = ChildSaState.Installed;
            previous.Superseded = false;
            previous.RekeyAt = Now + TimeSpan.FromSeconds(5) + SaTimers.Jitter(sa, TimeSpan.FromSeconds(10));
        }
        if (child.Superseded)
            Kernel.RemoveSuperseded(child.InboundSpi, child.OutboundSpi);
        else
            Kernel.Remove(child.InboundSpi, child.OutboundSpi);
        Log.ChildSaClosed(sa.Config.Name, sa.Id, child.Config.Name, child.UniqueId, child.InboundSpi, child.OutboundSpi, reason);
        Emit(new ChildSaClosed(sa.Config.Name, sa.Id, child.Config.Name, child.UniqueId, child.InboundSpi, child.OutboundSpi, reason));
    }

    internal void Established(IkeSa sa)
    {
        sa.State = IkeSaState.Established;
        sa.Tasks.SettleCharge();
        sa.EstablishedAt = Now;
        SaTimers.ScheduleIke(sa, Now);
        var proposal = ProposalKeywords.Format(sa.Proposal!);
        var nat = sa.NatDetected ? ", NAT-T" : "";
        Log.IkeSaEstablished(sa.Config.Name, sa.Id, sa.RemoteEndpoint.ToString(), proposal, sa.InitiatorSpi, sa.ResponderSpi, nat);
        Emit(new IkeSaEstablished(sa.Config.Name, sa.Id, sa.InitiatorSpi, sa.ResponderSpi, proposal, sa.RemoteId!, sa.NatDetected));
    }

    internal void Failed(IkeSa sa, NotifyType notify, bool received, string detail)
    {
        // One line that names the notify (what strongSwan's log and the RFC call it) and says what differed. A
        // peer's offer can be as long as a datagram and as frequent as it likes: the line is escaped and cut, and
        // each source gets a few lines, then one now and then that says how many were left out.
        if (_peerLines.TryTake(sa.RemoteEndpoint.Address, out var suppressed))
        {
            var text = notify == NotifyType.None ? detail : $"{notify.ToRfcName()}{(received ? " from the peer" : "")}: {detail}";
            Log.NegotiationFailed(sa.Config.Name, sa.Id, SafeText.Clean(text) + Suppressed(suppressed));
        }
        else
        {
            Count("log line suppressed");
            sa.LogSuppressed = true;
        }
        Emit(new NegotiationFailed(sa.Config.Name, sa.Id, notify, received, SafeText.Clean(detail)));
    }

    private static string Suppressed(long count) =>
        count == 0 ? "" : string.Create(System.Globalization.CultureInfo.InvariantCulture, $" ({count} similar line(s) from this peer suppressed)");

    /// <summary>
    /// A bug met on odd input or state (an exception out of a task or a timer): that one IKE SA is closed, the
    /// fault counted and logged (as Failed lines are, per source); the engine and every other SA live on.
    /// </summary>
    internal void Fault(IkeSa sa, Exception e, string during)
    {
        Count("internal error");
        if (_peerLines.TryTake(sa.RemoteEndpoint.Address, out var suppressed))
        {
            Log.InternalError(sa.Config.Name, sa.Id, during, SafeText.Clean($"{e.GetType().Name}: {e.Message}") + Suppressed(suppressed),
                $"{e.TargetSite?.DeclaringType?.Name}.{e.TargetSite?.Name}");
            Log.InternalErrorDetail(sa.Config.Name, sa.Id, e);
        }
        try
        {
            Destroy(sa, $"internal error while {during}");
        }
        catch (Exception again) when (again is not OutOfMemoryException)
        {
            // Even its clean-up failed: the SA leaves the table regardless, so that nothing reaches it again.
            sa.State = IkeSaState.Destroyed;
            _sas.Remove(sa.LocalSpi);
            sa.DisposeKeys();
            Count("internal error");
        }
    }

    /// <summary>Removes the SA, its Child SAs from the data plane, and its keys.</summary>
    internal void Destroy(IkeSa sa, string reason)
    {
        if (sa.State == IkeSaState.Destroyed)
            return;
        var wasEstablished = sa.State is IkeSaState.Established or IkeSaState.Rekeying or IkeSaState.Rekeyed or IkeSaState.Deleting;
        sa.State = IkeSaState.Destroyed;
        sa.Tasks.AbortAll();
        foreach (var child in sa.Children.ToList())
            RemoveChild(sa, child, reason);
        _sas.Remove(sa.LocalSpi);
        sa.DisposeKeys();
        var halfOpenResponder = !wasEstablished && !sa.IsOriginalInitiator && sa.CloseReason is null;
        if (!halfOpenResponder || sa.Tasks.ExpectedRequestId > 1)
        {
            // The close of an SA that never came up follows its failure line: left out where that was.
            if (wasEstablished || !sa.LogSuppressed)
                Log.IkeSaClosed(sa.Config.Name, sa.Id, SafeText.Clean(reason));
            Emit(new IkeSaClosed(sa.Config.Name, sa.Id, reason));
        }
    }

    /// <summary>
    /// Retransmissions ran out. An SA still connecting tries the next remote address (active-passive);
    /// an established one is dead: dpd_action restart brings the connection up again.
    /// </summary>
    internal void GiveUp(IkeSa sa, string reason)
    {
        var config = sa.Config;
        var connecting = sa.State is IkeSaState.Connecting or IkeSaState.Authenticating;
        var children = sa.Children.Select(c => c.Config).Concat(
            sa.Tasks.Queued.OfType<ChildCreateTask>().Select(t => t.Config!)).Distinct().ToList();
        var established = !connecting;
        var next = sa.RemoteAddressIndex + 1;
        if (sa.State is IkeSaState.Deleting or IkeSaState.Rekeyed)
        {
            // An SA on its way out whose delete goes unanswered is not brought back (strongSwan:
            // "proper IKE_SA delete failed, peer not responding").
            Destroy(sa, $"delete unanswered: {reason}");
            return;
        }
        sa.CloseReason = reason;
        Destroy(sa, established ? $"peer is dead: {reason}" : reason);
        if (!sa.IsOriginalInitiator && !established)
            return;
        if (connecting && next < config.RemoteAddresses.Count)
        {
            StartIkeSa(config, next, children.Count > 0 ? children : config.Children);
            return;
        }
        if (established && config.DpdAction == DpdAction.Restart && config.RemoteAddresses.Count > 0)
            StartIkeSa(config, 0, children.Count > 0 ? children : config.Children);
    }

    /// <summary>Drops, without deletes, the other SAs of this connection with the same authenticated peer.</summary>
    internal void ReplaceOlderSas(IkeSa sa)
    {
        foreach (var other in _sas.Values.Where(o => o != sa && o.Config.Name == sa.Config.Name && sa.RemoteId!.Equals(o.RemoteId)).ToList())
            Destroy(other, "replaced: the peer restarted (INITIAL_CONTACT)");
    }

    /// <summary>A new SA made by an IKE SA rekey, sharing the old one's configuration and path.</summary>
    internal IkeSa NewRekeyedSa(IkeSa old, bool originalInitiator, ulong localSpi) =>
        new(this, old.Config, ++_nextSaId, originalInitiator, localSpi, old.LocalEndpoint, old.RemoteEndpoint)
        {
            Created = Now,
            LastInbound = Now,
            LocalBehindNat = old.LocalBehindNat,
            RemoteBehindNat = old.RemoteBehindNat,
            NatFaked = old.NatFaked,
            RemoteId = old.RemoteId,
            PeerSupportsFragmentation = old.PeerSupportsFragmentation,
        };

    /// <summary>How long an SA replaced by a rekey waits for the peer's delete before it goes quietly.</summary>
    internal static readonly TimeSpan RekeyedGrace = TimeSpan.FromSeconds(60);

    /// <summary>The SA was replaced by a rekey; the peer deletes it, or it goes by itself after a grace time.</summary>
    internal void MarkRekeyed(IkeSa sa)
    {
        sa.State = IkeSaState.Rekeyed;
        if (sa.ExpireAt > Now + RekeyedGrace)
            sa.ExpireAt = Now + RekeyedGrace;
    }

    /// <summary>Puts an SA in the table so that its messages find it.</summary>
    internal void Register(IkeSa sa)
    {
        if (sa.State == IkeSaState.Destroyed)
            return;
        if (sa.State == IkeSaState.Authenticating || sa.State == IkeSaState.Connecting)
        {
            sa.State = IkeSaState.Established;
            sa.EstablishedAt = Now;
            SaTimers.ScheduleIke(sa, Now);
        }
        _sas.TryAdd(sa.LocalSpi, sa);
    }

    /// <summary>
    /// The rekeyed SA takes over (RFC 7296 2.18): the Child SAs move to it, with what was queued for them.
    /// </summary>
    internal void AdoptRekeyed(IkeSa old, IkeSa created)
    {
        Register(created);
        created.Children.AddRange(old.Children);
        old.Children.Clear();
        foreach (var task in old.Tasks.TakeQueued())
        {
            if (task is ChildCreateTask { Config: { } config } create)
                created.Tasks.Queue(new ChildCreateTask(created, true, config, create.RekeyOf));
            else if (task is ChildDeleteTask delete)
                foreach (var child in delete.Children)
                    created.Tasks.Queue(new ChildDeleteTask(created, true, child));
        }
        var proposal = ProposalKeywords.Format(created.Proposal!);
        Log.IkeSaRekeyed(old.Config.Name, old.Id, created.Id, proposal, created.InitiatorSpi, created.ResponderSpi);
        Emit(new IkeSaEstablished(created.Config.Name, created.Id, created.InitiatorSpi, created.ResponderSpi, proposal, created.RemoteId!, created.NatDetected));
        created.Tasks.Initiate();
    }

    internal static void MoveToNatPort(IkeSa sa)
    {
        // RFC 7296 2.23: after NAT detection the initiator moves to port 4500 for IKE_AUTH and beyond.
        if (sa.LocalEndpoint.Port == NatTraversal.Port && sa.RemoteEndpoint.Port == NatTraversal.Port)
            return;
        sa.LocalEndpoint = new IPEndPoint(sa.LocalEndpoint.Address, NatTraversal.Port);
        sa.RemoteEndpoint = new IPEndPoint(sa.RemoteEndpoint.Address, NatTraversal.Port);
    }
}
