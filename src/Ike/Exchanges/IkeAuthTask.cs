using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Exchanges;

/// <summary>
/// IKE_AUTH authentication (RFC 7296 1.2, 2.15): identities, INITIAL_CONTACT, CERT and CERTREQ (3.6, 3.7), and
/// the AUTH payload over the signed octets, made and checked by each side's <see cref="Authenticator"/> (a
/// pre-shared key or a certificate signature, local.auth and remote.auth apart); AUTHENTICATION_FAILED sent and
/// understood (2.21.2).
/// </summary>
internal sealed class IkeAuthTask(IkeSa sa, bool initiator) : IkeTask(sa, initiator)
{
    public override TaskType Type => TaskType.IkeAuth;
    public override ExchangeType Exchange => ExchangeType.IkeAuth;

    public override TaskOutcome Build(OutgoingMessage message)
    {
        if (message.Exchange is ExchangeType.IkeSaInit or ExchangeType.IkeIntermediate)
            return TaskOutcome.NeedMore;
        var id = new IdentificationPayload(IsInitiator, Sa.Config.LocalId);
        message.Add(id);
        var local = Authenticator.Local(Sa);
        if (IsInitiator && !local.CanBuild(out var why))
        {
            Sa.CloseReason = why;
            Sa.Context.Failed(Sa, NotifyType.AuthenticationFailed, false, why);
            return TaskOutcome.DestroySa;
        }
        local.AddCredentials(message);
        if (IsInitiator)
        {
            if (AuthCapabilities.CertificateRequest(Sa.Config) is { } request)
                message.Add(request);
            // RFC 7296 2.4: only a peer with no other SA with us says INITIAL_CONTACT; a reauthentication must not,
            // or the peer would drop the old SA (and its Child SAs) before the new ones are up.
            if (Sa.ReauthOf is null && !Sa.Context.HasOtherEstablished(Sa))
                message.AddNotify(NotifyType.InitialContact);
            if (Sa.Config.RemoteId is { } remote)
                message.Add(new IdentificationPayload(false, remote));
        }
        message.Add(local.Build(SignedOctets(local: true, id.BodyToArray())));
        if (IsInitiator)
            return TaskOutcome.NeedMore;
        Sa.Context.Established(Sa);
        return TaskOutcome.Success;
    }

    /// <summary>
    /// RFC 7296 2.15: the initiator signs RealMessage1 | NonceRData | prf(SK_pi, IDi'), the responder
    /// RealMessage2 | NonceIData | prf(SK_pr, IDr'). RFC 9242 3.3.2: after IKE_INTERMEDIATE exchanges both append
    /// IntAuth = IntAuth_iN | IntAuth_rN | IKE_AUTH_MID; IKE_SA_INIT has message ID 0 and every exchange up to IKE_AUTH
    /// is an IKE_INTERMEDIATE one, so IKE_AUTH's message ID is their count plus one.
    /// </summary>
    private byte[] SignedOctets(bool local, byte[] idBody)
    {
        var initiatorSide = local == IsInitiator;
        var keys = Sa.Keys!;
        return PskAuthentication.SignedOctets(Sa.Prf,
            initiatorSide ? Sa.InitRequest : Sa.InitResponse,
            initiatorSide ? Sa.NonceR : Sa.NonceI,
            initiatorSide ? keys.SkPi : keys.SkPr,
            idBody,
            IntermediateAuth.ForAuth(Sa.IntAuthI, Sa.IntAuthR, checked((uint)(Sa.IntermediateExchanges + 1))));
    }

    public override TaskOutcome Process(IncomingMessage message)
    {
        if (message.Header.Exchange is ExchangeType.IkeSaInit or ExchangeType.IkeIntermediate)
            return TaskOutcome.NeedMore;
        if (IsInitiator && message.FindNotify(NotifyType.AuthenticationFailed) is not null)
            return Fail(NotifyType.AuthenticationFailed, true, "peer refused our authentication with AUTHENTICATION_FAILED (check the pre-shared key or certificates, and the identities)");
        if (IsInitiator && message.FirstError() is { } error && message.Find<AuthenticationPayload>() is null)
            return Fail(error.NotifyType, true, $"peer answered IKE_AUTH with {error.NotifyType.ToRfcName()}");

        var id = message.FindId(!IsInitiator);
        var auth = message.Find<AuthenticationPayload>();
        if (id is null || auth is null)
            return Fail(NotifyType.InvalidSyntax, false, $"IKE_AUTH {(IsInitiator ? "response" : "request")} lacks {(id is null ? "the peer's ID" : "AUTH")}");
        if (!IsInitiator && message.FindId(false) is { } wanted && !IdentityMatch.Matches(Sa.Config.LocalId, wanted.Identity))
            return Fail(NotifyType.AuthenticationFailed, false, $"peer asked for identity '{wanted.Identity}', ours is '{Sa.Config.LocalId}'");
        if (Sa.Config.RemoteId is { } expected && !IdentityMatch.Matches(expected, id.Identity))
            return Fail(NotifyType.AuthenticationFailed, false, $"peer identity '{id.Identity}' is not the configured '{expected}'");
        if (!IsInitiator)
            AuthCapabilities.ReadCertificateRequests(Sa, message);
        if (!Authenticator.Remote(Sa).Verify(SignedOctets(local: false, id.BodyToArray()), auth, id.Identity, message, out var reason))
            return Fail(NotifyType.AuthenticationFailed, false, reason);
        if (!IsInitiator && !Authenticator.Local(Sa).CanBuild(out reason))
            return Fail(NotifyType.AuthenticationFailed, false, reason);
        Sa.Context.PeerAuthenticated(Sa, id.Identity);
        if (!IsInitiator)
        {
            // RFC 7296 2.4: after INITIAL_CONTACT "the receiver MAY delete other SAs it has to the same
            // authenticated identity without waiting for a timeout" (the peer restarted).
            if (message.FindNotify(NotifyType.InitialContact) is not null)
                Sa.Context.ReplaceOlderSas(Sa);
            return TaskOutcome.NeedMore;
        }
        Sa.Context.Established(Sa);
        return TaskOutcome.Success;
    }

    private TaskOutcome Fail(NotifyType notify, bool received, string detail)
    {
        Sa.CloseReason = detail;
        Sa.Context.Failed(Sa, notify, received, detail);
        if (!IsInitiator)
        {
            // RFC 7296 2.21.2: the responder answers with AUTHENTICATION_FAILED, and no SA comes up.
            Sa.FatalNotify = (NotifyType.AuthenticationFailed, []);
        }
        else if (!received && Sa.OutboundCipher is not null)
        {
            // RFC 7296 2.21.2: "If the initiator's authentication of the responder fails, the initiator SHOULD
            // send an INFORMATIONAL exchange with AUTHENTICATION_FAILED"; it is sent once, then the SA goes.
            Sa.Tasks.SendOnce(ExchangeType.Informational, NotifyPayload.Status(NotifyType.AuthenticationFailed));
        }
        return TaskOutcome.DestroySa;
    }
}
