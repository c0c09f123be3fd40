using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Exchanges;

/// <summary>
/// Rekeys the IKE SA (RFC 7296 1.3.2, 2.18): a CREATE_CHILD_SA exchange on the old SA in which an
/// <see cref="IkeInitTask"/> negotiates the new one (IKE proposal with the new SPIs, nonces and a fresh key
/// exchange, keys from the old SA's SK_d); the Child SAs move to it and the rekey's initiator deletes the old
/// SA. When both sides rekey at once, the task manager hands ours the peer's, and the SA whose exchange did
/// not have the lowest nonce stays (2.8.2, <see cref="CollisionRule"/>). A responder with other work under
/// way answers TEMPORARY_FAILURE, which is retried after a short delay (2.25).
/// With additional key exchanges (RFC 9370 2.2.4) the new SA comes only after the IKE_FOLLOWUP_KE exchanges; a collision
/// is decided when the CREATE_CHILD_SA response arrives, as strongSwan's ike_rekey.c does: the loser sends no
/// IKE_FOLLOWUP_KE and leaves the peer's rekey to finish, the winner gives up the peer's half-done one and goes on.
/// </summary>
internal sealed class IkeRekeyTask : IkeTask
{
    private readonly IkeInitTask _init;
    private IkeRekeyTask? _crossing;
    private bool _crossed;

    public IkeRekeyTask(IkeSa sa, bool initiator) : base(sa, initiator) => _init = IkeInitTask.ForRekey(sa, initiator);

    /// <summary>The new IKE SA, once keyed.</summary>
    public IkeSa? Created => _init.Created;

    /// <summary>Responder: the peer's rekey is being answered with a new SA.</summary>
    public bool IsAccepted => !IsInitiator && !_init.IsRefused;

    /// <summary>The peer's rekey that crossed ours, once it has made its new SA.</summary>
    private IkeRekeyTask? Collision => _crossing?.Created is null ? null : _crossing;

    public override TaskType Type => TaskType.IkeRekey;
    public override ExchangeType Exchange => _init.Exchange;
    public override byte[]? FollowupLink => _init.FollowupLink;

    public override TaskOutcome Build(OutgoingMessage message) => IsInitiator ? BuildRequest(message) : BuildResponse(message);

    public override TaskOutcome Process(IncomingMessage message) => IsInitiator ? ProcessResponse(message) : ProcessRequest(message);

    private TaskOutcome BuildRequest(OutgoingMessage message)
    {
        if (message.Exchange == ExchangeType.IkeFollowupKe)
            return _init.Build(message);
        if (Sa.State is not (IkeSaState.Established or IkeSaState.Rekeying))
            return TaskOutcome.Failed;
        // A peer's exchange waits for its IKE_FOLLOWUP_KE requests on this SA: the rekey is tried again later.
        if (Sa.Tasks.PendingFollowups.Any())
        {
            Sa.RekeyAt = TemporaryFailureRetry.RetryAt(Sa);
            return TaskOutcome.Failed;
        }
        Sa.State = IkeSaState.Rekeying;
        return _init.Build(message);
    }

    private TaskOutcome ProcessResponse(IncomingMessage response)
    {
        if (response.Header.Exchange == ExchangeType.IkeFollowupKe)
        {
            var last = _init.Process(response);
            if (last == TaskOutcome.Success)
                Finish(_init.Created!);
            else if (last == TaskOutcome.Failed)
                Sa.RekeyAt = TemporaryFailureRetry.RetryAt(Sa);
            return last;
        }
        if (_init.FollowInvalidKe(response))
            return TaskOutcome.Restart;
        if (TemporaryFailureRetry.Refused(response))
        {
            Abort();
            Sa.RekeyAt = TemporaryFailureRetry.RetryAt(Sa);
            return TaskOutcome.Failed;
        }
        var outcome = _init.ProcessResponse(response);
        if (outcome == TaskOutcome.Success)
            Finish(_init.Created!);
        if (outcome == TaskOutcome.NeedMore)
            return SettleCollisionBeforeFollowups();
        return outcome;
    }

    /// <summary>
    /// Our CREATE_CHILD_SA response arrived and IKE_FOLLOWUP_KE exchanges are to follow. A crossing rekey of this SA is
    /// decided now, by the nonces of the two CREATE_CHILD_SA exchanges (RFC 7296 2.8.2, RFC 9370 2.2.4).
    /// </summary>
    private TaskOutcome SettleCollisionBeforeFollowups()
    {
        if (_crossing is not { } theirs)
            return TaskOutcome.NeedMore;
        if (CollisionRule.OursIsRedundant(_init.NonceI, _init.NonceR, theirs._init.NonceI, theirs._init.NonceR))
        {
            // Ours stops before its IKE_FOLLOWUP_KE; the peer's finishes as a plain rekey and the peer deletes this SA.
            Sa.Context.Log.ExchangeFlow(Sa.Config.Name, Sa.Id, "IKE SA rekey collision lost, abandoning our rekey before IKE_FOLLOWUP_KE");
            theirs._crossed = false;
            if (theirs.Created is null)
                _crossing = null;
            // Should the peer's never finish, this SA is rekeyed again later; once replaced it is not.
            Sa.RekeyAt = TemporaryFailureRetry.RetryAt(Sa);
            return TaskOutcome.Failed;
        }
        Sa.Context.Log.ExchangeFlow(Sa.Config.Name, Sa.Id, "IKE SA rekey collision won, going on with IKE_FOLLOWUP_KE");
        if (theirs.Created is null)
        {
            Sa.Tasks.DropFollowup(theirs);
            _crossing = null;
        }
        return TaskOutcome.NeedMore;
    }

    /// <summary>
    /// RFC 7296 2.8.2: after crossing rekeys, "the SA created with the lowest of the four nonces ... is
    /// redundant and SHOULD be deleted by the endpoint that created it"; the other endpoint deletes the old SA.
    /// </summary>
    private void Finish(IkeSa created)
    {
        if (Collision is { } theirs)
        {
            var oursLowest = CollisionRule.OursIsRedundant(_init.NonceI, _init.NonceR, theirs._init.NonceI, theirs._init.NonceR);
            var other = theirs.Created!;
            _crossing = null;
            if (oursLowest)
            {
                // Ours is redundant: keep the peer's, delete ours; the peer deletes the old SA.
                Sa.Context.AdoptRekeyed(Sa, other);
                Sa.Context.Register(created);
                Sa.Context.Terminate(created);
                Sa.Context.MarkRekeyed(Sa);
            }
            else
            {
                // The peer's is redundant and the peer deletes it; we delete the old SA.
                Sa.Context.AdoptRekeyed(Sa, created);
                if (other.State != IkeSaState.Destroyed)
                    Sa.Context.MarkRekeyed(other);
                Sa.Context.Terminate(Sa);
            }
            return;
        }
        Sa.Context.AdoptRekeyed(Sa, created);
        Sa.Context.Terminate(Sa);
    }

    /// <summary>
    /// Our rekey did not complete, but the peer's crossing one did: its SA is the successor, and the peer
    /// deletes the old one (or already has, which is how this SA is going).
    /// </summary>
    private void FallBackToCollision()
    {
        if (Collision?.Created is not { } other || other.State == IkeSaState.Destroyed)
            return;
        _crossing = null;
        Sa.Context.AdoptRekeyed(Sa, other);
        if (Sa.State != IkeSaState.Destroyed)
            Sa.Context.MarkRekeyed(Sa);
    }

    private TaskOutcome ProcessRequest(IncomingMessage request)
    {
        if (request.Header.Exchange == ExchangeType.IkeFollowupKe)
            return _init.Process(request);
        // RFC 9370 2.2.4, as strongSwan: once our own rekey has gone on to IKE_FOLLOWUP_KE, or while another exchange of the
        // peer waits for its follow-ups, the SA is busy.
        if (Sa.Tasks.Active.OfType<IkeRekeyTask>().Any(t => t._init.InFollowup) || Sa.Tasks.PendingFollowups.Any())
            return _init.Refuse(NotifyType.TemporaryFailure, [], "the IKE SA is busy with additional key exchanges");
        var rekeying = Sa.Tasks.IsRekeyingIke;
        // RFC 7296 2.25: while other exchanges are changing this SA, the rekey must wait.
        if (Sa.State is not (IkeSaState.Established or IkeSaState.Rekeying) || (Sa.State == IkeSaState.Rekeying && !rekeying) ||
            (!rekeying && Sa.Tasks.HasActiveExchange) || Sa.Children.Exists(c => c.State is ChildSaState.Rekeying or ChildSaState.Deleting))
            return _init.Refuse(NotifyType.TemporaryFailure, [], "the IKE SA is busy with another exchange");
        return _init.ProcessRequest(request);
    }

    private TaskOutcome BuildResponse(OutgoingMessage message)
    {
        var outcome = _init.Build(message);
        if (_init.Created is not { } created)
            return outcome;
        if (_crossed)
        {
            // Our own rekey is out: the lowest nonce decides which new SA lives (RFC 7296 2.8.2).
            Sa.Context.Register(created);
        }
        else
        {
            Sa.Context.AdoptRekeyed(Sa, created);
            Sa.Context.MarkRekeyed(Sa);
        }
        return outcome;
    }

    /// <summary>
    /// The task manager found the peer's rekey of this IKE SA while ours is out (RFC 7296 2.8.2): ours decides
    /// by the nonces once its response arrives.
    /// </summary>
    public void Collide(IkeRekeyTask theirs)
    {
        _crossing = theirs;
        theirs._crossed = true;
    }

    public override void Abort()
    {
        if (IsInitiator && Sa.State == IkeSaState.Rekeying)
            Sa.State = IkeSaState.Established;
        FallBackToCollision();
        _init.Abort();
    }
}
