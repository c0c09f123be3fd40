using System.Buffers.Binary;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Exchanges;

/// <summary>
/// Creates a Child SA (RFC 7296 1.3.1, 2.17), the first one inside IKE_AUTH or another in CREATE_CHILD_SA:
/// ESP proposals with PFS when configured, traffic selectors narrowed by the responder (2.9), and on
/// success both directions installed in the data plane. A proposal with additional key exchanges (RFC 9370 2.2.4) runs
/// them in IKE_FOLLOWUP_KE exchanges after CREATE_CHILD_SA (<see cref="FollowupKeyExchanges"/>); the Child SA is
/// installed only after the last one. Tunnel mode only: a request for transport mode is
/// answered in tunnel mode (1.3.1). A <see cref="ChildRekeyTask"/> runs one for the SA that replaces
/// <see cref="Replaces"/>; a Child SA the peer installed but this side refused is deleted again.
/// </summary>
internal sealed class ChildCreateTask(IkeSa sa, bool initiator, ChildSaConfig? config) : IkeTask(sa, initiator)
{
    private uint _localSpi;
    private byte[] _nonceI = [];
    private byte[] _nonceR = [];
    private KeyExchange? _keyExchange;
    private byte[] _sharedSecret = [];
    private Proposal? _chosen;
    private ChildSuite? _suite;
    private List<TrafficSelector> _tsi = [];
    private List<TrafficSelector> _tsr = [];
    private NotifyType _error;
    private byte[] _errorData = [];
    private uint _peerSpi;
    private FollowupKeyExchanges? _followup;

    public ChildSaConfig? Config { get; private set; } = config;

    /// <summary>The Child SA this one rekeys (its selectors are offered again; the responder sends on the new SA only once it goes).</summary>
    public ChildSa? Replaces { get; set; }

    /// <summary>The Child SA made, once installed.</summary>
    public ChildSa? Created { get; private set; }

    public byte[] NonceI => _nonceI;
    public byte[] NonceR => _nonceR;

    /// <summary>Responder: the request was refused; the response carries the error notify.</summary>
    public bool IsRefused => _error != default;

    public override TaskType Type => TaskType.ChildCreate;

    /// <summary>CREATE_CHILD_SA, then IKE_FOLLOWUP_KE while additional key exchanges are to run.</summary>
    public override ExchangeType Exchange => InFollowup ? ExchangeType.IkeFollowupKe : ExchangeType.CreateChildSa;

    /// <summary>The CREATE_CHILD_SA exchange is done and its additional key exchanges run in IKE_FOLLOWUP_KE (RFC 9370 2.2.4).</summary>
    public bool InFollowup => _followup is not null;

    public override byte[]? FollowupLink => IsInitiator ? null : _followup?.Link;

    public override TaskOutcome Build(OutgoingMessage message)
    {
        if (message.Exchange is ExchangeType.IkeSaInit or ExchangeType.IkeIntermediate)
            return TaskOutcome.NeedMore;
        if (message.Exchange == ExchangeType.IkeFollowupKe)
            return IsInitiator ? BuildFollowupRequest(message) : BuildFollowupResponse(message);
        return IsInitiator ? BuildRequest(message) : BuildResponse(message);
    }

    private TaskOutcome BuildRequest(OutgoingMessage message)
    {
        if (Config is null)
            return TaskOutcome.Success;
        var inAuth = message.Exchange == ExchangeType.IkeAuth;
        if (_localSpi == 0)
            _localSpi = Sa.Context.Kernel.AllocateSpi();
        var spi = SpiBytes(_localSpi);
        // RFC 7296 1.2: the Child SA created in IKE_AUTH takes its keys from the IKE SA, without a KE payload.
        var proposals = Config.EspProposals.Select(p => ForExchange(p, inAuth).With(p.Number, spi)).ToList();
        message.Add(new SecurityAssociationPayload(proposals));
        if (!inAuth)
        {
            _nonceI = Sa.Context.NewNonce();
            message.Add(new NoncePayload(_nonceI));
            var group = _keyExchange?.Method ?? FirstGroup(Config.EspProposals);
            if (group != KeyExchangeMethod.None)
            {
                _keyExchange ??= KeyExchange.Create(group, Sa.Context.Random);
                message.Add(new KeyExchangePayload((ushort)group, _keyExchange.PublicValue));
            }
        }
        message.Add(new TrafficSelectorPayload(true, Replaces?.LocalTs ?? DynamicSelectors.Local(Sa, Config)));
        message.Add(new TrafficSelectorPayload(false, Replaces?.RemoteTs ?? DynamicSelectors.Remote(Sa, Config)));
        return TaskOutcome.NeedMore;
    }

    /// <summary>
    /// Our ESP proposals as this exchange uses them: without key exchanges in IKE_AUTH (RFC 7296 1.2), as configured in
    /// CREATE_CHILD_SA, additional key exchanges included (RFC 9370 2.2.4).
    /// </summary>
    private static Proposal ForExchange(Proposal p, bool inAuth) => inAuth ? ProposalSelection.WithoutKeyExchange(p) : p;

    /// <summary>Initiator: the next IKE_FOLLOWUP_KE request, with the responder's link data.</summary>
    private TaskOutcome BuildFollowupRequest(OutgoingMessage message)
    {
        _followup!.BuildRequest(message, Sa.Context.Random);
        return TaskOutcome.NeedMore;
    }

    private static KeyExchangeMethod FirstGroup(IEnumerable<Proposal> proposals) =>
        proposals.SelectMany(p => p.OfType(TransformType.KeyExchange)).Select(t => (KeyExchangeMethod)t.Id).FirstOrDefault();

    public override TaskOutcome Process(IncomingMessage message)
    {
        if (message.Header.Exchange is ExchangeType.IkeSaInit or ExchangeType.IkeIntermediate)
            return TaskOutcome.NeedMore;
        if (message.Header.Exchange == ExchangeType.IkeFollowupKe)
            return IsInitiator ? ProcessFollowupResponse(message) : ProcessFollowupRequest(message);
        if (IsInitiator)
            return FollowInvalidKe(message) ? TaskOutcome.Restart : ProcessResponse(message);
        var inAuth = message.Header.Exchange == ExchangeType.IkeAuth;
        if (!Admit(message, out var childless))
            return TaskOutcome.NeedMore;
        return childless ? TaskOutcome.Success : Negotiate(message, inAuth);
    }

    /// <summary>Initiator: a CREATE_CHILD_SA response asking for another PFS group starts the exchange over with it.</summary>
    public bool FollowInvalidKe(IncomingMessage response) =>
        Config is not null && response.Header.Exchange != ExchangeType.IkeAuth &&
        InvalidKeRetry.TryFollow(response, Config.EspProposals, ref _keyExchange, Sa.Context.Random);

    /// <summary>Initiator: reads the responder's choice, selectors and key exchange, and installs the Child SA.</summary>
    public TaskOutcome ProcessResponse(IncomingMessage response)
    {
        if (Config is null)
            return TaskOutcome.Success;
        var inAuth = response.Header.Exchange == ExchangeType.IkeAuth;
        var rekey = Replaces is null ? "" : "rekey ";
        if (response.FirstError() is { } error)
            return Fail(error.NotifyType, true, error.NotifyType == NotifyType.NoProposalChosen
                ? $"peer refused CHILD_SA {Config.Name} {rekey}proposals ({IkeInitTask.Describe(Config.EspProposals)}) with NO_PROPOSAL_CHOSEN{PfsHint()}"
                : $"peer refused CHILD_SA {Config.Name} {rekey}with {error.NotifyType.ToRfcName()}");
        var sa = response.Find<SecurityAssociationPayload>();
        var tsi = response.FindTs(true);
        var tsr = response.FindTs(false);
        if (sa is null || tsi is null || tsr is null || sa.Proposals.Count != 1)
            return Fail(NotifyType.InvalidSyntax, false, $"CHILD_SA {Config.Name} response lacks SA, TSi or TSr");
        var chosen = sa.Proposals[0];
        var offered = Config.EspProposals.Select(p => ForExchange(p, inAuth)).ToList();
        // A dynamic child's selectors are the virtual IPs the configuration payload just gave us (ConfigurationTask ran first).
        var localTs = Replaces?.LocalTs ?? DynamicSelectors.Local(Sa, Config);
        var remoteTs = Replaces?.RemoteTs ?? DynamicSelectors.Remote(Sa, Config);
        if (ProposalSelection.MatchChoice(offered, chosen) is null || !ChildSuite.TryFromProposal(chosen, out var suite, out var why) || chosen.Spi.Length != 4)
            return FailInstalledByPeer(NotifyType.NoProposalChosen, false, $"peer chose ESP {ProposalKeywords.Format(chosen)} for {Config.Name}, which was not offered");
        if (!ChildSa.IsValidSpi(chosen.Spi))
            return FailInstalledByPeer(NotifyType.NoProposalChosen, false, $"peer chose the reserved ESP SPI {Convert.ToHexStringLower(chosen.Spi)} for {Config.Name} (RFC 4303 2.1)");
        // RFC 7296 2.9: the responder may narrow, never widen.
        if (!TrafficSelectorNarrowing.IsSubset(tsi.Selectors, localTs) || !TrafficSelectorNarrowing.IsSubset(tsr.Selectors, remoteTs))
            return FailInstalledByPeer(NotifyType.TsUnacceptable, false, $"peer's selectors {Join(tsi.Selectors)} === {Join(tsr.Selectors)} are not within ours");
        if (!inAuth)
        {
            var nonce = response.Find<NoncePayload>();
            if (nonce is null)
                return FailInstalledByPeer(NotifyType.InvalidSyntax, false, "CREATE_CHILD_SA response without a nonce");
            _nonceR = nonce.Data;
            if (suite.KeyExchange != KeyExchangeMethod.None)
            {
                var ke = response.Find<KeyExchangePayload>();
                if (ke is null || _keyExchange is null || ke.Group != (ushort)suite.KeyExchange || _keyExchange.Method != suite.KeyExchange)
                    return FailInstalledByPeer(NotifyType.InvalidKePayload, false, $"PFS group mismatch for {Config.Name}: chose {suite.KeyExchange}");
                if (!_keyExchange.TryDeriveSharedSecret(ke.Data, out _sharedSecret, out why))
                    return FailInstalledByPeer(NotifyType.InvalidSyntax, false, why);
            }
        }
        _chosen = chosen;
        _suite = suite;
        _peerSpi = BinaryPrimitives.ReadUInt32BigEndian(chosen.Spi);
        _tsi = [.. tsi.Selectors];
        _tsr = [.. tsr.Selectors];
        var additional = inAuth ? [] : ProposalSelection.AdditionalKeyExchanges(chosen);
        if (additional.Count > 0)
        {
            // RFC 9370 2.2.4: the responder's answer carries the link data that the first IKE_FOLLOWUP_KE request returns.
            _followup = new FollowupKeyExchanges(additional);
            if (!_followup.TryTakeLink(response))
                return Fail(NotifyType.InvalidSyntax, false, $"CREATE_CHILD_SA response for {Config.Name} chose additional key exchanges ({ProposalKeywords.Format(chosen)}) but lacks the ADDITIONAL_KEY_EXCHANGE notify");
            return TaskOutcome.NeedMore;
        }
        Install(inAuth);
        return TaskOutcome.Success;
    }

    /// <summary>
    /// Initiator: the responder's KE payload of one additional key exchange; after the last the Child SA is installed. An error
    /// or a bad KE abandons the new SA (an old one being rekeyed stays); the responder installs only after the last response,
    /// so only a failure then leaves it an SA to be told to delete.
    /// </summary>
    private TaskOutcome ProcessFollowupResponse(IncomingMessage response)
    {
        var followup = _followup!;
        var n = followup.Number;
        var last = n == followup.Methods.Count;
        var what = $"additional key exchange {n} ({followup.Current}) of CHILD_SA {Config!.Name}{(Replaces is null ? "" : " rekey")}";
        if (response.FirstError() is { } error)
            return Fail(error.NotifyType, true, $"peer answered IKE_FOLLOWUP_KE for {what} with {error.NotifyType.ToRfcName()}");
        if (!followup.TryProcessResponse(response, out var why))
            return last ? FailInstalledByPeer(NotifyType.InvalidSyntax, false, why) : Fail(NotifyType.InvalidSyntax, false, why);
        if (followup.Pending)
        {
            if (!followup.TryTakeLink(response))
                return Fail(NotifyType.InvalidSyntax, false, $"IKE_FOLLOWUP_KE response for {what} lacks the ADDITIONAL_KEY_EXCHANGE notify, and more are to come");
            return TaskOutcome.NeedMore;
        }
        Install(inAuth: false);
        return TaskOutcome.Success;
    }

    /// <summary>Responder: the initiator's KE payload of the next additional key exchange (the task manager matched the link data).</summary>
    private TaskOutcome ProcessFollowupRequest(IncomingMessage request)
    {
        if (_followup is null || _error != default)
            return TaskOutcome.NeedMore;
        if (!_followup.TryProcessRequest(request, Sa.Context.Random, out var why))
            return Refused(NotifyType.InvalidSyntax, $"CHILD_SA {Config!.Name}{(Replaces is null ? "" : " rekey")}: {why}");
        return TaskOutcome.NeedMore;
    }

    /// <summary>Responder: the KE payload of the response, new link data while more are to come; after the last, the Child SA.</summary>
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
        Install(inAuth: false);
        return TaskOutcome.Success;
    }

    /// <summary>
    /// For a refused rekey: whether PFS may be the difference (the proposals that worked at IKE_AUTH had no
    /// key exchange; a rekey's do, or the peer's do and ours do not).
    /// </summary>
    private string PfsHint() =>
        Replaces is null ? ""
        : Config!.EspProposals.Any(p => p.Transforms.Any(t => t.Type == TransformType.KeyExchange))
            ? " (PFS mismatch? this rekey offers a key exchange; the peer may use another group or none)"
            : " (PFS mismatch? this rekey offers no key exchange; the peer may require one)";

    /// <summary>
    /// Responder: whether the IKE SA takes a new Child SA and the request has what one needs. False when it was
    /// refused; <paramref name="childless"/> for an IKE_AUTH that asks for none (RFC 6023).
    /// </summary>
    public bool Admit(IncomingMessage request, out bool childless)
    {
        childless = false;
        var inAuth = request.Header.Exchange == ExchangeType.IkeAuth;
        // An SA replaced by a rekey, or being deleted, creates no more children (RFC 7296 2.25).
        if (!inAuth && Sa.State is not (IkeSaState.Established or IkeSaState.Rekeying))
            return Refuse(NotifyType.TemporaryFailure, "the IKE SA is being replaced or closed", quiet: true);
        var sa = request.Find<SecurityAssociationPayload>();
        var tsi = request.FindTs(true);
        var tsr = request.FindTs(false);
        if (sa is null && inAuth)
        {
            childless = true;
            return true;
        }
        if (sa is null || tsi is null || tsr is null)
            return Refuse(NotifyType.InvalidSyntax, "request lacks SA, TSi or TSr");
        if (!inAuth)
        {
            var nonce = request.Find<NoncePayload>();
            if (nonce is null)
                return Refuse(NotifyType.InvalidSyntax, "CREATE_CHILD_SA request without a nonce");
            _nonceI = nonce.Data;
        }
        return true;
    }

    /// <summary>Responder: picks the child, narrows the selectors, selects a proposal and answers the key exchange.</summary>
    public TaskOutcome Negotiate(IncomingMessage request, bool inAuth)
    {
        var sa = request.Find<SecurityAssociationPayload>()!;
        var tsi = request.FindTs(true)!;
        var tsr = request.FindTs(false)!;
        // The first child whose selectors overlap the peer's, narrowed to what both allow (RFC 7296 2.9). A dynamic
        // remote_ts is the peer's virtual IP: TSi narrowed to it (2.19); without one, the child cannot be made.
        var needsAddress = false;
        foreach (var candidate in Replaces is null ? Sa.Config.Children : [Replaces.Config])
        {
            var remoteTs = DynamicSelectors.Remote(Sa, candidate);
            needsAddress |= candidate.RemoteDynamic && remoteTs.Count == 0;
            var narrowedI = TrafficSelectorNarrowing.Narrow(tsi.Selectors, remoteTs);
            var narrowedR = TrafficSelectorNarrowing.Narrow(tsr.Selectors, DynamicSelectors.Local(Sa, candidate));
            if (narrowedI.Count > 0 && narrowedR.Count > 0)
            {
                Config = candidate;
                _tsi = narrowedI;
                _tsr = narrowedR;
                break;
            }
        }
        if (Config is null && needsAddress && Sa.VirtualIpFailure is { } noAddress)
            return Refused(noAddress, noAddress == NotifyType.FailedCpRequired
                ? $"the peer asked for no virtual IP, and this connection's children take theirs from pools {string.Join(", ", Sa.Config.Pools.Select(p => p.Name))}"
                : $"no virtual IP left for the peer in pools {string.Join(", ", Sa.Config.Pools.Select(p => p.Name))}");
        if (Config is null)
            return Refused(NotifyType.TsUnacceptable, $"no child accepts {Join(tsi.Selectors)} === {Join(tsr.Selectors)}");
        // A TS payload holds at most 255 selectors (RFC 7296 3.13); fewer is still a valid narrowing.
        const int MaxSelectors = byte.MaxValue;
        if (_tsi.Count > MaxSelectors)
            _tsi.RemoveRange(MaxSelectors, _tsi.Count - MaxSelectors);
        if (_tsr.Count > MaxSelectors)
            _tsr.RemoveRange(MaxSelectors, _tsr.Count - MaxSelectors);

        var configured = Config.EspProposals.Select(p => ForExchange(p, inAuth)).ToList();
        // RFC 7296 2.17 and 1.2: the Child SA of IKE_AUTH has no key exchange; a peer that lists its PFS (and RFC 9370
        // additional) key exchanges there is matched without them, as strongSwan does.
        var offered = sa.Proposals.Where(p => p.Spi.Length == 4).Select(p => inAuth ? ProposalSelection.WithoutKeyExchange(p) : p).ToList();
        if (offered.Find(p => !ChildSa.IsValidSpi(p.Spi)) is { } reserved)
            return Refused(NotifyType.NoProposalChosen, $"peer offered the reserved ESP SPI {Convert.ToHexStringLower(reserved.Spi)} for {Config.Name} (RFC 4303 2.1)");
        _chosen = ProposalSelection.Select(configured, offered, []);
        if (_chosen is null || !ChildSuite.TryFromProposal(_chosen, out var suite, out _))
        {
            // Say when only the key exchange differs: PFS on one side and not the other shows at the first rekey.
            var pfs = !inAuth && ProposalSelection.Select([.. configured.Select(ProposalSelection.WithoutKeyExchange)], [.. offered.Select(ProposalSelection.WithoutKeyExchange)], []) is not null
                ? " (PFS mismatch: the proposals differ only in their key exchange)" : "";
            return Refused(NotifyType.NoProposalChosen,
                $"no ESP proposal chosen for {Config.Name}{(Replaces is null ? "" : " rekey")}: peer offered {IkeInitTask.Describe(sa.Proposals)}, configured {IkeInitTask.Describe(configured)}{pfs}");
        }
        _suite = suite;
        _peerSpi = BinaryPrimitives.ReadUInt32BigEndian(offered.First(p => p.Number == _chosen.Number).Spi);
        if (!inAuth && suite.KeyExchange != KeyExchangeMethod.None)
        {
            var ke = request.Find<KeyExchangePayload>();
            if (InvalidKeRetry.MustRefuse(ke, suite.KeyExchange, out _errorData))
                return Refused(NotifyType.InvalidKePayload, $"PFS group {suite.KeyExchange} expected for {Config.Name}, peer sent {(ke is null ? "none" : ke.Group.ToString(System.Globalization.CultureInfo.InvariantCulture))}", quiet: true);
            _keyExchange = KeyExchange.Create(suite.KeyExchange, Sa.Context.Random);
            if (!_keyExchange.TryDeriveSharedSecret(ke!.Data, out _sharedSecret, out var why))
                return Refused(NotifyType.InvalidSyntax, why);
            var additional = ProposalSelection.AdditionalKeyExchanges(_chosen);
            if (additional.Count > 0)
                _followup = new FollowupKeyExchanges(additional);
        }
        return TaskOutcome.NeedMore;
    }

    private TaskOutcome BuildResponse(OutgoingMessage message)
    {
        if (_error != default)
        {
            message.AddNotify(_error, _errorData);
            return TaskOutcome.Failed;
        }
        if (_chosen is null)
            return TaskOutcome.Success;
        var inAuth = message.Exchange == ExchangeType.IkeAuth;
        _localSpi = Sa.Context.Kernel.AllocateSpi();
        message.Add(new SecurityAssociationPayload([_chosen.With(_chosen.Number, SpiBytes(_localSpi))]));
        if (!inAuth)
        {
            _nonceR = Sa.Context.NewNonce();
            message.Add(new NoncePayload(_nonceR));
            if (_keyExchange is not null)
                message.Add(new KeyExchangePayload((ushort)_keyExchange.Method, _keyExchange.PublicValue));
        }
        message.Add(new TrafficSelectorPayload(true, _tsi));
        message.Add(new TrafficSelectorPayload(false, _tsr));
        if (_followup is not null)
        {
            // RFC 9370 2.2.4: the additional key exchanges follow in IKE_FOLLOWUP_KE requests that return this link data.
            _followup.NewLink(Sa.Context.Random);
            message.AddNotify(NotifyType.AdditionalKeyExchange, _followup.Link);
            return TaskOutcome.NeedMore;
        }
        Install(inAuth);
        return TaskOutcome.Success;
    }

    /// <summary>Derives KEYMAT (RFC 7296 2.17, RFC 9370 2.2.4) and installs both directions.</summary>
    private void Install(bool inAuth)
    {
        var ni = inAuth ? Sa.NonceI : _nonceI;
        var nr = inAuth ? Sa.NonceR : _nonceR;
        var additional = _followup?.ConcatenatedSecrets() ?? [];
        using var keys = ChildKeys.Derive(Sa.Prf, Sa.Keys!.SkD, _suite!, _sharedSecret, ni, nr, additional);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(additional);
        var (inEncr, inInteg, outEncr, outInteg) = IsInitiator
            ? (keys.EncryptionResponderToInitiator, keys.IntegrityResponderToInitiator, keys.EncryptionInitiatorToResponder, keys.IntegrityInitiatorToResponder)
            : (keys.EncryptionInitiatorToResponder, keys.IntegrityInitiatorToResponder, keys.EncryptionResponderToInitiator, keys.IntegrityResponderToInitiator);
        // Selectors from our side: TSi is the initiator's, so the responder's local selectors are TSr.
        var localTs = IsInitiator ? _tsi : _tsr;
        var remoteTs = IsInitiator ? _tsr : _tsi;
        var child = new ChildSa(Config!, Sa.Context.NewChildId(), _localSpi, _peerSpi, _suite!, _chosen!, localTs, remoteTs, Sa.Context.Now);
        // The responder of a rekey sends on the new SA only once the old one goes: until the initiator has
        // our response, it cannot open what the new SA carries.
        var deferred = !IsInitiator && Replaces is not null;
        if (deferred)
        {
            child.OutboundPending = true;
            child.Replaces = Replaces;
        }
        var install = new ChildSaInstall(Sa.Config.Name, Config!.Name, child.UniqueId, _localSpi, _peerSpi, _suite!,
            [.. inEncr], [.. inInteg], [.. outEncr], [.. outInteg], localTs, remoteTs,
            Sa.LocalEndpoint, Sa.RemoteEndpoint, Sa.NatDetected, Config.LifeBytes, Config.LifePackets)
        {
            OutboundDeferred = deferred,
            InstalledByResponder = !IsInitiator && Replaces is null,
        };
        SaTimers.ScheduleChild(Sa, child, Sa.Context.Now);
        Sa.Context.Installed(Sa, child, install, rekeyed: Replaces is not null);
        Created = child;
        Clear();
    }

    /// <summary>Responder: refuses the request; the response carries <paramref name="notify"/> alone.</summary>
    public bool Refuse(NotifyType notify, string detail, bool quiet = false)
    {
        _error = notify;
        if (!quiet)
            Sa.Context.Failed(Sa, notify, false, detail);
        Clear();
        return false;
    }

    private TaskOutcome Refused(NotifyType notify, string detail, bool quiet = false)
    {
        Refuse(notify, detail, quiet);
        return TaskOutcome.NeedMore;
    }

    /// <summary>
    /// Fails on a response that carried an SA: the peer has installed its side, so it is told to delete it
    /// (else, for a rekey, it would keep waiting for the old SA to go, and for a new child hold an SA nobody uses).
    /// </summary>
    private TaskOutcome FailInstalledByPeer(NotifyType notify, bool received, string detail)
    {
        if (_localSpi != 0)
            Sa.Tasks.Queue(ChildDeleteTask.ForOrphan(Sa, _localSpi));
        return Fail(notify, received, detail);
    }

    private TaskOutcome Fail(NotifyType notify, bool received, string detail)
    {
        Sa.Context.Failed(Sa, notify, received, detail);
        Abort();
        return TaskOutcome.Failed;
    }

    private void Clear()
    {
        _keyExchange?.Dispose();
        _keyExchange = null;
        _followup?.Clear();
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(_sharedSecret);
    }

    public override void Abort() => Clear();

    internal static byte[] SpiBytes(uint spi)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, spi);
        return b;
    }

    private static string Join(IEnumerable<TrafficSelector> selectors) => string.Join(' ', selectors);
}
