using System.Net;
using Microsoft.Extensions.Logging;
using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Gateway.Net;
using S2SEndpoint.Gateway.Policy;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway;

/// <summary>
/// What the control plane's timer keeps up besides the engine's own timers: connections whose start_action is start
/// (tried again while they have no IKE SA, unless `s2s terminate` holds them down), NAT keepalives (RFC 3948 2.3), and
/// the cookie secret (RFC 7296 2.6). Under the control lock; <see cref="OnTimer"/> is a step that drives the engine,
/// <see cref="SendKeepalives"/> sends, and runs after the engine call returned. <paramref name="initiate"/> brings a child up
/// as the control plane does (resolving the connection's host names first when it has some).
/// </summary>
internal sealed partial class ConnectionKeeper(IkeEngine engine, EspKernel kernel, IGatewayIo io, GatewayCounters counters, TimeProvider time, ILogger log,
    Action<IkeSaConfig, string?> initiate)
{
    /// <summary>RFC 3948 2.3: a host behind a NAT sends a keepalive when nothing else went out for this long (strongSwan: 20 s).</summary>
    public static readonly TimeSpan KeepaliveInterval = TimeSpan.FromSeconds(20);

    /// <summary>How often the cookie secret changes (RFC 7296 2.6: "regenerate the secret periodically").</summary>
    public static readonly TimeSpan CookieSecretLifetime = TimeSpan.FromMinutes(5);

    /// <summary>The first wait before a start connection without any IKE SA is tried again; doubled each time up to <see cref="MaxRetryInterval"/>.</summary>
    public static readonly TimeSpan FirstRetryInterval = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan MaxRetryInterval = TimeSpan.FromMinutes(1);

    private readonly Dictionary<uint, (ulong OutboundPackets, DateTimeOffset LastSent)> _keepalive = [];
    private readonly Dictionary<string, (DateTimeOffset NextTry, TimeSpan Backoff)> _retry = new(StringComparer.Ordinal);
    private readonly HashSet<string> _heldDown = new(StringComparer.Ordinal);
    private DateTimeOffset _cookieRotatedAt = time.GetUtcNow();

    /// <summary>`s2s terminate CONN`: no more attempts until <see cref="Release"/>.</summary>
    public void HoldDown(string connection) => _heldDown.Add(connection);

    /// <summary>`s2s initiate CONN`: attempts again when it has no IKE SA.</summary>
    public void Release(string connection) => _heldDown.Remove(connection);

    /// <summary>A reload removed the connection.</summary>
    public void Forget(string connection)
    {
        _retry.Remove(connection);
        _heldDown.Remove(connection);
    }

    /// <summary>The timer's step on the engine: connections kept up, the cookie secret rotated when due.</summary>
    public void OnTimer(GatewayConfig config, DateTimeOffset now)
    {
        KeepUp(config, now);
        if (now - _cookieRotatedAt >= CookieSecretLifetime)
        {
            engine.RotateCookieSecret();
            _cookieRotatedAt = now;
        }
    }

    /// <summary>
    /// start_action start means "bring up and keep up": a connection with such children that has no IKE
    /// SA at all (its attempts failed, the peer deleted it, or it died with dpd_action clear) is tried
    /// again, first after <see cref="FirstRetryInterval"/>, then at doubling intervals, as strongSwan does
    /// with keyingtries=%forever. `s2s terminate` holds a connection down until `s2s initiate`.
    /// </summary>
    private void KeepUp(GatewayConfig config, DateTimeOffset now)
    {
        foreach (var c in config.Connections)
        {
            if (_heldDown.Contains(c.Name) || !c.Children.Any(x => x.StartAction == StartAction.Start) ||
                (!c.HasRemoteNames && !c.RemoteAddresses.Any(a => !a.Equals(IPAddress.Any) && !a.Equals(IPAddress.IPv6Any))))
                continue;
            var sas = engine.Sas.Where(s => s.Config.Name == c.Name && s.State != IkeSaState.Destroyed).ToList();
            if (sas.Count > 0)
            {
                if (sas.Exists(s => s.State == IkeSaState.Established))
                    _retry.Remove(c.Name);
                else if (sas.Exists(s => s.IsOriginalInitiator && s.State is (IkeSaState.Connecting or IkeSaState.Authenticating) && engine.Connections.Contains(s.Config)))
                    RideAlong(c);
                continue;
            }
            if (!_retry.TryGetValue(c.Name, out var retry))
            {
                _retry[c.Name] = (now + FirstRetryInterval, FirstRetryInterval);
                continue;
            }
            if (now < retry.NextTry)
                continue;
            Log.Retrying(log, c.Name, retry.Backoff.TotalSeconds);
            foreach (var child in c.Children.Where(x => x.StartAction == StartAction.Start))
                initiate(c, child.Name);
            var backoff = retry.Backoff * 2 < MaxRetryInterval ? retry.Backoff * 2 : MaxRetryInterval;
            _retry[c.Name] = (now + backoff, backoff);
        }
    }

    /// <summary>
    /// An IKE SA of the connection is coming up that another cause started (a trapped packet, `s2s initiate` of one
    /// child) while the connection was down: its start children are queued on it too (the engine skips those already
    /// there), so that they come up with it rather than never, as the keeper stops trying once an SA is up.
    /// </summary>
    private void RideAlong(IkeSaConfig c)
    {
        foreach (var child in c.Children.Where(x => x.StartAction == StartAction.Start))
            engine.Initiate(c.Name, child.Name);
    }

    /// <summary>
    /// RFC 3948 2.3: behind a NAT, a one-octet 0xFF keepalive to the peer's 4500 keeps the NAT's mapping
    /// when neither ESP nor IKE went out for <see cref="KeepaliveInterval"/>.
    /// </summary>
    public void SendKeepalives(DateTimeOffset now)
    {
        var live = new HashSet<uint>();
        foreach (var sa in engine.Sas)
        {
            if (sa.State != IkeSaState.Established || !sa.LocalBehindNat)
                continue;
            live.Add(sa.Id);
            ulong sent = 0;
            foreach (var child in sa.Children)
                sent += kernel.QueryUsage(child.InboundSpi).OutboundPackets;
            if (!_keepalive.TryGetValue(sa.Id, out var last) || last.OutboundPackets != sent)
            {
                _keepalive[sa.Id] = (sent, now);
                continue;
            }
            if (now - last.LastSent < KeepaliveInterval)
                continue;
            io.SendUdp(sa.LocalEndpoint, sa.RemoteEndpoint, UdpEncapsulation.NatKeepalive);
            counters.CountKeepaliveSent();
            _keepalive[sa.Id] = (sent, now);
        }
        foreach (var gone in _keepalive.Keys.Where(k => !live.Contains(k)).ToList())
            _keepalive.Remove(gone);
    }

    private static partial class Log
    {
        [LoggerMessage(3103, LogLevel.Information, "{Connection}: no IKE SA; trying again (start_action start keeps it up; waited {Seconds}s)")]
        public static partial void Retrying(ILogger logger, string connection, double seconds);
    }
}
