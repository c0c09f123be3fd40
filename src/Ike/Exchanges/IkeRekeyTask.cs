using System.Buffers.Binary;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Exchanges;

/// <summary>
/// Rekeys the IKE SA (RFC 7296 1.3.2, 2.18): a CREATE_CHILD_SA exchange on the old SA carrying an IKE
/// proposal with the new SPIs, nonces and a fresh key exchange. The new SA's keys come from
/// SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr) with the old SA's PRF; the Child SAs move to it and
/// the rekey's initiator deletes the old SA. Crossing IKE rekeys keep the SA whose exchange did not
/// have the lowest nonce (2.8.2). A responder with other work under way answers TEMPORARY_FAILURE (2.25).
/// </summary>
internal sealed class IkeRekeyTask(IkeSa sa, bool initiator) : IkeTask(sa, initiator)
{
    private KeyExchange? _keyExchange;
    private byte[] _nonceI = [];
    private byte[] _nonceR = [];
    private ulong _newSpi;
    private Proposal? _chosen;
    private IkeSuite? _suite;
    private byte[] _sharedSecret = [];
    private NotifyType _error;
    private byte[] _errorData = [];
    private IkeRekeyTask? _crossing;
    private bool _crossed;

    /// <summary>The new IKE SA, once keyed.</summary>
    public IkeSa? Created { get; private set; }

    /// <summary>Responder: the peer's rekey is being answered with a new SA.</summary>
    public bool IsAccepted => !IsInitiator && _error == default;

    /// <summary>The peer's rekey that crossed ours, once it has made its new SA.</summary>
    private IkeRekeyTask? Collision => _crossing?.Created is null ? null : _crossing;

    public override TaskType Type => TaskType.IkeRekey;
    public override ExchangeType Exchange => ExchangeType.CreateChildSa;

    public override TaskOutcome Build(OutgoingMessage message) => IsInitiator ? BuildRequest(message) : BuildResponse(message);

    public override TaskOutcome Process(IncomingMessage message) => IsInitiator ? ProcessResponse(message) : ProcessRequest(message);

    private TaskOutcome BuildRequest(OutgoingMessage message)
    {
        if (Sa.State is not (IkeSaState.Established or IkeSaState.Rekeying))
            return TaskOutcome.Failed;
        Sa.State = IkeSaState.Rekeying;
        if (_newSpi == 0)
            _newSpi = Sa.Context.NewSpi();
        var spi = SpiBytes(_newSpi);
        message.Add(new SecurityAssociationPayload([.. Sa.Config.Proposals.Select(p => p.With(p.Number, spi))]));
        _nonceI = Sa.Context.NewNonce();
        message.Add(new NoncePayload(_nonceI));
        _keyExchange ??= KeyExchange.Create((KeyExchangeMethod)Sa.Config.Proposals[0].OfType(TransformType.KeyExchange).First().Id, Sa.Context.Random);
        message.Add(new KeyExchangePayload((ushort)_keyExchange.Method, _keyExchange.PublicValue));
        return TaskOutcome.NeedMore;
    }

    private TaskOutcome ProcessResponse(IncomingMessage response)
    {
        if (InvalidKeRetry.TryFollow(response, Sa.Config.Proposals, ref _keyExchange, Sa.Context.Random))
            return TaskOutcome.Restart;
        if (TemporaryFailureRetry.Refused(response))
        {
            Abort();
            Sa.RekeyAt = TemporaryFailureRetry.RetryAt(Sa);
            return TaskOutcome.Failed;
        }
        if (response.FirstError() is { } error)
            return Fail(error.NotifyType, true, $"peer refused the IKE SA rekey with {error.NotifyType.ToRfcName()}");
        var sa = response.Find<SecurityAssociationPayload>();
        var ke = response.Find<KeyExchangePayload>();
        var nonce = response.Find<NoncePayload>();
        if (sa is null || ke is null || nonce is null || sa.Proposals.Count != 1 || sa.Proposals[0].Spi.Length != 8)
            return Fail(NotifyType.InvalidSyntax, false, "IKE SA rekey response lacks SA, KE, Nonce or an 8-octet SPI");
        var chosen = sa.Proposals[0];
        var offered = Sa.Config.Proposals.Select(p => p.With(p.Number, SpiBytes(_newSpi))).ToList();
        if (ProposalSelection.MatchChoice(offered, chosen) is null || !IkeSuite.TryFromProposal(chosen, out var suite, out var why))
            return Fail(NotifyType.NoProposalChosen, false, $"the responder chose {ProposalKeywords.Format(chosen)} for the IKE SA rekey, which was not offered");
        if (ke.Group != (ushort)suite.KeyExchange || _keyExchange!.Method != suite.KeyExchange)
            return Fail(NotifyType.InvalidKePayload, false, $"the responder's KE group {ke.Group} is not the chosen {suite.KeyExchange}");
        if (!_keyExchange.TryDeriveSharedSecret(ke.Data, out _sharedSecret, out why))
            return Fail(NotifyType.InvalidSyntax, false, why);
        _nonceR = nonce.Data;
        var created = NewSa(originalInitiator: true, _newSpi, BinaryPrimitives.ReadUInt64BigEndian(chosen.Spi), chosen, suite);
        Finish(created);
        return TaskOutcome.Success;
    }

    /// <summary>
    /// RFC 7296 2.8.2: after crossing rekeys, "the SA created with the lowest of the four nonces ... is
    /// redundant and SHOULD be deleted by the endpoint that created it"; the other endpoint deletes the old SA.
    /// </summary>
    private void Finish(IkeSa created)
    {
        if (Collision is { } theirs)
        {
            var oursLowest = CollisionRule.OursIsRedundant(_nonceI, _nonceR, theirs._nonceI, theirs._nonceR);
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
        var rekeying = Sa.Tasks.IsRekeyingIke;
        // RFC 7296 2.25: while other exchanges are changing this SA, the rekey must wait.
        if (Sa.State is not (IkeSaState.Established or IkeSaState.Rekeying) || (Sa.State == IkeSaState.Rekeying && !rekeying) ||
            (!rekeying && Sa.Tasks.HasActiveExchange) || Sa.Children.Exists(c => c.State is ChildSaState.Rekeying or ChildSaState.Deleting))
            return Refuse(NotifyType.TemporaryFailure);
        var sa = request.Find<SecurityAssociationPayload>();
        var ke = request.Find<KeyExchangePayload>();
        var nonce = request.Find<NoncePayload>();
        if (sa is null || ke is null || nonce is null)
            return Refuse(NotifyType.InvalidSyntax);
        var offered = sa.Proposals.Where(p => p.Spi.Length == 8).ToList();
        _chosen = ProposalSelection.Select(Sa.Config.Proposals, offered, []);
        if (_chosen is null || !IkeSuite.TryFromProposal(_chosen, out var suite, out _))
        {
            Sa.Context.Failed(Sa, NotifyType.NoProposalChosen, false,
                $"no IKE proposal chosen for the rekey: peer offered {IkeInitTask.Describe(sa.Proposals)}, configured {IkeInitTask.Describe(Sa.Config.Proposals)}");
            return Refuse(NotifyType.NoProposalChosen);
        }
        _suite = suite;
        _peerSpi = BinaryPrimitives.ReadUInt64BigEndian(offered.First(p => p.Number == _chosen.Number).Spi);
        if (InvalidKeRetry.MustRefuse(ke, suite.KeyExchange, out _errorData))
            return Refuse(NotifyType.InvalidKePayload);
        _keyExchange = KeyExchange.Create(suite.KeyExchange, Sa.Context.Random);
        if (!_keyExchange.TryDeriveSharedSecret(ke.Data, out _sharedSecret, out _))
            return Refuse(NotifyType.InvalidSyntax);
        _nonceI = nonce.Data;
        return TaskOutcome.NeedMore;
    }

    private ulong _peerSpi;

    private TaskOutcome BuildResponse(OutgoingMessage message)
    {
        if (_error != default)
        {
            message.AddNotify(_error, _errorData);
            return TaskOutcome.Failed;
        }
        _newSpi = Sa.Context.NewSpi();
        message.Add(new SecurityAssociationPayload([_chosen!.With(_chosen.Number, SpiBytes(_newSpi))]));
        _nonceR = Sa.Context.NewNonce();
        message.Add(new NoncePayload(_nonceR));
        message.Add(new KeyExchangePayload((ushort)_keyExchange!.Method, _keyExchange.PublicValue));
        var created = NewSa(originalInitiator: false, _peerSpi, _newSpi, _chosen, _suite!);
        Created = created;
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
        return TaskOutcome.Success;
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

    /// <summary>The new SA, keyed as RFC 7296 2.18 says; not yet in the engine's table.</summary>
    private IkeSa NewSa(bool originalInitiator, ulong spiI, ulong spiR, Proposal chosen, IkeSuite suite)
    {
        var created = Sa.Context.NewRekeyedSa(Sa, originalInitiator, originalInitiator ? spiI : spiR);
        created.InitiatorSpi = spiI;
        created.ResponderSpi = spiR;
        created.NonceI = _nonceI;
        created.NonceR = _nonceR;
        created.Proposal = chosen;
        var skeyseed = IkeKeys.ComputeRekeySkeyseed(Sa.Prf, Sa.Keys!.SkD, _sharedSecret, _nonceI, _nonceR);
        created.DeriveKeys(suite, _sharedSecret, skeyseed);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(skeyseed);
        Clear();
        return created;
    }

    private TaskOutcome Refuse(NotifyType notify)
    {
        _error = notify;
        Clear();
        return TaskOutcome.NeedMore;
    }

    private TaskOutcome Fail(NotifyType notify, bool received, string detail)
    {
        Sa.Context.Failed(Sa, notify, received, detail);
        Abort();
        return TaskOutcome.Failed;
    }

    public override void Abort()
    {
        if (IsInitiator && Sa.State == IkeSaState.Rekeying)
            Sa.State = IkeSaState.Established;
        FallBackToCollision();
        Clear();
    }

    private void Clear()
    {
        _keyExchange?.Dispose();
        _keyExchange = null;
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(_sharedSecret);
    }

    private static byte[] SpiBytes(ulong spi)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, spi);
        return b;
    }
}
