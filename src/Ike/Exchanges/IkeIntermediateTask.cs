using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Exchanges;

/// <summary>
/// The additional key exchanges of a new IKE SA (RFC 9370 2.2.2) in IKE_INTERMEDIATE exchanges (RFC 9242): after
/// IKE_SA_INIT the initiator runs one exchange per additional key exchange of the chosen proposal, ADDKE1 to ADDKE7 in
/// order, each carrying one KE payload each way (for ML-KEM the initiator's encapsulation key and the responder's
/// ciphertext), and after each both sides update the IKE SA's keys. The task manager keeps the rest: the messages'
/// IntAuth (RFC 9242 3.3), a responder's update only after its response went out with the keys before it, and the
/// exchange type and message IDs (IKE_SA_INIT 0, IKE_INTERMEDIATE 1 to n, IKE_AUTH n + 1).
/// In IKE_SA_INIT it sends INTERMEDIATE_EXCHANGE_SUPPORTED as strongSwan does: the initiator when a configured proposal
/// has an additional key exchange, the responder when the proposal it chose has one and the initiator announced
/// support; so a peer that offers none sees the same IKE_SA_INIT as before RFC 9370.
/// </summary>
internal sealed class IkeIntermediateTask(IkeSa sa, bool initiator) : IkeTask(sa, initiator)
{
    private KeyExchange? _keyExchange;

    public override TaskType Type => TaskType.IkeIntermediate;
    public override ExchangeType Exchange => ExchangeType.IkeIntermediate;

    public override TaskOutcome Build(OutgoingMessage message)
    {
        if (message.Exchange == ExchangeType.IkeSaInit)
            return BuildInit(message);
        if (message.Exchange != ExchangeType.IkeIntermediate)
            return TaskOutcome.NeedMore;
        if (IsInitiator)
        {
            var method = Sa.AdditionalKeyExchanges[Sa.AdditionalKeyExchangesDone];
            _keyExchange ??= KeyExchange.Create(method, Sa.Context.Random);
            message.Add(new KeyExchangePayload((ushort)method, _keyExchange.PublicValue));
            return TaskOutcome.NeedMore;
        }
        message.Add(new KeyExchangePayload((ushort)_keyExchange!.Method, _keyExchange.PublicValue));
        Clear();
        Sa.AdditionalKeyExchangesDone++;
        return Sa.IntermediatePending ? TaskOutcome.NeedMore : TaskOutcome.Success;
    }

    private TaskOutcome BuildInit(OutgoingMessage message)
    {
        if (IsInitiator ? Sa.Config.Proposals.Any(ProposalSelection.HasAdditionalKeyExchanges)
            : Sa.PeerSupportsIntermediate && Sa.AdditionalKeyExchanges.Count > 0)
            message.AddNotify(NotifyType.IntermediateExchangeSupported);
        return IsInitiator || Sa.IntermediatePending ? TaskOutcome.NeedMore : TaskOutcome.Success;
    }

    public override TaskOutcome Process(IncomingMessage message)
    {
        if (message.Header.Exchange == ExchangeType.IkeSaInit)
            return ProcessInit(message);
        // RFC 9370 2.2.2: the IKE SA's keys come from every key exchange negotiated; an IKE_AUTH before the last
        // IKE_INTERMEDIATE would bring it up on fewer (strongSwan refuses it too).
        if (!IsInitiator && message.Header.Exchange == ExchangeType.IkeAuth && Sa.IntermediatePending)
            return Fail(NotifyType.InvalidSyntax, false,
                $"IKE_AUTH request after {Sa.AdditionalKeyExchangesDone} of {Sa.AdditionalKeyExchanges.Count} additional key exchanges ({ProposalKeywords.Format(Sa.Proposal!)})");
        if (message.Header.Exchange != ExchangeType.IkeIntermediate)
            return TaskOutcome.NeedMore;
        return IsInitiator ? ProcessResponse(message) : ProcessRequest(message);
    }

    private TaskOutcome ProcessInit(IncomingMessage message)
    {
        Sa.PeerSupportsIntermediate = message.FindNotify(NotifyType.IntermediateExchangeSupported) is not null;
        if (!IsInitiator)
            return TaskOutcome.NeedMore;
        // The responder chose a proposal without additional key exchanges (it does not know RFC 9370, or took our
        // fallback): IKE_AUTH follows IKE_SA_INIT as ever.
        if (Sa.AdditionalKeyExchanges.Count == 0)
            return TaskOutcome.Success;
        // RFC 9370 2.2.2 runs the additional key exchanges in IKE_INTERMEDIATE, which the responder must have announced
        // (RFC 9242 3); strongSwan refuses such an answer too.
        if (!Sa.PeerSupportsIntermediate)
            return Fail(NotifyType.NoProposalChosen, false,
                $"the responder chose additional key exchanges ({ProposalKeywords.Format(Sa.Proposal!)}) but did not send INTERMEDIATE_EXCHANGE_SUPPORTED");
        return TaskOutcome.NeedMore;
    }

    /// <summary>Responder: the initiator's KE payload of the next additional key exchange; the secret waits for the response.</summary>
    private TaskOutcome ProcessRequest(IncomingMessage request)
    {
        if (!Sa.IntermediatePending)
            return TaskOutcome.NeedMore;
        var n = Sa.AdditionalKeyExchangesDone + 1;
        var method = Sa.AdditionalKeyExchanges[n - 1];
        var ke = request.Find<KeyExchangePayload>();
        if (ke is null)
            return Fail(NotifyType.InvalidSyntax, false, $"IKE_INTERMEDIATE request {request.Header.MessageId} lacks the KE payload of additional key exchange {n} ({method})");
        if (ke.Group != (ushort)method)
            return Fail(NotifyType.InvalidSyntax, false, $"IKE_INTERMEDIATE request {request.Header.MessageId} carries KE method {ke.Group}, additional key exchange {n} is {method} ({(ushort)method})");
        _keyExchange = KeyExchange.Create(method, Sa.Context.Random);
        if (!_keyExchange.TryDeriveSharedSecret(ke.Data, out var secret, out var reason))
            return Fail(NotifyType.InvalidSyntax, false, $"additional key exchange {n}: {reason}");
        Sa.PendingKeyUpdate = secret;
        return TaskOutcome.NeedMore;
    }

    /// <summary>Initiator: the responder's KE payload; the keys change at once (the response was opened with the old ones).</summary>
    private TaskOutcome ProcessResponse(IncomingMessage response)
    {
        var n = Sa.AdditionalKeyExchangesDone + 1;
        var method = Sa.AdditionalKeyExchanges[n - 1];
        if (response.FirstError() is { } error)
            return Fail(error.NotifyType, true, $"peer answered IKE_INTERMEDIATE (additional key exchange {n}, {method}) with {error.NotifyType.ToRfcName()}");
        var ke = response.Find<KeyExchangePayload>();
        if (ke is null)
            return Fail(NotifyType.InvalidSyntax, false, $"IKE_INTERMEDIATE response lacks the KE payload of additional key exchange {n} ({method})");
        if (ke.Group != (ushort)method)
            return Fail(NotifyType.InvalidSyntax, false, $"IKE_INTERMEDIATE response carries KE method {ke.Group}, additional key exchange {n} is {method} ({(ushort)method})");
        if (!_keyExchange!.TryDeriveSharedSecret(ke.Data, out var secret, out var reason))
            return Fail(NotifyType.InvalidSyntax, false, $"additional key exchange {n}: {reason}");
        Clear();
        Sa.UpdateKeys(secret);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(secret);
        Sa.AdditionalKeyExchangesDone++;
        return Sa.IntermediatePending ? TaskOutcome.NeedMore : TaskOutcome.Success;
    }

    /// <summary>The new IKE SA cannot come up: a responder answers with the notify, and either side ends the SA.</summary>
    private TaskOutcome Fail(NotifyType notify, bool received, string detail)
    {
        Clear();
        Sa.CloseReason = detail;
        Sa.Context.Failed(Sa, notify, received, detail);
        if (!IsInitiator)
            Sa.FatalNotify = (notify, []);
        return TaskOutcome.DestroySa;
    }

    private void Clear()
    {
        _keyExchange?.Dispose();
        _keyExchange = null;
    }

    public override void Abort()
    {
        Clear();
        if (Sa.PendingKeyUpdate is { } secret)
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(secret);
        Sa.PendingKeyUpdate = null;
    }
}
