using System.Buffers.Binary;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Exchanges;

/// <summary>
/// IKE_SA_INIT (RFC 7296 1.2): proposals, key exchange and nonces; the initiator's retries after
/// INVALID_KE_PAYLOAD (1.2, 3.10.1) and COOKIE (2.6); IKEV2_FRAGMENTATION_SUPPORTED (RFC 7383 2.3) and
/// SIGNATURE_HASH_ALGORITHMS (RFC 7427 4). Ends with the keys of the IKE SA derived (2.14).
/// An <see cref="IkeRekeyTask"/> runs the same negotiation for the SA that replaces its own (1.3.2, 2.18):
/// the proposals carry the new SPIs, both sides send fresh nonces, and the new SA's keys come from the old
/// SA's SK_d; it has no cookies or capabilities, and it is not the first exchange of an SA. A rekey whose proposal has
/// additional key exchanges runs them in IKE_FOLLOWUP_KE exchanges (RFC 9370 2.2.4, <see cref="FollowupKeyExchanges"/>),
/// and the new SA is made only after the last one.
/// </summary>
internal sealed class IkeInitTask : IkeTask
{
    /// <summary>How often an initiator follows COOKIE or INVALID_KE_PAYLOAD before it gives up.</summary>
    private const int MaxRetries = 3;

    private readonly bool _rekey;
    private KeyExchange? _keyExchange;
    private Proposal? _chosen;
    private IkeSuite? _suite;
    private byte[] _sharedSecret = [];
    private byte[]? _cookie;
    private int _retries;

    // A rekey keeps the new SA's SPIs and nonces until the SA exists; a rekey's responder refuses in its response.
    private ulong _spi;
    private ulong _peerSpi;
    private byte[] _nonceI = [];
    private byte[] _nonceR = [];
    private NotifyType _error;
    private byte[] _errorData = [];
    private FollowupKeyExchanges? _followup;

    public IkeInitTask(IkeSa sa, bool initiator) : this(sa, initiator, rekey: false)
    {
    }

    private IkeInitTask(IkeSa sa, bool initiator, bool rekey) : base(sa, initiator) => _rekey = rekey;

    /// <summary>The negotiation of the SA that replaces <paramref name="sa"/>, inside its CREATE_CHILD_SA exchange.</summary>
    public static IkeInitTask ForRekey(IkeSa sa, bool initiator) => new(sa, initiator, rekey: true);

    /// <summary>A rekey's new IKE SA, keyed (RFC 7296 2.18) and not yet in the table.</summary>
    public IkeSa? Created { get; private set; }

    public byte[] NonceI => _rekey ? _nonceI : Sa.NonceI;
    public byte[] NonceR => _rekey ? _nonceR : Sa.NonceR;

    /// <summary>A rekey's responder refused the request; the response carries the error notify.</summary>
    public bool IsRefused => _error != default;

    public override TaskType Type => TaskType.IkeInit;
    public override ExchangeType Exchange => !_rekey ? ExchangeType.IkeSaInit : InFollowup ? ExchangeType.IkeFollowupKe : ExchangeType.CreateChildSa;

    /// <summary>A rekey's CREATE_CHILD_SA exchange is done and its additional key exchanges run in IKE_FOLLOWUP_KE (RFC 9370 2.2.4).</summary>
    public bool InFollowup => _followup is not null;

    public override byte[]? FollowupLink => IsInitiator ? null : _followup?.Link;

    public override TaskOutcome Build(OutgoingMessage message)
    {
        if (!_rekey && message.Exchange != ExchangeType.IkeSaInit)
            return TaskOutcome.Success;
        if (message.Exchange == ExchangeType.IkeFollowupKe)
            return IsInitiator ? BuildFollowupRequest(message) : BuildFollowupResponse(message);
        return IsInitiator ? BuildRequest(message) : BuildResponse(message);
    }

    private TaskOutcome BuildFollowupRequest(OutgoingMessage message)
    {
        _followup!.BuildRequest(message, Sa.Context.Random);
        return TaskOutcome.NeedMore;
    }

    /// <summary>Rekey responder: the KE payload, new link data while more are to come; after the last, the new SA.</summary>
    private TaskOutcome BuildFollowupResponse(OutgoingMessage message)
    {
        if (_error != default || _followup is null)
        {
            message.AddNotify(_error == default ? NotifyType.InvalidSyntax : _error, _errorData);
            return TaskOutcome.Failed;
        }
        _followup.BuildResponse(message, Sa.Context.Random);
        if (_followup.Pending)
            return TaskOutcome.NeedMore;
        Created = NewSa(originalInitiator: false, _peerSpi, _spi, _chosen!, _suite!);
        return TaskOutcome.Success;
    }

    private TaskOutcome BuildRequest(OutgoingMessage message)
    {
        IReadOnlyList<Proposal> proposals;
        byte[] nonce;
        if (_rekey)
        {
            if (_spi == 0)
                _spi = Sa.Context.NewSpi();
            proposals = Offered();
            nonce = _nonceI = Sa.Context.NewNonce();
            _keyExchange ??= KeyExchange.Create(FirstGroup(), Sa.Context.Random);
        }
        else
        {
            if (_cookie is not null)
                message.AddNotify(NotifyType.Cookie, _cookie);
            proposals = Sa.Config.Proposals;
            _keyExchange ??= KeyExchange.Create(FirstGroup(), Sa.Context.Random);
            if (Sa.NonceI.Length == 0)
                Sa.NonceI = Sa.Context.NewNonce();
            nonce = Sa.NonceI;
        }
        message.Add(new SecurityAssociationPayload(proposals));
        message.Add(new KeyExchangePayload((ushort)_keyExchange.Method, _keyExchange.PublicValue));
        message.Add(new NoncePayload(nonce));
        if (!_rekey)
            AddCapabilities(message);
        return TaskOutcome.NeedMore;
    }

    private KeyExchangeMethod FirstGroup() => (KeyExchangeMethod)Sa.Config.Proposals[0].OfType(TransformType.KeyExchange).First().Id;

    /// <summary>Our proposals as sent: a rekey's carry the new SA's SPI (RFC 7296 1.3.2).</summary>
    private List<Proposal> Offered() =>
        _rekey ? [.. Configured().Select(p => p.With(p.Number, SpiBytes(_spi)))] : [.. Sa.Config.Proposals];

    /// <summary>Our proposals for this negotiation: as configured, for a rekey too (its additional key exchanges run in IKE_FOLLOWUP_KE).</summary>
    private IReadOnlyList<Proposal> Configured() => Sa.Config.Proposals;

    private TaskOutcome BuildResponse(OutgoingMessage message)
    {
        if (_error != default)
        {
            message.AddNotify(_error, _errorData);
            return TaskOutcome.Failed;
        }
        // The keys are derived here, once our SPI and nonce are fixed.
        if (_rekey)
            _spi = Sa.Context.NewSpi();
        var nonce = Sa.Context.NewNonce();
        message.Add(new SecurityAssociationPayload([_rekey ? _chosen!.With(_chosen.Number, SpiBytes(_spi)) : _chosen!]));
        message.Add(new KeyExchangePayload((ushort)_keyExchange!.Method, _keyExchange.PublicValue));
        message.Add(new NoncePayload(nonce));
        if (_rekey)
        {
            _nonceR = nonce;
            if (_followup is not null)
            {
                // RFC 9370 2.2.4: the additional key exchanges follow in IKE_FOLLOWUP_KE requests that return this link data.
                _followup.NewLink(Sa.Context.Random);
                message.AddNotify(NotifyType.AdditionalKeyExchange, _followup.Link);
                return TaskOutcome.NeedMore;
            }
            Created = NewSa(originalInitiator: false, _peerSpi, _spi, _chosen!, _suite!);
            return TaskOutcome.Success;
        }
        Sa.NonceR = nonce;
        AddCapabilities(message);
        Sa.Proposal = _chosen;
        Sa.DeriveKeys(_suite!, _sharedSecret);
        Clear();
        Sa.State = IkeSaState.Authenticating;
        return TaskOutcome.Success;
    }

    private void AddCapabilities(OutgoingMessage message)
    {
        if (Sa.Config.Fragmentation && (IsInitiator || Sa.PeerSupportsFragmentation))
            message.AddNotify(NotifyType.Ikev2FragmentationSupported);
        AuthCapabilities.AddToInit(Sa, message, IsInitiator);
    }

    public override TaskOutcome Process(IncomingMessage message)
    {
        if (!_rekey && message.Header.Exchange != ExchangeType.IkeSaInit)
            return TaskOutcome.Success;
        if (message.Header.Exchange == ExchangeType.IkeFollowupKe)
            return IsInitiator ? ProcessFollowupResponse(message) : ProcessFollowupRequest(message);
        if (!IsInitiator)
            return ProcessRequest(message);
        return _rekey && FollowInvalidKe(message) ? TaskOutcome.Restart : ProcessResponse(message);
    }

    /// <summary>Responder: selects a proposal (in our configured order) and answers the peer's key exchange.</summary>
    public TaskOutcome ProcessRequest(IncomingMessage request)
    {
        if (!_rekey)
        {
            Sa.InitRequest = request.Raw.ToArray();
            Sa.PeerSupportsFragmentation = request.FindNotify(NotifyType.Ikev2FragmentationSupported) is not null;
            AuthCapabilities.ReadInit(Sa, request);
        }
        var sa = request.Find<SecurityAssociationPayload>();
        var ke = request.Find<KeyExchangePayload>();
        var nonce = request.Find<NoncePayload>();
        if (sa is null || ke is null || nonce is null)
            return Refuse(NotifyType.InvalidSyntax, [], "IKE_SA_INIT request lacks SA, KE or Nonce");
        var offered = _rekey ? sa.Proposals.Where(p => p.Spi.Length == 8).ToList() : sa.Proposals;
        _chosen = ProposalSelection.Select(Configured(), offered, []);
        if (_chosen is null || !IkeSuite.TryFromProposal(_chosen, out var suite, out _))
        {
            Sa.Context.Failed(Sa, NotifyType.NoProposalChosen, false,
                $"no IKE proposal chosen{(_rekey ? " for the rekey" : "")}: peer offered {Describe(sa.Proposals)}, configured {Describe(Configured())}");
            return Refuse(NotifyType.NoProposalChosen, [], "no acceptable IKE proposal");
        }
        // RFC 9370 2.2.2 runs additional key exchanges in IKE_INTERMEDIATE, which the initiator must announce (RFC 9242 3);
        // strongSwan refuses such a request too.
        if (!_rekey && ProposalSelection.HasAdditionalKeyExchanges(_chosen) && request.FindNotify(NotifyType.IntermediateExchangeSupported) is null)
        {
            var why = $"peer proposes additional key exchanges without INTERMEDIATE_EXCHANGE_SUPPORTED: chosen {ProposalKeywords.Format(_chosen)}";
            Sa.Context.Failed(Sa, NotifyType.NoProposalChosen, false, why);
            return Refuse(NotifyType.NoProposalChosen, [], why);
        }
        _suite = suite;
        if (_rekey)
            _peerSpi = BinaryPrimitives.ReadUInt64BigEndian(offered.First(p => p.Number == _chosen.Number).Spi);
        if (InvalidKeRetry.MustRefuse(ke, suite.KeyExchange, out var data))
            return Refuse(NotifyType.InvalidKePayload, data, $"peer sent KE group {ke.Group}, selected {suite.KeyExchange}", quiet: true);
        _keyExchange = KeyExchange.Create(suite.KeyExchange, Sa.Context.Random);
        if (!_keyExchange.TryDeriveSharedSecret(ke.Data, out _sharedSecret, out var reason))
            return Refuse(NotifyType.InvalidSyntax, [], reason);
        if (_rekey)
        {
            _nonceI = nonce.Data;
            var additional = ProposalSelection.AdditionalKeyExchanges(_chosen);
            if (additional.Count > 0)
                _followup = new FollowupKeyExchanges(additional);
        }
        else
        {
            Sa.NonceI = nonce.Data;
        }
        return TaskOutcome.NeedMore;
    }

    /// <summary>Rekey responder: the initiator's KE payload of the next additional key exchange (the task manager matched the link data).</summary>
    private TaskOutcome ProcessFollowupRequest(IncomingMessage request)
    {
        if (_followup is null || _error != default)
            return TaskOutcome.NeedMore;
        if (!_followup.TryProcessRequest(request, Sa.Context.Random, out var why))
        {
            Sa.Context.Failed(Sa, NotifyType.InvalidSyntax, false, $"IKE SA rekey: {why}");
            return Refuse(NotifyType.InvalidSyntax, [], why);
        }
        return TaskOutcome.NeedMore;
    }

    /// <summary>
    /// Rekey initiator: the responder's KE payload of one additional key exchange; after the last, the new SA. An error or a
    /// bad KE abandons it and the old SA lives on.
    /// </summary>
    private TaskOutcome ProcessFollowupResponse(IncomingMessage response)
    {
        var followup = _followup!;
        var what = $"additional key exchange {followup.Number} ({followup.Current}) of the IKE SA rekey";
        if (response.FirstError() is { } error)
            return Fail(error.NotifyType, true, $"peer answered IKE_FOLLOWUP_KE for {what} with {error.NotifyType.ToRfcName()}");
        if (!followup.TryProcessResponse(response, out var why))
            return Fail(NotifyType.InvalidSyntax, false, why);
        if (followup.Pending)
        {
            if (!followup.TryTakeLink(response))
                return Fail(NotifyType.InvalidSyntax, false, $"IKE_FOLLOWUP_KE response for {what} lacks the ADDITIONAL_KEY_EXCHANGE notify, and more are to come");
            return TaskOutcome.NeedMore;
        }
        Created = NewSa(originalInitiator: true, _spi, _peerSpi, _chosen!, _suite!);
        return TaskOutcome.Success;
    }

    /// <summary>Initiator: a response asking for another group that was offered starts the exchange over with it.</summary>
    public bool FollowInvalidKe(IncomingMessage response) =>
        InvalidKeRetry.TryFollow(response, Sa.Config.Proposals, ref _keyExchange, Sa.Context.Random);

    /// <summary>Initiator: checks the responder's choice and key exchange, and derives the keys.</summary>
    public TaskOutcome ProcessResponse(IncomingMessage response)
    {
        if (!_rekey && response.FindNotify(NotifyType.Cookie) is { } cookie)
        {
            // RFC 7296 2.6: retry "with the same nonce and the COOKIE notification as the first payload".
            if (++_retries > MaxRetries || cookie.Data.Length is < 1 or > 64)
                return Fail(NotifyType.Cookie, true, "the responder keeps asking for cookies");
            _cookie = cookie.Data;
            return TaskOutcome.Restart;
        }
        if (!_rekey && response.FindNotify(NotifyType.InvalidKePayload) is { } invalidKe)
        {
            if (++_retries > MaxRetries || !FollowInvalidKe(response))
                return Fail(NotifyType.InvalidKePayload, true, $"the responder asks for key exchange {InvalidKeRetry.RequestedGroup(invalidKe)}, which was not offered");
            return TaskOutcome.Restart;
        }
        if (response.FirstError() is { } error)
        {
            var detail = _rekey ? $"peer refused the IKE SA rekey with {error.NotifyType.ToRfcName()}"
                : error.NotifyType == NotifyType.NoProposalChosen ? $"peer refused our IKE proposals ({Describe(Sa.Config.Proposals)}) with NO_PROPOSAL_CHOSEN"
                : $"peer answered IKE_SA_INIT with {error.NotifyType.ToRfcName()}";
            return Fail(error.NotifyType, true, detail);
        }
        var sa = response.Find<SecurityAssociationPayload>();
        var ke = response.Find<KeyExchangePayload>();
        var nonce = response.Find<NoncePayload>();
        if (sa is null || ke is null || nonce is null || sa.Proposals.Count != 1 || (_rekey ? sa.Proposals[0].Spi.Length != 8 : response.Header.ResponderSpi == 0))
            return Fail(NotifyType.InvalidSyntax, false, _rekey ? "IKE SA rekey response lacks SA, KE, Nonce or an 8-octet SPI" : "IKE_SA_INIT response lacks SA, KE, Nonce or a responder SPI");
        var chosen = sa.Proposals[0];
        if (ProposalSelection.MatchChoice(Offered(), chosen) is null || !IkeSuite.TryFromProposal(chosen, out var suite, out var why))
            return Fail(NotifyType.NoProposalChosen, false, $"the responder chose {ProposalKeywords.Format(chosen)}{(_rekey ? " for the IKE SA rekey" : "")}, which was not offered");
        if (ke.Group != (ushort)suite.KeyExchange || _keyExchange!.Method != suite.KeyExchange)
            return Fail(NotifyType.InvalidKePayload, false, $"the responder's KE group {ke.Group} is not the chosen {suite.KeyExchange}");
        if (!_keyExchange.TryDeriveSharedSecret(ke.Data, out _sharedSecret, out why))
            return Fail(NotifyType.InvalidSyntax, false, why);
        if (_rekey)
        {
            _nonceR = nonce.Data;
            _peerSpi = BinaryPrimitives.ReadUInt64BigEndian(chosen.Spi);
            var additional = ProposalSelection.AdditionalKeyExchanges(chosen);
            if (additional.Count > 0)
            {
                // RFC 9370 2.2.4: the answer carries the link data that the first IKE_FOLLOWUP_KE request returns.
                _chosen = chosen;
                _suite = suite;
                _followup = new FollowupKeyExchanges(additional);
                if (!_followup.TryTakeLink(response))
                    return Fail(NotifyType.InvalidSyntax, false, $"IKE SA rekey response chose additional key exchanges ({ProposalKeywords.Format(chosen)}) but lacks the ADDITIONAL_KEY_EXCHANGE notify");
                return TaskOutcome.NeedMore;
            }
            Created = NewSa(originalInitiator: true, _spi, _peerSpi, chosen, suite);
            return TaskOutcome.Success;
        }
        Sa.ResponderSpi = response.Header.ResponderSpi;
        Sa.NonceR = nonce.Data;
        Sa.InitResponse = response.Raw.ToArray();
        Sa.PeerSupportsFragmentation = response.FindNotify(NotifyType.Ikev2FragmentationSupported) is not null;
        AuthCapabilities.ReadInit(Sa, response);
        Sa.Proposal = chosen;
        Sa.DeriveKeys(suite, _sharedSecret);
        Clear();
        Sa.State = IkeSaState.Authenticating;
        return TaskOutcome.Success;
    }

    /// <summary>
    /// The SA a rekey makes, keyed as RFC 7296 2.18 says: SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr)
    /// with the old SA's PRF; after additional key exchanges (RFC 9370 2.2.4)
    /// SKEYSEED = prf(SK_d (old), SK(0) | Ni | Nr | SK(1) | ... | SK(n)).
    /// </summary>
    private IkeSa NewSa(bool originalInitiator, ulong spiI, ulong spiR, Proposal chosen, IkeSuite suite)
    {
        var created = Sa.Context.NewRekeyedSa(Sa, originalInitiator, originalInitiator ? spiI : spiR);
        created.InitiatorSpi = spiI;
        created.ResponderSpi = spiR;
        created.NonceI = _nonceI;
        created.NonceR = _nonceR;
        created.Proposal = chosen;
        var additional = _followup?.ConcatenatedSecrets() ?? [];
        var skeyseed = IkeKeys.ComputeRekeySkeyseed(Sa.Prf, Sa.Keys!.SkD, _sharedSecret, _nonceI, _nonceR, additional);
        created.DeriveKeys(suite, _sharedSecret, skeyseed);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(skeyseed);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(additional);
        Clear();
        return created;
    }

    /// <summary>
    /// Responder: refuses the request with <paramref name="notify"/>. IKE_SA_INIT keeps no state: the SA goes
    /// and the response carries the notify alone; a rekey's response carries it and the old SA lives on.
    /// </summary>
    public TaskOutcome Refuse(NotifyType notify, byte[] data, string reason, bool quiet = false)
    {
        Clear();
        if (_rekey)
        {
            _error = notify;
            _errorData = data;
            return TaskOutcome.NeedMore;
        }
        Sa.FatalNotify = (notify, data);
        Sa.CloseReason = reason;
        if (!quiet && notify != NotifyType.NoProposalChosen)
            Sa.Context.Failed(Sa, notify, false, reason);
        return TaskOutcome.DestroySa;
    }

    /// <summary>Initiator: the negotiation failed; without an IKE SA there is nothing to go on with, a rekey leaves the old one.</summary>
    private TaskOutcome Fail(NotifyType notify, bool received, string detail)
    {
        if (!_rekey)
            Sa.CloseReason = detail;
        Sa.Context.Failed(Sa, notify, received, detail);
        Clear();
        return _rekey ? TaskOutcome.Failed : TaskOutcome.DestroySa;
    }

    private void Clear()
    {
        _keyExchange?.Dispose();
        _keyExchange = null;
        _followup?.Clear();
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(_sharedSecret);
    }

    public override void Abort() => Clear();

    private static byte[] SpiBytes(ulong spi)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, spi);
        return b;
    }

    internal static string Describe(IEnumerable<Proposal> proposals) => string.Join(", ", proposals.Select(ProposalKeywords.Format));
}
