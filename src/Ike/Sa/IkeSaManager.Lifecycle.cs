using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Exchanges;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Sa;

/// <summary>
/// The lifecycle of IKE and Child SAs: up (RFC 7296 1.2), Child SAs installed and removed, replaced by a rekey
/// (2.18), deleted, dropped when the peer restarted (2.4, INITIAL_CONTACT) or stopped answering.
/// </summary>
internal sealed partial class IkeSaManager
{
    /// <summary>How long an SA replaced by a rekey waits for the peer's delete before it goes quietly.</summary>
    internal static readonly TimeSpan RekeyedGrace = TimeSpan.FromSeconds(60);

    public void Established(IkeSa sa)
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

    public bool HasOtherEstablished(IkeSa sa) =>
        _sas.Values.Any(s => s != sa && s.Config.Name == sa.Config.Name && s.State == IkeSaState.Established);

    public void PeerAuthenticated(IkeSa sa, Identity id)
    {
        sa.RemoteId = id;
        IndexByRemoteId(sa);
    }

    public void ReplaceOlderSas(IkeSa sa)
    {
        if (!_byRemoteId.TryGetValue(sa.RemoteId!, out var same))
            return;
        foreach (var other in same.Where(o => o != sa && o.Config.Name == sa.Config.Name && IsHeld(o)).ToList())
            Destroy(other, "replaced: the peer restarted (INITIAL_CONTACT)");
    }

    /// <summary>Notes an SA in the table whose peer is authenticated under its identity (INITIAL_CONTACT finds it there).</summary>
    private void IndexByRemoteId(IkeSa sa)
    {
        if (sa.RemoteId is not { } id)
            return;
        if (!_byRemoteId.TryGetValue(id, out var same))
            _byRemoteId[id] = same = [];
        if (!same.Contains(sa))
            same.Add(sa);
    }

    /// <summary>The SA left the table: it leaves its identity's list, with any other that left it.</summary>
    private void UnindexByRemoteId(IkeSa sa)
    {
        if (sa.RemoteId is not { } id || !_byRemoteId.TryGetValue(id, out var same))
            return;
        same.RemoveAll(o => o == sa || !IsHeld(o));
        if (same.Count == 0)
            _byRemoteId.Remove(id);
    }

    private bool IsHeld(IkeSa sa) => _sas.TryGetValue(sa.LocalSpi, out var held) && held == sa;

    public void Installed(IkeSa sa, ChildSa child, ChildSaInstall install, bool rekeyed)
    {
        Kernel.Install(install);
        if (rekeyed)
            Statistics.CountChildRekey();
        sa.Children.Add(child);
        var proposal = ProposalKeywords.Format(child.Proposal);
        var local = string.Join(' ', child.LocalTs);
        var remote = string.Join(' ', child.RemoteTs);
        Log.ChildSaEstablished(sa.Config.Name, sa.Id, child.Config.Name, child.UniqueId, proposal, child.InboundSpi, child.OutboundSpi, local, remote);
        Emit(new ChildSaEstablished(sa.Config.Name, sa.Id, child.Config.Name, child.UniqueId, child.InboundSpi, child.OutboundSpi, proposal, local, remote, rekeyed));
    }

    public void RemoveChild(IkeSa sa, ChildSa child, string reason)
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
            previous.RekeyAt = TemporaryFailureRetry.RetryAt(sa);
        }
        if (child.Superseded)
            Kernel.RemoveSuperseded(child.InboundSpi, child.OutboundSpi);
        else
            Kernel.Remove(child.InboundSpi, child.OutboundSpi);
        Log.ChildSaClosed(sa.Config.Name, sa.Id, child.Config.Name, child.UniqueId, child.InboundSpi, child.OutboundSpi, reason);
        Emit(new ChildSaClosed(sa.Config.Name, sa.Id, child.Config.Name, child.UniqueId, child.InboundSpi, child.OutboundSpi, reason));
    }

    public void Terminate(IkeSa sa)
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

    /// <summary>Removes the SA, its Child SAs from the data plane, and its keys.</summary>
    public void Destroy(IkeSa sa, string reason)
    {
        if (sa.State == IkeSaState.Destroyed)
            return;
        var wasEstablished = sa.State is IkeSaState.Established or IkeSaState.Rekeying or IkeSaState.Rekeyed or IkeSaState.Deleting;
        sa.State = IkeSaState.Destroyed;
        sa.Tasks.AbortAll();
        foreach (var child in sa.Children.ToList())
            RemoveChild(sa, child, reason);
        ReleaseVirtualIps(sa);
        _sas.Remove(sa.LocalSpi);
        UnindexByRemoteId(sa);
        sa.DisposeKeys();
        ReauthAbandoned(sa, reason);
        if (sa.ReauthBy is { } by)
            by.ReauthOf = null;
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
    /// Retransmissions ran out, or a liveness check its dpd_timeout. An SA still connecting tries the next remote
    /// address (active-passive gateways). An established one is dead: with dpd_action restart it is established again
    /// from the first remote address, as strongSwan's reestablish() resolves the configured addresses anew, and each
    /// address that does not answer passes on to the next, in order; after the last the connection stays down (the
    /// gateway keeps start_action start connections trying, with a back-off). The new SA brings back every child
    /// that was up or on its way, and carries INITIAL_CONTACT, so that a peer that kept the old state drops it. A
    /// connection whose remote_addrs name hosts is not established again here: the host is asked to (RestartWanted), which
    /// resolves the names anew first; the engine does no I/O.
    /// </summary>
    public void GiveUp(IkeSa sa, string reason)
    {
        var config = sa.Config;
        var connecting = sa.State is IkeSaState.Connecting or IkeSaState.Authenticating;
        var children = ChildrenOf(sa);
        var established = !connecting;
        var next = sa.RemoteAddressIndex + 1;
        if (sa.ReauthOf is not null)
        {
            // A reauthentication's new SA: the old one is still there, and tries again (no failover, no restart).
            sa.CloseReason = reason;
            Destroy(sa, reason);
            return;
        }
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
        if (connecting && next < RemoteAddressesOf(config).Count)
        {
            StartIkeSa(config, next, children.Count > 0 ? children : config.Children);
            return;
        }
        if (!established || config.DpdAction != DpdAction.Restart)
            return;
        var restart = children.Count > 0 ? children : config.Children;
        if (config.HasRemoteNames)
            Emit(new RestartWanted(config.Name, sa.Id, [.. restart.Select(c => c.Name)]));
        else if (config.RemoteAddresses.Count > 0)
            StartIkeSa(config, 0, restart);
    }

    /// <summary>
    /// The children an SA had up, then those its exchange in flight and its queue were bringing up (the first child of
    /// a new SA rides in IKE_AUTH, so it is in flight, not queued): what a failover or a restart brings back, as
    /// strongSwan's reestablish_children() and adopt_child_tasks().
    /// </summary>
    private static List<ChildSaConfig> ChildrenOf(IkeSa sa)
    {
        var coming = sa.Tasks.ActiveAndQueued.Select(t => t switch { ChildCreateTask c => c.Config, ChildRekeyTask r => r.Old?.Config, _ => null });
        return [.. sa.Children.Select(c => c.Config).Concat(coming.OfType<ChildSaConfig>()).DistinctBy(c => c.Name)];
    }

    public void MarkRekeyed(IkeSa sa)
    {
        sa.State = IkeSaState.Rekeyed;
        if (sa.ExpireAt > Now + RekeyedGrace)
            sa.ExpireAt = Now + RekeyedGrace;
    }

    public void AdoptRekeyed(IkeSa old, IkeSa created)
    {
        Register(created);
        Statistics.CountIkeRekey();
        PassReauthOn(old, created);
        created.Children.AddRange(old.Children);
        old.Children.Clear();
        created.TakeVirtualIpsFrom(old);
        foreach (var task in old.Tasks.TakeQueued())
        {
            if (task is ChildCreateTask { Config: { } config })
                created.Tasks.Queue(new ChildCreateTask(created, true, config));
            else if (task is ChildRekeyTask rekey)
                created.Tasks.Queue(new ChildRekeyTask(created, true, rekey.Old));
            else if (task is ChildDeleteTask delete)
                foreach (var child in delete.Children)
                    created.Tasks.Queue(new ChildDeleteTask(created, true, child));
        }
        var proposal = ProposalKeywords.Format(created.Proposal!);
        Log.IkeSaRekeyed(old.Config.Name, old.Id, created.Id, proposal, created.InitiatorSpi, created.ResponderSpi);
        Emit(new IkeSaEstablished(created.Config.Name, created.Id, created.InitiatorSpi, created.ResponderSpi, proposal, created.RemoteId!, created.NatDetected));
        created.Tasks.Initiate();
    }
}
