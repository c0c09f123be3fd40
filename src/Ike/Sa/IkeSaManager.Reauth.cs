using S2SEndpoint.Ike.Exchanges;

namespace S2SEndpoint.Ike.Sa;

/// <summary>
/// Reauthentication (RFC 7296 2.8.3: "IKEv2 does not have any special support for reauthentication. Reauthentication
/// is done by creating a new IKE SA from scratch ..., creating new Child SAs within the new IKE SA ..., and then
/// deleting the old IKE SA (which deletes all its Child SAs)"), make-before-break as strongSwan's make_before_break:
/// the new SA runs IKE_SA_INIT and a fresh IKE_AUTH (certificates validated again, the PSK proved again), brings up
/// every child the old SA had, each under the same request ID in the data plane so that outbound traffic moves to it
/// as it is installed, and only then is the old SA deleted. Its IKE_AUTH carries no INITIAL_CONTACT (the old SA is
/// still up, <see cref="HasOtherEstablished"/>), which would make the peer drop the old SA before the new Child SAs
/// carry traffic. A new SA that fails leaves the old one as it was, and the reauthentication is tried again later;
/// the old SA's life_time still bounds it. The responder needs nothing of its own: to it, this is a new IKE SA with
/// children, and then a delete of the old one.
/// </summary>
internal sealed partial class IkeSaManager
{
    /// <summary>How long after a failed reauthentication the next is tried (strongSwan retries a failed IKE rekey or reauth after a delay too).</summary>
    internal static readonly TimeSpan ReauthRetry = TimeSpan.FromSeconds(30);

    /// <summary>reauth_time fell due on <paramref name="old"/>: starts its replacement, unless one is already under way.</summary>
    public void Reauthenticate(IkeSa old)
    {
        if (old.State != IkeSaState.Established || old.ReauthBy is { State: not IkeSaState.Destroyed })
            return;
        var children = ChildrenOf(old);
        var created = StartReauth(old, children);
        Log.Reauthenticating(old.Config.Name, old.Id, created.Id, children.Count);
    }

    /// <summary>
    /// Whether <paramref name="sa"/> is a reauthentication's new SA that is up with every child it was to bring: the task
    /// manager asks when it has nothing more to do, and then the old SA goes.
    /// </summary>
    public void CompleteReauthIfDone(IkeSa sa)
    {
        if (sa.ReauthOf is not { } old || sa.State != IkeSaState.Established ||
            sa.Tasks.ActiveAndQueued.Any(t => t is ChildCreateTask or IkeAuthTask or ConfigurationTask))
            return;
        sa.ReauthOf = null;
        if (old.ReauthBy == sa)
            old.ReauthBy = null;
        Statistics.CountIkeReauth();
        Log.IkeSaReauthenticated(sa.Config.Name, old.Id, sa.Id);
        Emit(new IkeSaReauthenticated(sa.Config.Name, old.Id, sa.Id));
        if (old.State is IkeSaState.Destroyed or IkeSaState.Deleting)
            return;
        // The old Child SAs' inbound sides stay open a few seconds for what the peer sent before it saw the delete.
        foreach (var child in old.Children)
            child.Superseded = true;
        old.ReauthAt = DateTimeOffset.MaxValue;
        Terminate(old);
    }

    /// <summary>A reauthentication's new SA went before it completed: the old SA stays and tries again later.</summary>
    private void ReauthAbandoned(IkeSa sa, string reason)
    {
        if (sa.ReauthOf is not { } old)
            return;
        sa.ReauthOf = null;
        if (old.ReauthBy == sa)
            old.ReauthBy = null;
        if (old.State is not (IkeSaState.Established or IkeSaState.Rekeying))
            return;
        var retry = ReauthRetry + SaTimers.Jitter(old, ReauthRetry / 3);
        old.ReauthAt = Now + retry;
        Log.ReauthFailed(old.Config.Name, old.Id, Messages.SafeText.Clean(reason), (int)retry.TotalSeconds);
    }

    /// <summary>
    /// An IKE rekey of either SA of a reauthentication under way: the rekeyed SA takes its place, and the reauth deadline
    /// stays (a rekey proves nothing anew).
    /// </summary>
    private static void PassReauthOn(IkeSa old, IkeSa created)
    {
        SaTimers.InheritReauth(old, created);
        if (old.ReauthBy is { } by)
        {
            by.ReauthOf = created;
            created.ReauthBy = by;
            old.ReauthBy = null;
        }
        if (old.ReauthOf is { } of)
        {
            of.ReauthBy = created;
            created.ReauthOf = of;
            old.ReauthOf = null;
        }
    }
}
