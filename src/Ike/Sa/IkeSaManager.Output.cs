using S2SEndpoint.Ike.Diagnostics;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Sa;

/// <summary>
/// What the SAs give out: datagrams to send and events, both taken by the engine's caller; drops counted by
/// reason; failure and fault lines, escaped, cut and limited per source so that no peer floods the log.
/// </summary>
internal sealed partial class IkeSaManager
{
    private readonly List<Datagram> _outgoing = [];
    private readonly List<IkeEvent> _events = [];
    private readonly SourceRateLimiter _peerLines;

    /// <summary>Datagrams dropped before or instead of processing, by reason (for status and tests).</summary>
    public DropCounters<IkeDropReason> Drops { get; } = new();

    /// <summary>Datagrams in and out, retransmits and rekeys, for metrics.</summary>
    public IkeStatistics Statistics { get; } = new();

    public List<Datagram> TakeOutgoing()
    {
        var list = new List<Datagram>(_outgoing);
        _outgoing.Clear();
        Statistics.CountSent(list.Count);
        return list;
    }

    public List<IkeEvent> TakeEvents()
    {
        var list = new List<IkeEvent>(_events);
        _events.Clear();
        return list;
    }

    public void Send(IkeSa sa, byte[] data) => _outgoing.Add(new Datagram(sa.LocalEndpoint, sa.RemoteEndpoint, data));

    /// <summary>Sends back along the path a received datagram came (its destination becomes the source).</summary>
    public void SendTo(Datagram to, byte[] data) => _outgoing.Add(new Datagram(to.Local, to.Remote, data));

    public void Emit(IkeEvent e) => _events.Add(e);

    /// <summary>Counts a dropped datagram under its <paramref name="reason"/> and logs the detail at Debug.</summary>
    public void Drop(IkeSa? sa, Datagram datagram, IkeDropReason reason, string? detail = null)
    {
        Count(reason);
        // Drops are what a flood of forged datagrams produces: their log line is only built when wanted.
        if (!Log.DebugEnabled)
            return;
        var text = SafeText.Clean(detail ?? reason.ToString());
        Log.Dropped(datagram.Remote.ToString(), sa is null ? text : $"{sa}: {text}");
    }

    public void Count(IkeDropReason reason) => Drops.Increment(reason);

    public void Failed(IkeSa sa, NotifyType notify, bool received, string detail)
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
            Count(IkeDropReason.LogLineSuppressed);
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
    public void Fault(IkeSa sa, Exception e, string during)
    {
        Count(IkeDropReason.InternalError);
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
            UnindexByRemoteId(sa);
            sa.DisposeKeys();
            Count(IkeDropReason.InternalError);
        }
    }
}
