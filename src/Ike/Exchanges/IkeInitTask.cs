using System.Buffers.Binary;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Exchanges;

/// <summary>
/// IKE_SA_INIT (RFC 7296 1.2): proposals, key exchange and nonces; the initiator's retries after
/// INVALID_KE_PAYLOAD (1.2, 3.10.1) and COOKIE (2.6); IKEV2_FRAGMENTATION_SUPPORTED (RFC 7383 2.3) and
/// SIGNATURE_HASH_ALGORITHMS (RFC 7427 4). Ends with the keys of the IKE SA derived (2.14).
/// </summary>
internal sealed class IkeInitTask(IkeSa sa, bool initiator) : IkeTask(sa, initiator)
{
    /// <summary>How often an initiator follows COOKIE or INVALID_KE_PAYLOAD before it gives up.</summary>
    private const int MaxRetries = 3;

    /// <summary>RFC 7427 3: SHA2-256 (2), SHA2-384 (3), SHA2-512 (4).</summary>
    private static readonly byte[] SignatureHashes = [0, 2, 0, 3, 0, 4];

    private KeyExchange? _keyExchange;
    private byte[]? _cookie;
    private int _retries;
    private Proposal? _chosen;
    private IkeSuite? _suite;
    private byte[] _sharedSecret = [];

    public override TaskType Type => TaskType.IkeInit;
    public override ExchangeType Exchange => ExchangeType.IkeSaInit;

    public override TaskOutcome Build(OutgoingMessage message)
    {
        if (message.Exchange != ExchangeType.IkeSaInit)
            return TaskOutcome.Success;
        if (IsInitiator)
        {
            if (_cookie is not null)
                message.AddNotify(NotifyType.Cookie, _cookie);
            var proposals = Sa.Config.Proposals;
            var group = _keyExchange?.Method ?? (KeyExchangeMethod)proposals[0].OfType(TransformType.KeyExchange).First().Id;
            _keyExchange ??= KeyExchange.Create(group, Sa.Context.Random);
            if (Sa.NonceI.Length == 0)
                Sa.NonceI = Sa.Context.NewNonce();
            message.Add(new SecurityAssociationPayload(proposals));
            message.Add(new KeyExchangePayload((ushort)_keyExchange.Method, _keyExchange.PublicValue));
            message.Add(new NoncePayload(Sa.NonceI));
            AddCapabilities(message);
            return TaskOutcome.NeedMore;
        }

        // Responder: the keys are derived here, once our SPI and nonce are fixed.
        Sa.NonceR = Sa.Context.NewNonce();
        message.Add(new SecurityAssociationPayload([_chosen!]));
        message.Add(new KeyExchangePayload((ushort)_keyExchange!.Method, _keyExchange.PublicValue));
        message.Add(new NoncePayload(Sa.NonceR));
        if (Sa.PeerSupportsFragmentation || Sa.Config.Fragmentation)
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
        message.AddNotify(NotifyType.SignatureHashAlgorithms, SignatureHashes);
    }

    public override TaskOutcome Process(IncomingMessage message)
    {
        if (message.Header.Exchange != ExchangeType.IkeSaInit)
            return TaskOutcome.Success;
        return IsInitiator ? ProcessResponse(message) : ProcessRequest(message);
    }

    private TaskOutcome ProcessRequest(IncomingMessage request)
    {
        Sa.InitRequest = request.Raw.ToArray();
        Sa.PeerSupportsFragmentation = request.FindNotify(NotifyType.Ikev2FragmentationSupported) is not null;
        var sa = request.Find<SecurityAssociationPayload>();
        var ke = request.Find<KeyExchangePayload>();
        var nonce = request.Find<NoncePayload>();
        if (sa is null || ke is null || nonce is null)
            return Fatal(NotifyType.InvalidSyntax, null, "IKE_SA_INIT request lacks SA, KE or Nonce");
        _chosen = ProposalSelection.Select(Sa.Config.Proposals, sa.Proposals, []);
        if (_chosen is null || !IkeSuite.TryFromProposal(_chosen, out var suite, out _))
        {
            Sa.Context.Failed(Sa, NotifyType.NoProposalChosen, false,
                $"no IKE proposal chosen: peer offered {Describe(sa.Proposals)}, configured {Describe(Sa.Config.Proposals)}");
            return Fatal(NotifyType.NoProposalChosen, null, "no acceptable IKE proposal");
        }
        _suite = suite;
        if (InvalidKeRetry.MustRefuse(ke, suite.KeyExchange, out var data))
            return Fatal(NotifyType.InvalidKePayload, data, $"peer sent KE group {ke.Group}, selected {suite.KeyExchange}", quiet: true);
        _keyExchange = KeyExchange.Create(suite.KeyExchange, Sa.Context.Random);
        if (!_keyExchange.TryDeriveSharedSecret(ke.Data, out _sharedSecret, out var reason))
            return Fatal(NotifyType.InvalidSyntax, null, reason);
        Sa.NonceI = nonce.Data;
        return TaskOutcome.NeedMore;
    }

    private TaskOutcome ProcessResponse(IncomingMessage response)
    {
        if (response.FindNotify(NotifyType.Cookie) is { } cookie)
        {
            // RFC 7296 2.6: retry "with the same nonce and the COOKIE notification as the first payload".
            if (++_retries > MaxRetries || cookie.Data.Length is < 1 or > 64)
                return Fail(NotifyType.Cookie, true, "the responder keeps asking for cookies");
            _cookie = cookie.Data;
            return TaskOutcome.Restart;
        }
        if (response.FindNotify(NotifyType.InvalidKePayload) is { } invalidKe)
        {
            if (++_retries > MaxRetries || !InvalidKeRetry.TryFollow(response, Sa.Config.Proposals, ref _keyExchange, Sa.Context.Random))
                return Fail(NotifyType.InvalidKePayload, true, $"the responder asks for key exchange {InvalidKeRetry.RequestedGroup(invalidKe)}, which was not offered");
            return TaskOutcome.Restart;
        }
        if (response.FirstError() is { } error)
        {
            var detail = error.NotifyType == NotifyType.NoProposalChosen
                ? $"peer refused our IKE proposals ({Describe(Sa.Config.Proposals)}) with NO_PROPOSAL_CHOSEN"
                : $"peer answered IKE_SA_INIT with {error.NotifyType.ToRfcName()}";
            return Fail(error.NotifyType, true, detail);
        }
        var sa = response.Find<SecurityAssociationPayload>();
        var ke = response.Find<KeyExchangePayload>();
        var nonce = response.Find<NoncePayload>();
        if (sa is null || ke is null || nonce is null || sa.Proposals.Count != 1 || response.Header.ResponderSpi == 0)
            return Fail(NotifyType.InvalidSyntax, false, "IKE_SA_INIT response lacks SA, KE, Nonce or a responder SPI");
        var chosen = sa.Proposals[0];
        if (ProposalSelection.MatchChoice(Sa.Config.Proposals, chosen) is null || !IkeSuite.TryFromProposal(chosen, out var suite, out var why))
            return Fail(NotifyType.NoProposalChosen, false, $"the responder chose {ProposalKeywords.Format(chosen)}, which was not offered");
        if (ke.Group != (ushort)suite.KeyExchange || _keyExchange!.Method != suite.KeyExchange)
            return Fail(NotifyType.InvalidKePayload, false, $"the responder's KE group {ke.Group} is not the chosen {suite.KeyExchange}");
        if (!_keyExchange.TryDeriveSharedSecret(ke.Data, out var secret, out why))
            return Fail(NotifyType.InvalidSyntax, false, why);
        Sa.ResponderSpi = response.Header.ResponderSpi;
        Sa.NonceR = nonce.Data;
        Sa.InitResponse = response.Raw.ToArray();
        Sa.PeerSupportsFragmentation = response.FindNotify(NotifyType.Ikev2FragmentationSupported) is not null;
        Sa.Proposal = chosen;
        Sa.DeriveKeys(suite, secret);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(secret);
        Clear();
        Sa.State = IkeSaState.Authenticating;
        return TaskOutcome.Success;
    }

    private TaskOutcome Fatal(NotifyType notify, byte[]? data, string reason, bool quiet = false)
    {
        Sa.FatalNotify = (notify, data ?? []);
        Sa.CloseReason = reason;
        if (!quiet && notify != NotifyType.NoProposalChosen)
            Sa.Context.Failed(Sa, notify, false, reason);
        Clear();
        return TaskOutcome.DestroySa;
    }

    private TaskOutcome Fail(NotifyType notify, bool received, string detail)
    {
        Sa.CloseReason = detail;
        Sa.Context.Failed(Sa, notify, received, detail);
        Clear();
        return TaskOutcome.DestroySa;
    }

    private void Clear()
    {
        _keyExchange?.Dispose();
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(_sharedSecret);
    }

    public override void Abort() => Clear();

    internal static string Describe(IEnumerable<Proposal> proposals) => string.Join(", ", proposals.Select(ProposalKeywords.Format));
}
