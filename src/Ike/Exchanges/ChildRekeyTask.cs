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
    public override ExchangeType Exchange => ExchangeType.CreateChildSa;

    public override TaskOutcome Build(OutgoingMessage message) => IsInitiator ? BuildRequest(message) : BuildResponse(message);

    public override TaskOutcome Process(IncomingMessage message) => IsInitiator ? ProcessResponse(message) : ProcessRequest(message);

    private TaskOutcome BuildRequest(OutgoingMessage message)
    {
        var old = _old!;
        if (!Sa.Children.Contains(old) || old.State != ChildSaState.Installed && old.State != ChildSaState.Rekeying)
            return TaskOutcome.Failed;
        // RFC 7296 1.3.3: REKEY_SA carries the SPI of the SA being rekeyed (ours, inbound, as in Delete).
        old.State = ChildSaState.Rekeying;
        message.Add(new NotifyPayload(NotifyType.RekeySa, [], ProtocolId.Esp, ChildCreateTask.SpiBytes(old.InboundSpi)));
        return _create.Build(message);
    }

    private TaskOutcome ProcessResponse(IncomingMessage response)
    {
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
        return outcome;
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
