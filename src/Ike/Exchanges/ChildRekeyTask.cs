using System.Buffers.Binary;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Exchanges;

/// <summary>
/// Rekeys a Child SA (RFC 7296 1.3.3, 2.8): a <see cref="ChildCreateTask"/> for the new SA, its request led by
/// REKEY_SA naming the old one, then a <see cref="ChildDeleteTask"/> for the old SA once the new one is
/// installed both ways. When two rekeys of the same SA cross, the task manager hands ours the peer's, and the
/// lowest nonce decides which new SA is redundant (2.8.1, <see cref="CollisionRule"/>). A TEMPORARY_FAILURE
/// is retried after a short delay (2.25).
/// With additional key exchanges (RFC 9370 2.2.4) the new SA comes only after the IKE_FOLLOWUP_KE exchanges. A collision
/// is then decided when the CREATE_CHILD_SA response arrives, as strongSwan's child_rekey.c does: the loser sends no
/// IKE_FOLLOWUP_KE and leaves the peer's rekey to finish, the winner gives up the peer's half-done one and goes on. A
/// rekey of the SA that the peer asks for once ours has gone on to IKE_FOLLOWUP_KE, or while the peer's own is still
/// waiting for its follow-ups, is answered TEMPORARY_FAILURE.
/// </summary>
internal sealed class ChildRekeyTask : IkeTask
{
    private readonly ChildCreateTask _create;
    private ChildSa? _old;
    private ChildRekeyTask? _crossing;
    private bool _crossed;

    public ChildRekeyTask(IkeSa sa, bool initiator, ChildSa? old) : base(sa, initiator)
    {
        _old = old;
        _create = new ChildCreateTask(sa, initiator, old?.Config) { Replaces = old };
    }

    /// <summary>The peer's rekey that crossed ours, once it has made its new SA.</summary>
    private ChildRekeyTask? Collision => _crossing?._create.Created is null ? null : _crossing;

    /// <summary>The Child SA being rekeyed (the responder knows it once it has read REKEY_SA).</summary>
    public ChildSa? Old => _old;

    /// <summary>Responder: the peer's rekey of <see cref="Old"/> is being answered with a new SA.</summary>
    public bool IsAccepted => !IsInitiator && _old is not null && !_create.IsRefused;

    public override TaskType Type => TaskType.ChildRekey;
    public override ExchangeType Exchange => _create.Exchange;
    public override byte[]? FollowupLink => _create.FollowupLink;

    /// <summary>Our rekey has gone on to IKE_FOLLOWUP_KE exchanges.</summary>
    public bool InFollowup => _create.InFollowup;

    public override TaskOutcome Build(OutgoingMessage message) => IsInitiator ? BuildRequest(message) : BuildResponse(message);

    public override TaskOutcome Process(IncomingMessage message) => IsInitiator ? ProcessResponse(message) : ProcessRequest(message);

    private TaskOutcome BuildRequest(OutgoingMessage message)
    {
        if (message.Exchange == ExchangeType.IkeFollowupKe)
            return _create.Build(message);
        var old = _old!;
        if (!Sa.Children.Contains(old) || old.State != ChildSaState.Installed && old.State != ChildSaState.Rekeying)
            return TaskOutcome.Failed;
        // The peer's rekey of this SA waits for its IKE_FOLLOWUP_KE requests: ours would collide with it past the point
        // where a collision is decided. Ours is tried again later, when the peer's is done or given up.
        if (Sa.Tasks.PendingFollowups.OfType<ChildRekeyTask>().Any(t => t._old == old))
        {
            old.RekeyAt = TemporaryFailureRetry.RetryAt(Sa);
            return TaskOutcome.Failed;
        }
        // RFC 7296 1.3.3: REKEY_SA carries the SPI of the SA being rekeyed (ours, inbound, as in Delete).
        old.State = ChildSaState.Rekeying;
        message.Add(new NotifyPayload(NotifyType.RekeySa, [], ProtocolId.Esp, ChildCreateTask.SpiBytes(old.InboundSpi)));
        return _create.Build(message);
    }

    private TaskOutcome ProcessResponse(IncomingMessage response)
    {
        if (response.Header.Exchange == ExchangeType.IkeFollowupKe)
        {
            var last = _create.Process(response);
            if (last == TaskOutcome.Success)
                DeleteOldOrRedundant();
            else if (last == TaskOutcome.Failed && Collision is null)
                _old!.RekeyAt = TemporaryFailureRetry.RetryAt(Sa);
            return last;
        }
        if (_create.FollowInvalidKe(response))
            return TaskOutcome.Restart;
        if (TemporaryFailureRetry.Refused(response))
        {
            Abort();
            _old!.RekeyAt = TemporaryFailureRetry.RetryAt(Sa);
            return TaskOutcome.Failed;
        }
        var outcome = _create.ProcessResponse(response);
        if (outcome == TaskOutcome.Success)
            DeleteOldOrRedundant();
        if (outcome == TaskOutcome.NeedMore)
            return SettleCollisionBeforeFollowups();
        return outcome;
    }

    /// <summary>
    /// Our CREATE_CHILD_SA response arrived and IKE_FOLLOWUP_KE exchanges are to follow. A crossing rekey of the same SA
    /// is decided now, by the nonces of the two CREATE_CHILD_SA exchanges (RFC 7296 2.8.1, RFC 9370 2.2.4): the
    /// redundant rekey is the one that stops.
    /// </summary>
    private TaskOutcome SettleCollisionBeforeFollowups()
    {
        if (_crossing is not { } theirs)
            return TaskOutcome.NeedMore;
        var name = $"CHILD_SA {_old!.Config.Name}{{{_old.UniqueId}}}";
        if (CollisionRule.OursIsRedundant(_create.NonceI, _create.NonceR, theirs._create.NonceI, theirs._create.NonceR))
        {
            // Ours stops before its IKE_FOLLOWUP_KE; the peer's finishes as a plain rekey and the peer deletes the old SA.
            Sa.Context.Log.ExchangeFlow(Sa.Config.Name, Sa.Id, $"{name} rekey collision lost, abandoning our rekey before IKE_FOLLOWUP_KE");
            theirs._crossed = false;
            if (theirs._create.Created is null)
                _crossing = null;
            // Should the peer's never finish (given up, refused), the old SA is rekeyed again later; once replaced it is not.
            _old.RekeyAt = TemporaryFailureRetry.RetryAt(Sa);
            return TaskOutcome.Failed;
        }
        Sa.Context.Log.ExchangeFlow(Sa.Config.Name, Sa.Id, $"{name} rekey collision won, going on with IKE_FOLLOWUP_KE");
        if (theirs._create.Created is null)
        {
            // The peer stops before its IKE_FOLLOWUP_KE: its half-done rekey goes.
            Sa.Tasks.DropFollowup(theirs);
            _crossing = null;
        }
        return TaskOutcome.NeedMore;
    }

    /// <summary>
    /// The new SA is up in both directions: the old one goes. After a collision (RFC 7296 2.8.1) "the SA
    /// created with the lowest of the four nonces used in the two exchanges is redundant and SHOULD be
    /// deleted by the endpoint that created it"; the other endpoint deletes the old SA.
    /// </summary>
    private void DeleteOldOrRedundant()
    {
        var old = _old!;
        var created = _create.Created!;
        if (Collision is { } theirs && CollisionRule.OursIsRedundant(_create.NonceI, _create.NonceR, theirs._create.NonceI, theirs._create.NonceR))
        {
            // The peer's SA won. Ours goes, and our traffic goes back to the old SA, which the peer still
            // accepts (it keeps a deleted SA's inbound side a few seconds); when the peer's delete of the old
            // SA arrives, the peer's SA, which it has up by then, takes over.
            var winner = theirs._create.Created!;
            old.State = ChildSaState.Rekeyed;
            old.Superseded = true;
            created.Superseded = true;
            if (Sa.Children.Contains(old))
            {
                Sa.Context.Kernel.ActivateOutbound(old.InboundSpi);
            }
            else if (Sa.Children.Contains(winner))
            {
                // The peer already deleted the old SA (its delete overtook our response): its SA now.
                winner.OutboundPending = false;
                winner.Replaces = null;
                Sa.Context.Kernel.ActivateOutbound(winner.InboundSpi);
            }
            Sa.Tasks.Queue(new ChildDeleteTask(Sa, true, created));
            return;
        }
        // Ours won a collision: the peer's SA is the redundant one, and it will never carry our traffic.
        if (Collision is { } loser)
        {
            var redundant = loser._create.Created!;
            redundant.OutboundPending = false;
            redundant.Replaces = null;
            redundant.Superseded = true;
        }
        if (Sa.Children.Contains(old))
        {
            old.State = ChildSaState.Rekeyed;
            old.Superseded = true;
            Sa.Tasks.Queue(new ChildDeleteTask(Sa, true, old));
        }
    }

    /// <summary>
    /// The task manager found the peer's rekey of the SA this task is rekeying while our request is out
    /// (RFC 7296 2.8.1): ours decides by the nonces once its response arrives.
    /// </summary>
    public void Collide(ChildRekeyTask theirs)
    {
        _crossing = theirs;
        theirs._crossed = true;
    }

    private TaskOutcome ProcessRequest(IncomingMessage request)
    {
        if (request.Header.Exchange == ExchangeType.IkeFollowupKe)
        {
            // The old SA went while the peer's additional key exchanges ran: there is nothing left to replace.
            if (!Sa.Children.Contains(_old!))
            {
                _create.Refuse(NotifyType.ChildSaNotFound, $"peer goes on rekeying CHILD_SA {_old!.OutboundSpi:x8}, which is gone", quiet: true);
                return TaskOutcome.NeedMore;
            }
            return _create.Process(request);
        }
        if (!_create.Admit(request, out _))
            return TaskOutcome.NeedMore;
        var rekey = request.FindNotify(NotifyType.RekeySa)!;
        var spi = rekey.Spi.Length == 4 ? BinaryPrimitives.ReadUInt32BigEndian(rekey.Spi) : 0;
        _old = Sa.Children.Find(c => c.OutboundSpi == spi);
        // RFC 7296 2.25: a rekey of an SA that does not exist gets CHILD_SA_NOT_FOUND; of one the
        // responder is closing, TEMPORARY_FAILURE.
        if (_old is null)
        {
            _create.Refuse(NotifyType.ChildSaNotFound, $"peer rekeys unknown CHILD_SA {spi:x8}", quiet: true);
            return TaskOutcome.NeedMore;
        }
        if (_old.State is ChildSaState.Rekeyed or ChildSaState.Deleting)
        {
            _create.Refuse(NotifyType.TemporaryFailure, $"peer rekeys CHILD_SA {spi:x8}, which is being replaced or closed", quiet: true);
            return TaskOutcome.NeedMore;
        }
        // RFC 9370 2.2.4, as strongSwan: once our own rekey of it has gone on to IKE_FOLLOWUP_KE, or while the peer's own
        // earlier rekey of it waits for its follow-ups, the SA is busy.
        var old = _old;
        if (Sa.Tasks.Active.OfType<ChildRekeyTask>().Any(t => t._old == old && t.InFollowup) ||
            Sa.Tasks.PendingFollowups.OfType<ChildRekeyTask>().Any(t => t._old == old))
        {
            _create.Refuse(NotifyType.TemporaryFailure, $"peer rekeys CHILD_SA {spi:x8} while a rekey of it runs its additional key exchanges", quiet: true);
            return TaskOutcome.NeedMore;
        }
        _create.Replaces = _old;
        return _create.Negotiate(request, inAuth: false);
    }

    private TaskOutcome BuildResponse(OutgoingMessage message)
    {
        var outcome = _create.Build(message);
        if (_create.Created is not null)
        {
            // Crossing our own rekey of it, the old SA stays ours to settle; else the peer deletes it.
            if (!_crossed)
                _old!.State = ChildSaState.Rekeyed;
            _old!.Superseded = true;
        }
        return outcome;
    }

    public override void Abort()
    {
        // If the peer's crossing rekey of the same SA went through, that new SA replaces the old one, and
        // the peer deletes the old one; otherwise the old SA simply stays.
        if (IsInitiator && _old!.State == ChildSaState.Rekeying)
        {
            _old.State = Collision is not null ? ChildSaState.Rekeyed : ChildSaState.Installed;
            _old.Superseded = Collision is not null;
        }
        _create.Abort();
    }
}
