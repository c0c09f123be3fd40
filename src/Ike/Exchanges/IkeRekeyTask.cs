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
    private (IkeSa Sa, byte[] Ni, byte[] Nr)? _collision;

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
        if (response.FindNotify(NotifyType.InvalidKePayload) is { Data.Length: 2 } invalidKe)
        {
            var group = (KeyExchangeMethod)BinaryPrimitives.ReadUInt16BigEndian(invalidKe.Data);
            if (group != _keyExchange?.Method && Sa.Config.Proposals.Any(p => p.OfType(TransformType.KeyExchange).Any(t => t.Id == (ushort)group)))
            {
                _keyExchange?.Dispose();
                _keyExchange = KeyExchange.Create(group, Sa.Context.Random);
                return TaskOutcome.Restart;
            }
        }
        if (response.FindNotify(NotifyType.TemporaryFailure) is not null)
        {
            // RFC 7296 2.25: retry "after a short random delay".
            Abort();
            Sa.RekeyAt = Sa.Context.Now + TimeSpan.FromSeconds(5) + SaTimers.Jitter(Sa, TimeSpan.FromSeconds(10));
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
        if (_collision is { } other)
        {
            var oursLowest = CollisionRule.OursIsRedundant(_nonceI, _nonceR, other.Ni, other.Nr);
            _collision = null;
            if (oursLowest)
            {
                // Ours is redundant: keep the peer's, delete ours; the peer deletes the old SA.
                Sa.Context.AdoptRekeyed(Sa, other.Sa);
                Sa.Context.Register(created);
                Sa.Context.Terminate(created);
                Sa.Context.MarkRekeyed(Sa);
            }
            else
            {
                // The peer's is redundant and the peer deletes it; we delete the old SA.
                Sa.Context.AdoptRekeyed(Sa, created);
                if (other.Sa.State != IkeSaState.Destroyed)
                    Sa.Context.MarkRekeyed(other.Sa);
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
        if (_collision is not { } other || other.Sa.State == IkeSaState.Destroyed)
            return;
        _collision = null;
        Sa.Context.AdoptRekeyed(Sa, other.Sa);
        if (Sa.State != IkeSaState.Destroyed)
            Sa.Context.MarkRekeyed(Sa);
    }

    private TaskOutcome ProcessRequest(IncomingMessage request)
    {
        var mine = Sa.Tasks.ActiveIkeRekey();
        // RFC 7296 2.25: while other exchanges are changing this SA, the rekey must wait.
        if (Sa.State is not (IkeSaState.Established or IkeSaState.Rekeying) || (Sa.State == IkeSaState.Rekeying && mine is null) ||
            (mine is null && Sa.Tasks.HasActiveExchange) || Sa.Children.Exists(c => c.State is ChildSaState.Rekeying or ChildSaState.Deleting))
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
        if (ke.Group != (ushort)suite.KeyExchange)
        {
            _errorData = new byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(_errorData, (ushort)suite.KeyExchange);
            return Refuse(NotifyType.InvalidKePayload);
        }
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
        if (Sa.Tasks.ActiveIkeRekey() is { } mine)
        {
            // Our own rekey is out: the lowest nonce decides which new SA lives (RFC 7296 2.8.2).
            Sa.Context.Register(created);
            mine.Collide(created, _nonceI, _nonceR);
        }
        else
        {
            Sa.Context.AdoptRekeyed(Sa, created);
            Sa.Context.MarkRekeyed(Sa);
        }
        return TaskOutcome.Success;
    }

    public void Collide(IkeSa created, byte[] ni, byte[] nr) => _collision = (created, ni, nr);

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
