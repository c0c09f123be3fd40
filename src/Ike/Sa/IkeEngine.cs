using System.Net;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Diagnostics;
using S2SEndpoint.Ike.Exchanges;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Sa;

/// <summary>
/// The sans-I/O IKEv2 engine: datagrams, time and commands go in; datagrams to send, SA events and
/// Child SA installs (through <see cref="IChildSaKernel"/>) come out. It owns no socket and no clock:
/// the caller delivers what arrives with <see cref="Receive"/>, calls <see cref="OnTimer"/> when
/// <see cref="NextDeadline"/> passes, and sends what <see cref="TakeOutgoing"/> returns. One consumer
/// drives it; nothing in it takes a lock. It is the public face of the <see cref="IkeSaManager"/>, which holds
/// the SAs: here are the commands, the dispatch of what arrives, admission of new peers, and the timers.
/// </summary>
public sealed class IkeEngine
{
    private readonly Dictionary<string, IkeSaConfig> _connections;
    private readonly IkeSaManager _sas;
    private readonly CookieJar _cookies;

    public IkeEngine(IEnumerable<IkeSaConfig> connections, IChildSaKernel kernel, TimeProvider time, IRandomSource random, ILogger? logger = null, IkeEngineOptions? options = null)
    {
        _connections = connections.ToDictionary(c => c.Name, StringComparer.Ordinal);
        _sas = new IkeSaManager(options ?? new IkeEngineOptions(), kernel, time, random, new EngineLog(logger ?? NullLogger.Instance));
        _cookies = new CookieJar(random);
    }

    /// <summary>Warning lines one peer address can cause: a burst, then one every two seconds.</summary>
    public const int PeerLogBurst = 10;
    public const double PeerLogPerSecond = 0.5;

    public IkeEngineOptions Options => _sas.Options;
    public DateTimeOffset Now => _sas.Now;

    /// <summary>Datagrams dropped before or instead of processing, by reason (for status and tests).</summary>
    public DropCounters<IkeDropReason> Drops => _sas.Drops;

    public IReadOnlyCollection<IkeSa> Sas => _sas.Sas;

    public IReadOnlyCollection<IkeSaConfig> Connections => _connections.Values;

    /// <summary>The virtual IPs leased from the connections' pools, online and offline (RFC 7296 2.19), for status.</summary>
    public IReadOnlyList<AddressLease> Leases => [.. _sas.Leases];

    /// <summary>Fragment octets held now by SAs not yet authenticated (at most <see cref="IkeEngineOptions.UnauthenticatedReassemblyLimit"/>).</summary>
    public long UnauthenticatedReassemblyBytes => _sas.UnauthenticatedReassemblyBytes;

    /// <summary>SAs peers asked for with IKE_SA_INIT that have not completed IKE_AUTH.</summary>
    public int HalfOpenCount => _sas.HalfOpenCount;

    public List<Datagram> TakeOutgoing() => _sas.TakeOutgoing();

    /// <summary>IKE datagrams in and out, retransmits and rekeys, for metrics.</summary>
    public IkeStatistics Statistics => _sas.Statistics;

    public List<IkeEvent> TakeEvents() => _sas.TakeEvents();

    /// <summary>The earliest moment <see cref="OnTimer"/> has work to do.</summary>
    public DateTimeOffset NextDeadline
    {
        get
        {
            var next = DateTimeOffset.MaxValue;
            foreach (var sa in _sas.Sas)
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
    /// to the first of its remote addresses (for one that names hosts, the first the host gave with
    /// <see cref="SetRemoteAddresses"/>). <paramref name="child"/> null means every child.
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
        var sa = _sas.Sas.FirstOrDefault(s => Usable(s) && s.IsOriginalInitiator)
            ?? _sas.Sas.FirstOrDefault(s => Usable(s) && s.State == IkeSaState.Established);
        if (sa is null)
        {
            _sas.StartIkeSa(config, 0, children);
            return;
        }
        foreach (var c in children)
        {
            // Not twice: a child already there, queued, or being created in the exchange in flight stays as it is.
            if (!sa.Children.Exists(x => x.Config.Name == c.Name) && !sa.Tasks.ActiveAndQueued.Any(t => t is ChildCreateTask cc && cc.Config?.Name == c.Name))
                sa.Tasks.Queue(new ChildCreateTask(sa, true, c));
        }
        sa.Tasks.Initiate();
    }

    /// <summary>
    /// Adds a connection, or replaces its configuration (a reload). SAs made from the old configuration
    /// keep it until they go; new SAs, rekeys included, take the new one. Addresses the host gave for the old one's
    /// names (<see cref="SetRemoteAddresses"/>) are forgotten: the new one's are resolved anew.
    /// </summary>
    public void SetConnection(IkeSaConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _connections[config.Name] = config;
        _sas.ForgetRemoteAddresses(config.Name);
    }

    /// <summary>Forgets a connection (a reload that removed it); terminate its SAs first.</summary>
    public void RemoveConnection(string name)
    {
        _connections.Remove(name);
        _sas.ForgetRemoteAddresses(name);
    }

    /// <summary>
    /// The addresses a connection whose remote_addrs name hosts (<see cref="IkeSaConfig.HasRemoteNames"/>) initiates to, in
    /// order, and accepts IKE_SA_INIT from, as the host resolved them: they take the place of the earlier ones for new
    /// SAs (an SA keeps the address it has).
    /// </summary>
    public void SetRemoteAddresses(string connection, IReadOnlyList<IPAddress> addresses)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        _sas.SetRemoteAddresses(Connection(connection).Name, addresses);
    }

    /// <summary>The addresses the connection initiates to, in order, and accepts: its remote_addrs, or what the host resolved.</summary>
    public IReadOnlyList<IPAddress> RemoteAddressesOf(string connection) => _sas.RemoteAddressesOf(Connection(connection));

    /// <summary>Deletes the connection's IKE SAs, and with them their Child SAs.</summary>
    public void Terminate(string connection)
    {
        foreach (var sa in _sas.Sas.Where(s => s.Config.Name == connection).ToList())
            _sas.Terminate(sa);
    }

    /// <summary>Deletes one Child SA by name on every IKE SA of the connection.</summary>
    public void TerminateChild(string connection, string child)
    {
        foreach (var sa in _sas.Sas.Where(s => s.Config.Name == connection && s.State == IkeSaState.Established).ToList())
        {
            foreach (var c in sa.Children.Where(c => c.Config.Name == child && c.State == ChildSaState.Installed).ToList())
                sa.Tasks.Queue(new ChildDeleteTask(sa, true, c));
            sa.Tasks.Initiate();
        }
    }

    /// <summary>Rekeys the connection's Child SAs now (all, or those of one child config).</summary>
    public void Rekey(string connection, string? child = null)
    {
        foreach (var sa in _sas.Sas.Where(s => s.Config.Name == connection && s.State == IkeSaState.Established).ToList())
        {
            foreach (var c in sa.Children.Where(c => (child is null || c.Config.Name == child) && c.State == ChildSaState.Installed).ToList())
                sa.Tasks.Queue(new ChildRekeyTask(sa, true, c));
            sa.Tasks.Initiate();
        }
    }

    /// <summary>Rekeys the connection's IKE SAs now (RFC 7296 2.18).</summary>
    public void RekeyIke(string connection)
    {
        foreach (var sa in _sas.Sas.Where(s => s.Config.Name == connection && s.State == IkeSaState.Established).ToList())
        {
            if (!sa.Tasks.IsQueued(TaskType.IkeRekey))
                sa.Tasks.Queue(new IkeRekeyTask(sa, true));
            sa.Tasks.Initiate();
        }
    }

    /// <summary>Sends a liveness check now on the connection's established IKE SAs.</summary>
    public void CheckLiveness(string connection)
    {
        foreach (var sa in _sas.Sas.Where(s => s.Config.Name == connection && s.State == IkeSaState.Established))
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
        _sas.Statistics.CountReceived();
        if (!IkeMessage.TryParse(datagram.Data, out var message, out var error))
        {
            _sas.Drop(null, datagram, error.DropReason, _sas.Log.DebugEnabled ? error.ToString() : null);
            return;
        }
        var header = message.Header;
        if (header.Exchange == ExchangeType.IkeSaInit && !header.IsResponse)
        {
            ReceiveInitRequest(message, datagram);
            return;
        }
        var localSpi = header.IsFromInitiator ? header.ResponderSpi : header.InitiatorSpi;
        if (!_sas.TryFind(localSpi, out var sa) || sa.IsOriginalInitiator == header.IsFromInitiator)
        {
            _sas.Drop(null, datagram, IkeDropReason.UnknownIkeSpi, _sas.Log.DebugEnabled ? $"no IKE SA with SPI {localSpi:x16}" : null);
            return;
        }
        var remoteSpi = header.IsFromInitiator ? header.InitiatorSpi : header.ResponderSpi;
        var expectedRemote = sa.IsOriginalInitiator ? sa.ResponderSpi : sa.InitiatorSpi;
        if (remoteSpi != expectedRemote && !(header.Exchange == ExchangeType.IkeSaInit && sa.State == IkeSaState.Connecting))
        {
            _sas.Drop(sa, datagram, IkeDropReason.PeerSpiMismatch, $"peer SPI {remoteSpi:x16} does not match {expectedRemote:x16}");
            return;
        }
        sa.Tasks.Receive(message, datagram);
    }

    private void ReceiveInitRequest(IkeMessage message, Datagram datagram)
    {
        var header = message.Header;
        if (header.ResponderSpi != 0 || header.MessageId != 0 || !header.IsFromInitiator)
        {
            _sas.Drop(null, datagram, IkeDropReason.MalformedInitRequest, "IKE_SA_INIT request with a responder SPI, a message ID or without the Initiator flag");
            return;
        }
        // A retransmitted IKE_SA_INIT request reaches the half-open SA it created (only a half-open SA made by
        // IKE_SA_INIT takes one: never an established or rekeyed SA).
        if (_sas.FindHalfOpen(header.InitiatorSpi, datagram.Remote) is { } existing)
        {
            existing.Tasks.Receive(message, datagram);
            return;
        }
        // A half-open SA keeps the request until IKE_AUTH: its size bounds what each one holds.
        if (datagram.Data.Length > Options.MaxInitRequest)
        {
            _sas.Drop(null, datagram, IkeDropReason.InitRequestTooLarge, $"IKE_SA_INIT request of {datagram.Data.Length} octets, more than {Options.MaxInitRequest}");
            return;
        }
        var config = FindConfig(datagram);
        if (config is null)
        {
            _sas.Drop(null, datagram, IkeDropReason.NoMatchingConnection, $"no connection accepts {datagram.Remote.Address} on {datagram.Local.Address}");
            return;
        }
        var source = SourceRateLimiter.KeyOf(datagram.Remote.Address);
        var (halfOpen, fromSource, oldestUnproved) = _sas.CountHalfOpen(source);
        if (halfOpen >= Options.HalfOpenLimit)
        {
            _sas.Drop(null, datagram, IkeDropReason.HalfOpenLimit, $"{halfOpen} half-open IKE SAs: the limit");
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
                _sas.Drop(null, datagram, IkeDropReason.HalfOpenLimitPerSource, $"{fromSource} half-open IKE SAs from {datagram.Remote.Address}: the limit");
                return;
            }
            _sas.Destroy(oldestUnproved, "replaced by a request from the same source that answered a cookie");
        }
        else if (halfOpen >= Options.CookieThreshold && !proved)
        {
            SendCookie(message, datagram);
            return;
        }
        var sa = _sas.CreateResponder(config, datagram, header.InitiatorSpi, source, proved);
        sa.Tasks.Receive(message, datagram);
    }

    private IkeSaConfig? FindConfig(Datagram datagram)
    {
        foreach (var c in _connections.Values)
        {
            var localOk = c.LocalAddresses.Count == 0 || c.LocalAddresses.Any(a => a.Equals(datagram.Local.Address) || a.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any));
            var remoteOk = c.AcceptsAnyPeer || _sas.RemoteAddressesOf(c).Contains(datagram.Remote.Address);
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
            _sas.Drop(null, datagram, IkeDropReason.MalformedInitRequest, "IKE_SA_INIT request without a nonce");
            return;
        }
        var cookie = _cookies.Make(nonce.Data, datagram.Remote.Address, message.Header.InitiatorSpi);
        var header = new IkeHeader(message.Header.InitiatorSpi, 0, PayloadType.Notify, ExchangeType.IkeSaInit, HeaderFlags.Response, 0, 0);
        var response = new IkeMessage(header, [NotifyPayload.Status(NotifyType.Cookie, cookie)]).ToArray();
        _sas.SendTo(datagram, response);
        _sas.Count(IkeDropReason.CookieRequested);
    }

    /// <summary>Rotates the cookie secret; the gateway calls this every few minutes.</summary>
    public void RotateCookieSecret() => _cookies.Rotate();

    // ---- timers ----

    /// <summary>Runs everything that is due: retransmits, half-open expiry, liveness checks, rekeys and expiry.</summary>
    public void OnTimer()
    {
        var now = Now;
        foreach (var sa in _sas.Sas.ToList())
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
                _sas.Fault(sa, e, "running its timers");
            }
        }
    }
}
