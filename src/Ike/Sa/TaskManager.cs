using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Exchanges;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Sa;

/// <summary>
/// The exchange machinery of one IKE SA (RFC 7296 2.1 to 2.3): queued tasks waiting to start an exchange,
/// the active tasks of our outstanding request, the passive tasks answering the peer's (made by
/// <see cref="PassiveTasks"/>), crossing rekeys found between the two, the message IDs of both directions
/// with a window of one, retransmission with back-off, the cached last response, and fragmentation of what
/// is sent and reassembly of what arrives (RFC 7383). Its SA's <see cref="IkeSaManager"/> takes what it
/// sends, drops and closes. A CREATE_CHILD_SA exchange with additional key exchanges (RFC 9370 2.2.4) goes on in
/// IKE_FOLLOWUP_KE exchanges: as initiator its task stays active, so that nothing else of ours runs in between; as
/// responder its task waits, bounded in number and time, for the request that names it by its link data.
/// </summary>
internal sealed class TaskManager(IkeSa sa, IkeSaManager sas)
{
    private readonly List<IkeTask> _queued = [];
    private readonly List<IkeTask> _active = [];
    private readonly List<IkeTask> _passive = [];
    /// <summary>Responder tasks waiting for an IKE_FOLLOWUP_KE request, oldest first, with the time they are given up.</summary>
    private readonly List<(IkeTask Task, DateTimeOffset Expires)> _followups = [];
    private ExchangeType _activeExchange;

    private uint _nextRequestId;
    private uint _expectedRequestId;

    private List<byte[]> _outstanding = [];
    private int _retransmits;
    private DateTimeOffset _retransmitAt = DateTimeOffset.MaxValue;

    private List<byte[]> _lastResponse = [];
    private readonly List<byte[]> _lastRequestDatagrams = [];
    private FragmentBuffer? _requestFragments;
    private FragmentBuffer? _responseFragments;
    /// <summary>The fragment octets this SA holds on the engine's budget for SAs not yet authenticated.</summary>
    private int _charged;

    public bool HasActiveExchange => _active.Count > 0;
    public uint NextRequestId => _nextRequestId;
    public uint ExpectedRequestId => _expectedRequestId;
    public IReadOnlyList<IkeTask> Queued => _queued;

    /// <summary>The tasks of the exchange in flight, then the tasks queued: in the order they run.</summary>
    public IEnumerable<IkeTask> ActiveAndQueued => _active.Concat(_queued);

    public DateTimeOffset NextDeadline => _followups.Count == 0 ? _retransmitAt : Min(_retransmitAt, _followups.Min(f => f.Expires));

    /// <summary>The tasks of the exchange in flight.</summary>
    public IReadOnlyList<IkeTask> Active => _active;

    /// <summary>Responder tasks whose IKE_FOLLOWUP_KE requests have yet to come (RFC 9370 2.2.4).</summary>
    public IEnumerable<IkeTask> PendingFollowups => _followups.Select(f => f.Task);

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    /// <summary>Gives up a responder task that waits for IKE_FOLLOWUP_KE requests (the peer lost a rekey collision).</summary>
    public void DropFollowup(IkeTask task)
    {
        if (_followups.RemoveAll(f => f.Task == task) > 0)
            task.Abort();
    }

    public void Queue(IkeTask task)
    {
        _queued.Add(task);
        // A stable sort by priority: delete before create before rekey before liveness.
        var ordered = _queued.OrderBy(t => t.Type).ToList();
        _queued.Clear();
        _queued.AddRange(ordered);
    }

    public bool IsQueued(TaskType type) => _queued.Exists(t => t.Type == type) || _active.Exists(t => t.Type == type);

    /// <summary>Whether our IKE SA rekey is out.</summary>
    public bool IsRekeyingIke => _active.OfType<IkeRekeyTask>().Any();

    /// <summary>Starts the next exchange if none is outstanding.</summary>
    public void Initiate()
    {
        if (_active.Count == 0 && sa.ReauthOf is not null)
            sas.CompleteReauthIfDone(sa);
        if (_active.Count > 0 || _queued.Count == 0 || sa.State == IkeSaState.Destroyed)
            return;
        Guarded("starting an exchange", StartNext);
    }

    private void StartNext()
    {
        if (sa.State is IkeSaState.Connecting or IkeSaState.Authenticating)
        {
            // A new SA runs init, NAT detection, auth and the first child together; other children follow
            // in CREATE_CHILD_SA once it is established.
            var firstChild = _queued.Find(t => t.Type == TaskType.ChildCreate);
            _active.AddRange(_queued.Where(t => t.Type is TaskType.IkeInit or TaskType.IkeNatd or TaskType.IkeIntermediate or TaskType.IkeAuth or TaskType.IkeConfig || t == firstChild));
            _queued.RemoveAll(_active.Contains);
            _activeExchange = sa.State == IkeSaState.Connecting ? ExchangeType.IkeSaInit : ExchangeType.IkeAuth;
        }
        else
        {
            var task = _queued[0];
            _queued.RemoveAt(0);
            _active.Add(task);
            _activeExchange = task.Exchange;
        }
        BuildAndSendRequest();
    }

    private void BuildAndSendRequest()
    {
        var message = new OutgoingMessage(_activeExchange, isResponse: false);
        for (var i = 0; i < _active.Count; i++)
        {
            var task = _active[i];
            var status = task.Build(message);
            switch (status)
            {
                case TaskOutcome.Success:
                case TaskOutcome.NeedMore:
                    break;
                case TaskOutcome.Failed:
                    task.Abort();
                    _active.RemoveAt(i--);
                    break;
                default:
                    sas.Destroy(sa, sa.CloseReason ?? $"{task.Type} could not build its request");
                    return;
            }
        }
        if (_active.Count == 0)
        {
            Initiate();
            return;
        }
        _outstanding = Encode(message, _nextRequestId);
        _retransmits = 0;
        _retransmitAt = sas.Now + sas.Options.RetransmitTimeout(0);
        if (sas.Log.DebugEnabled)
            sas.Log.SendingRequest(sa.Config.Name, sa.Id, _activeExchange, _nextRequestId, Describe(MessageRules.InWireOrder(message.Exchange, message.Payloads)));
        SendAll(_outstanding);
    }

    /// <summary>Handles a message whose header names this SA. The engine has parsed the outer message.</summary>
    public void Receive(IkeMessage message, Datagram datagram)
    {
        var header = message.Header;
        if (header.IsResponse)
        {
            // RFC 7296 2.3: a response must match the outstanding request's message ID.
            if (_active.Count == 0 || header.MessageId != _nextRequestId || header.Exchange != _activeExchange)
            {
                sas.Drop(sa, datagram, IkeDropReason.ResponseMatchesNoRequest);
                return;
            }
            if (!TryOpen(message, datagram, out var payloads))
                return;
            if (sas.Log.DebugEnabled)
                sas.Log.ReceivedResponse(sa.Config.Name, sa.Id, header.Exchange, header.MessageId, Describe(payloads), datagram.Remote.ToString());
            FollowPeer(header, datagram);
            Guarded(message, datagram, () => ProcessResponse(new Exchanges.IncomingMessage(header, payloads, message.Raw, datagram.Local, datagram.Remote)));
        }
        else
        {
            if (_expectedRequestId > 0 && header.MessageId == _expectedRequestId - 1 && _lastResponse.Count > 0 && IsRetransmission(datagram.Data))
            {
                // RFC 7296 2.1: a retransmitted request is answered with the cached response, not processed
                // again, sent back to where the retransmission came from.
                sas.Log.RetransmittingResponse(sa.Config.Name, sa.Id, header.MessageId);
                foreach (var d in _lastResponse)
                    sas.SendTo(datagram, d);
                return;
            }
            // RFC 7296 1.2: IKE_SA_INIT is the first exchange of an SA and only that.
            if (header.Exchange == ExchangeType.IkeSaInit && sa.State != IkeSaState.Connecting)
            {
                sas.Drop(sa, datagram, IkeDropReason.InitOnExistingSa);
                return;
            }
            // RFC 9242 3: IKE_INTERMEDIATE exchanges come after IKE_SA_INIT and before IKE_AUTH, the initiator starts
            // them, and only where both announced support; here only for the additional key exchanges still to run
            // (RFC 9370 2.2.2). A retransmitted last one was answered above from the cached response.
            if (header.Exchange == ExchangeType.IkeIntermediate && (!sa.IntermediatePending || sa.IsOriginalInitiator))
            {
                sas.Drop(sa, datagram, IkeDropReason.ExchangeOutOfPlace,
                    "IKE_INTERMEDIATE request where none is expected (no additional key exchange left, past IKE_AUTH, or from the responder)");
                return;
            }
            // RFC 9370 2.2.4: IKE_FOLLOWUP_KE continues a CREATE_CHILD_SA exchange, which an SA runs only once it is up.
            if (header.Exchange == ExchangeType.IkeFollowupKe && sa.State is IkeSaState.Connecting or IkeSaState.Authenticating)
            {
                sas.Drop(sa, datagram, IkeDropReason.ExchangeOutOfPlace, "IKE_FOLLOWUP_KE request before IKE_AUTH completed");
                return;
            }
            if (header.MessageId != _expectedRequestId)
            {
                sas.Drop(sa, datagram, IkeDropReason.UnexpectedRequestMessageId, $"request message ID {header.MessageId}, expected {_expectedRequestId}");
                return;
            }
            if (!TryOpen(message, datagram, out var payloads))
                return;
            if (sas.Log.DebugEnabled)
                sas.Log.ReceivedRequest(sa.Config.Name, sa.Id, header.Exchange, header.MessageId, Describe(payloads), datagram.Remote.ToString());
            FollowPeer(header, datagram);
            Guarded(message, datagram, () => ProcessRequest(new Exchanges.IncomingMessage(header, payloads, message.Raw, datagram.Local, datagram.Remote), datagram));
        }
    }

    /// <summary>
    /// An authenticated new request, or the response to our outstanding one, shows where the peer is now:
    /// its move to port 4500 in IKE_AUTH, and later a NAT's new mapping (RFC 7296 2.23: "use the IP address
    /// and port ... from the last authenticated message"; a retransmission or a replay never gets here).
    /// "A host behind a NAT SHOULD NOT do this type of dynamic address update", so after IKE_AUTH only a
    /// host not behind a NAT follows the peer. The Child SAs' ESP follows through the kernel interface.
    /// </summary>
    private void FollowPeer(IkeHeader header, Datagram datagram)
    {
        if (!MessageRules.IsProtected(header.Exchange) || (header.Exchange is not (ExchangeType.IkeAuth or ExchangeType.IkeIntermediate) && sa.LocalBehindNat) ||
            (sa.LocalEndpoint.Equals(datagram.Local) && sa.RemoteEndpoint.Equals(datagram.Remote)))
            return;
        sa.LocalEndpoint = datagram.Local;
        sa.RemoteEndpoint = datagram.Remote;
        foreach (var child in sa.Children)
            sas.Kernel.UpdateEndpoints(child.InboundSpi, datagram.Local, datagram.Remote);
    }

    /// <summary>
    /// The one place where what a task throws is caught (STYLE.md). An <see cref="IkeProtocolException"/> is the
    /// peer's violation: a request is answered with its notify (the responder tasks of that request are dropped, so
    /// nothing of it stays half done), a response fails the exchange and with it the SA. Anything else is a bug met
    /// on odd input: that one IKE SA is closed, counted and logged; the engine and every other SA live on.
    /// </summary>
    private void Guarded(IkeMessage message, Datagram datagram, Action process)
    {
        try
        {
            process();
        }
        catch (IkeProtocolException e)
        {
            sas.Drop(sa, datagram, IkeDropReason.ProtocolViolation, e.Message);
            if (message.Header.IsResponse)
            {
                sas.Failed(sa, e.Notify, false, e.Message);
                sas.Destroy(sa, $"{e.Notify.ToRfcName()}: {e.Message}");
                return;
            }
            foreach (var task in _passive)
                task.Abort();
            _passive.Clear();
            var response = new OutgoingMessage(message.Header.Exchange, isResponse: true);
            response.AddNotify(e.Notify, []);
            SendResponse(response, message.Header.MessageId, datagram.Data);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            sas.Fault(sa, e, $"processing {message.Header.Exchange} {(message.Header.IsResponse ? "response" : "request")} {message.Header.MessageId}");
        }
    }

    /// <summary>Runs our own side of the machinery (a request to build, a timer) under the same rule: a bug closes this SA only.</summary>
    private void Guarded(string during, Action work)
    {
        try
        {
            work();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            sas.Fault(sa, e, during);
        }
    }

    private bool IsRetransmission(byte[] data)
    {
        foreach (var previous in _lastRequestDatagrams)
        {
            if (previous.AsSpan().SequenceEqual(data))
                return true;
        }
        return false;
    }

    /// <summary>Decrypts and checks a message; false when it was dropped (and counted) or is an incomplete fragment.</summary>
    private bool TryOpen(IkeMessage message, Datagram datagram, out IReadOnlyList<IkePayload> payloads)
    {
        payloads = message.Payloads;
        var exchange = message.Header.Exchange;
        ParseError error;
        byte[] innerOctets = [];
        var firstInner = PayloadType.NoNextPayload;
        if (MessageRules.IsProtected(exchange))
        {
            if (sa.InboundCipher is null)
            {
                sas.Drop(sa, datagram, IkeDropReason.ProtectedBeforeKeys);
                return false;
            }
            var last = message.Payloads.Count > 0 ? message.Payloads[^1] : null;
            if (last is EncryptedFragmentPayload fragment)
            {
                // RFC 7383 2.5: fragmentation is used "only if it was negotiated", i.e. both sides announced
                // IKEV2_FRAGMENTATION_SUPPORTED; otherwise a fragment is nothing we asked for and holds nothing.
                if (!sa.Config.Fragmentation || !sa.PeerSupportsFragmentation)
                {
                    sas.Drop(sa, datagram, IkeDropReason.FragmentNotNegotiated);
                    return false;
                }
                if (!SkProtection.TryOpenFragment(message, sa.InboundCipher, out var content, out error))
                {
                    sas.Drop(sa, datagram, error.DropReason, error.ToString());
                    return false;
                }
                sa.LastInbound = sas.Now;
                if (!TryReassemble(message, datagram, fragment, content, out payloads, out innerOctets, out firstInner))
                    return false;
            }
            else if (last is EncryptedPayload && message.Payloads.Count == 1)
            {
                if (!SkProtection.TryOpen(message, sa.InboundCipher, out var inner, out innerOctets, out error))
                {
                    if (error.Notify == NotifyType.None)
                        sas.Drop(sa, datagram, error.DropReason, error.ToString());
                    else
                        RejectProtected(message, datagram, error);
                    return false;
                }
                sa.LastInbound = sas.Now;
                payloads = inner;
                firstInner = ((EncryptedPayload)last).FirstInnerPayload;
            }
            else
            {
                // RFC 7296 3.14: messages after IKE_SA_INIT are protected; plaintext ones are ignored.
                sas.Drop(sa, datagram, IkeDropReason.UnprotectedMessage, $"{exchange} message without an SK payload");
                return false;
            }
        }
        if (!MessageRules.TryValidate(exchange, payloads, out error))
        {
            RejectProtected(message, datagram, error);
            return false;
        }
        // RFC 9242 3.3: each IKE_INTERMEDIATE message, as received and with the keys that protected it, goes into IntAuth,
        // its SK payload's length as if unfragmented: one that cannot have such a length (a reassembly over 64 KiB, with a
        // MaxFragmentedMessage that large) is dropped.
        if (exchange == ExchangeType.IkeIntermediate)
        {
            if (innerOctets.Length > ushort.MaxValue - IkePayload.GenericHeaderSize)
            {
                sas.Drop(sa, datagram, IkeDropReason.FragmentedMessageTooLarge, $"IKE_INTERMEDIATE of {innerOctets.Length} inner octets: too long for one SK payload");
                return false;
            }
            sa.AddIntermediateMessage(message.Header.IsFromInitiator, message.Header, firstInner, innerOctets);
        }
        return true;
    }

    /// <summary>
    /// Keeps a verified fragment until its message is whole (RFC 7383 2.6). Requests and responses reassemble
    /// apart, so that crossing fragmented exchanges do not mix; the message-ID checks before decryption admit only
    /// the request expected next and the response to our outstanding request. One message holds at most
    /// <see cref="IkeEngineOptions.MaxFragmentedMessage"/> octets, and all SAs not yet authenticated together at
    /// most <see cref="IkeEngineOptions.UnauthenticatedReassemblyLimit"/>: a fragment beyond either is dropped.
    /// </summary>
    private bool TryReassemble(IkeMessage message, Datagram datagram, EncryptedFragmentPayload fragment, byte[] content, out IReadOnlyList<IkePayload> payloads,
        out byte[] innerOctets, out PayloadType firstInner)
    {
        payloads = [];
        innerOctets = [];
        firstInner = PayloadType.NoNextPayload;
        var header = message.Header;
        ref var buffer = ref header.IsResponse ? ref _responseFragments : ref _requestFragments;
        buffer ??= new FragmentBuffer(sas.Options.MaxFragmentedMessage);
        var growth = buffer.HeldAfter(header.MessageId, fragment, content.Length) - buffer.Held;
        if (growth > 0 && !IsAuthenticated)
        {
            if (!sas.TryChargeReassembly(growth))
            {
                sas.Drop(sa, datagram, IkeDropReason.ReassemblyMemoryFull, $"fragment {fragment.FragmentNumber}/{fragment.TotalFragments}: the SAs not yet authenticated hold all the fragment octets allowed");
                return false;
            }
            _charged += growth;
        }
        var result = buffer.TryAdd(header.MessageId, fragment, content, out var whole, out var first);
        if (result == FragmentBuffer.Result.Complete)
            buffer = null;
        SettleCharge();
        if (result == FragmentBuffer.Result.TooLarge)
        {
            sas.Drop(sa, datagram, IkeDropReason.FragmentedMessageTooLarge, $"fragment {fragment.FragmentNumber}/{fragment.TotalFragments}: more than {FragmentBuffer.MaxFragments} fragments or {sas.Options.MaxFragmentedMessage} octets");
            return false;
        }
        if (result == FragmentBuffer.Result.Incomplete)
            return false;
        var list = new List<IkePayload>();
        if (!PayloadChain.TryRead(first, whole, 0, list, out var error))
        {
            RejectProtected(message, datagram, error);
            return false;
        }
        payloads = list;
        innerOctets = whole;
        firstInner = first;
        return true;
    }

    /// <summary>Whether the peer has proved itself (IKE_AUTH done): until then what it makes us hold is on the engine's budget.</summary>
    private bool IsAuthenticated => sa.State is not (IkeSaState.Connecting or IkeSaState.Authenticating);

    /// <summary>
    /// Gives back to the engine's budget what this SA no longer holds on it: fragments dropped or joined, or all of
    /// it once the SA is authenticated or gone.
    /// </summary>
    internal void SettleCharge()
    {
        var held = IsAuthenticated || sa.State == IkeSaState.Destroyed ? 0 : (_requestFragments?.Held ?? 0) + (_responseFragments?.Held ?? 0);
        if (held >= _charged)
            return;
        sas.ReleaseReassembly(_charged - held);
        _charged = held;
    }

    /// <summary>
    /// An authenticated request that breaks the rules gets the RFC notify in a response (RFC 7296 2.21.2);
    /// anything else is dropped and counted.
    /// </summary>
    private void RejectProtected(IkeMessage message, Datagram datagram, ParseError error)
    {
        sas.Drop(sa, datagram, error.DropReason, error.ToString());
        if (message.Header.IsResponse || message.Header.MessageId != _expectedRequestId || error.Notify == NotifyType.None ||
            !MessageRules.IsProtected(message.Header.Exchange))
            return;
        var response = new OutgoingMessage(message.Header.Exchange, isResponse: true);
        response.AddNotify(error.Notify, error.NotifyData);
        SendResponse(response, message.Header.MessageId, datagram.Data);
    }

    private void ProcessResponse(Exchanges.IncomingMessage response)
    {
        _retransmitAt = DateTimeOffset.MaxValue;
        _outstanding = [];
        var restart = false;
        for (var i = 0; i < _active.Count; i++)
        {
            var task = _active[i];
            var status = task.Process(response);
            switch (status)
            {
                case TaskOutcome.NeedMore:
                    break;
                case TaskOutcome.Restart:
                    // The exchange starts over: the tasks after this one keep their state for the retry.
                    restart = true;
                    i = _active.Count;
                    break;
                case TaskOutcome.Success:
                    _active.RemoveAt(i--);
                    break;
                case TaskOutcome.Failed:
                    task.Abort();
                    _active.RemoveAt(i--);
                    break;
                case TaskOutcome.DestroySa:
                    sas.Destroy(sa, sa.CloseReason ?? $"{task.Type} ended the IKE SA");
                    return;
            }
        }
        if (sa.State == IkeSaState.Destroyed)
            return;
        if (restart)
        {
            // RFC 7296 2.6 and 1.2: a retried IKE_SA_INIT is a new first message, message ID zero again;
            // a retried CREATE_CHILD_SA is a new exchange with the next message ID.
            if (_activeExchange != ExchangeType.IkeSaInit)
                _nextRequestId++;
            BuildAndSendRequest();
            return;
        }
        _nextRequestId++;
        if (_active.Count > 0)
        {
            _activeExchange = sa.State != IkeSaState.Authenticating ? _active[0].Exchange
                : sa.IntermediatePending ? ExchangeType.IkeIntermediate : ExchangeType.IkeAuth;
            BuildAndSendRequest();
            return;
        }
        Initiate();
    }

    private void ProcessRequest(Exchanges.IncomingMessage request, Datagram datagram)
    {
        var exchange = request.Header.Exchange;
        if (_passive.Count == 0 && exchange == ExchangeType.IkeFollowupKe)
        {
            if (TakeFollowup(request) is not { } waiting)
            {
                RefuseUnknownFollowup(request, datagram);
                return;
            }
            _passive.Add(waiting);
        }
        if (_passive.Count == 0)
            PassiveTasks.Create(sa, request, _passive);
        var destroy = false;
        foreach (var task in _passive)
        {
            var status = task.Process(request);
            if (status == TaskOutcome.DestroySa)
            {
                destroy = true;
                break;
            }
        }
        if (!destroy && exchange != ExchangeType.IkeFollowupKe)
            FindCollisions();
        var response = new OutgoingMessage(exchange, isResponse: true);
        if (destroy && sa.FatalNotify is { } fatal)
        {
            response.AddNotify(fatal.Type, fatal.Data);
        }
        else if (!destroy)
        {
            for (var i = 0; i < _passive.Count; i++)
            {
                var status = _passive[i].Build(response);
                if (status == TaskOutcome.NeedMore && exchange is ExchangeType.CreateChildSa or ExchangeType.IkeFollowupKe)
                {
                    Park(_passive[i]);
                    _passive.RemoveAt(i--);
                    continue;
                }
                if (status == TaskOutcome.NeedMore)
                    continue;
                if (status == TaskOutcome.DestroySa)
                    destroy = true;
                _passive.RemoveAt(i--);
            }
        }
        SendResponse(response, request.Header.MessageId, datagram.Data);
        // RFC 9370 2.2.2: the response of an IKE_INTERMEDIATE exchange is protected with the keys in force before it;
        // the responder's keys change only now.
        if (!destroy)
            sa.ApplyPendingKeyUpdate();
        if (destroy)
            sas.Destroy(sa, sa.CloseReason ?? "closed on the peer's request");
        else if (sa.State != IkeSaState.Destroyed)
            Initiate();
    }

    /// <summary>
    /// RFC 9370 2.2.4: the responder keeps the state of an exchange whose additional key exchanges are to come. A peer
    /// could start many and finish none: this SA keeps <see cref="IkeEngineOptions.MaxPendingFollowups"/> at most, each for
    /// <see cref="IkeEngineOptions.FollowupKeTimeout"/>, and gives up the oldest first.
    /// </summary>
    private void Park(IkeTask task)
    {
        while (_followups.Count >= Math.Max(1, sas.Options.MaxPendingFollowups))
        {
            var oldest = _followups[0].Task;
            _followups.RemoveAt(0);
            oldest.Abort();
            sas.Failed(sa, NotifyType.None, false, $"gave up the peer's {oldest.Type} waiting for IKE_FOLLOWUP_KE: more than {sas.Options.MaxPendingFollowups} under way");
        }
        _followups.Add((task, sas.Now + sas.Options.FollowupKeTimeout));
    }

    /// <summary>The waiting task that an IKE_FOLLOWUP_KE request names by the link data of its ADDITIONAL_KEY_EXCHANGE notify.</summary>
    private IkeTask? TakeFollowup(Exchanges.IncomingMessage request)
    {
        if (request.FindNotify(NotifyType.AdditionalKeyExchange) is not { } notify)
            return null;
        var index = _followups.FindIndex(f => f.Task.FollowupLink is { } link && FollowupKeyExchanges.Matches(link, notify.Data));
        if (index < 0)
            return null;
        var task = _followups[index].Task;
        _followups.RemoveAt(index);
        return task;
    }

    /// <summary>
    /// RFC 9370 2.2.4: an IKE_FOLLOWUP_KE request whose link data names no exchange under way (never handed out, given up,
    /// or already finished) is answered STATE_NOT_FOUND; the initiator abandons the SA it was making.
    /// </summary>
    private void RefuseUnknownFollowup(Exchanges.IncomingMessage request, Datagram datagram)
    {
        sas.Failed(sa, NotifyType.StateNotFound, false, request.FindNotify(NotifyType.AdditionalKeyExchange) is null
            ? "IKE_FOLLOWUP_KE request without an ADDITIONAL_KEY_EXCHANGE notify"
            : "IKE_FOLLOWUP_KE request names no exchange under way (unknown or stale link data)");
        var response = new OutgoingMessage(ExchangeType.IkeFollowupKe, isResponse: true);
        response.AddNotify(NotifyType.StateNotFound, []);
        SendResponse(response, request.Header.MessageId, datagram.Data);
    }

    /// <summary>
    /// The one place where crossing rekeys are found (RFC 7296 2.8.1, 2.8.2): the peer's rekey of an SA that our
    /// outstanding request rekeys too. Ours is handed the peer's exchange and, when its own response arrives,
    /// keeps the new SA that <see cref="CollisionRule"/> does not call redundant; the peer's leaves the old SA
    /// for ours to settle.
    /// </summary>
    private void FindCollisions()
    {
        foreach (var passive in _passive)
        {
            if (passive is ChildRekeyTask { IsAccepted: true } theirChild &&
                _active.OfType<ChildRekeyTask>().FirstOrDefault(t => t.Old == theirChild.Old) is { } ourChild)
                ourChild.Collide(theirChild);
            else if (passive is IkeRekeyTask { IsAccepted: true } theirIke && _active.OfType<IkeRekeyTask>().FirstOrDefault() is { } ourIke)
                ourIke.Collide(theirIke);
        }
    }

    private void SendResponse(OutgoingMessage response, uint messageId, byte[] requestDatagram)
    {
        if (messageId == _expectedRequestId)
        {
            _expectedRequestId++;
            _lastRequestDatagrams.Clear();
        }
        _lastRequestDatagrams.Add(requestDatagram);
        _lastResponse = Encode(response, messageId);
        if (sas.Log.DebugEnabled)
            sas.Log.SendingResponse(sa.Config.Name, sa.Id, response.Exchange, messageId, Describe(MessageRules.InWireOrder(response.Exchange, response.Payloads)));
        SendAll(_lastResponse);
    }

    /// <summary>Writes a message in wire order; protected messages larger than the fragment size are split (RFC 7383 2.5).</summary>
    private List<byte[]> Encode(OutgoingMessage message, uint messageId)
    {
        var payloads = MessageRules.InWireOrder(message.Exchange, message.Payloads);
        var header = sa.Header(message.Exchange, message.IsResponse, messageId);
        if (!MessageRules.IsProtected(message.Exchange))
        {
            var datagram = new IkeMessage(header, payloads).ToArray();
            if (message.Exchange == ExchangeType.IkeSaInit)
            {
                if (message.IsResponse)
                    sa.InitResponse = datagram;
                else
                    sa.InitRequest = datagram;
            }
            return [datagram];
        }
        var cipher = sa.OutboundCipher ?? throw new InvalidOperationException("protected message without keys");
        // RFC 9242 3.3: each IKE_INTERMEDIATE message, as sent and with the keys that protect it, goes into IntAuth.
        if (message.Exchange == ExchangeType.IkeIntermediate)
            sa.AddIntermediateMessage(sa.IsOriginalInitiator, header, PayloadChain.FirstType(payloads), PayloadChain.ToArray(payloads));
        var whole = SkProtection.Seal(header, payloads, cipher);
        var limit = sa.Config.FragmentSize;
        if (whole.Length <= limit || !sa.PeerSupportsFragmentation || !sa.Config.Fragmentation)
            return [whole];
        var inner = PayloadChain.ToArray(payloads);
        var piece = SkProtection.MaxFragmentContent(limit, cipher);
        var total = checked((ushort)((inner.Length + piece - 1) / piece));
        var fragments = new List<byte[]>(total);
        for (ushort n = 1; n <= total; n++)
        {
            var start = (n - 1) * piece;
            var chunk = inner.AsSpan(start, Math.Min(piece, inner.Length - start));
            fragments.Add(SkProtection.SealFragment(header, PayloadChain.FirstType(payloads), n, total, chunk, cipher));
        }
        return fragments;
    }

    private void SendAll(List<byte[]> datagrams)
    {
        foreach (var d in datagrams)
            sas.Send(sa, d);
    }

    /// <summary>Sends a one-off protected request that is not retransmitted (RFC 7296 2.21.2's AUTHENTICATION_FAILED).</summary>
    public void SendOnce(ExchangeType exchange, IkePayload payload)
    {
        var header = sa.Header(exchange, false, _nextRequestId + 1);
        sas.Send(sa, SkProtection.Seal(header, [payload], sa.OutboundCipher!));
    }

    /// <summary>Retransmits with exponential back-off (RFC 7296 2.1), or gives up and closes the SA.</summary>
    public void OnTimer(DateTimeOffset now)
    {
        if (_followups.Count > 0)
            Guarded("giving up the peer's IKE_FOLLOWUP_KE", () => ExpireFollowups(now));
        if (now < _retransmitAt || _outstanding.Count == 0)
            return;
        Guarded("retransmitting", () => Retransmit(now));
    }

    /// <summary>Gives up responder tasks whose IKE_FOLLOWUP_KE request did not come in time; the SA they were making is not made.</summary>
    private void ExpireFollowups(DateTimeOffset now)
    {
        for (var i = 0; i < _followups.Count; i++)
        {
            var (task, expires) = _followups[i];
            if (now < expires)
                continue;
            _followups.RemoveAt(i--);
            task.Abort();
            sas.Failed(sa, NotifyType.None, false, $"gave up the peer's {task.Type}: no IKE_FOLLOWUP_KE request within {sas.Options.FollowupKeTimeout.TotalSeconds:0} s");
        }
    }

    private void Retransmit(DateTimeOffset now)
    {
        var options = sas.Options;
        if (_retransmits >= options.RetransmitTries)
        {
            _retransmitAt = DateTimeOffset.MaxValue;
            sas.GiveUp(sa, $"{_activeExchange} request {_nextRequestId} unanswered after {_retransmits} retransmits");
            return;
        }
        _retransmits++;
        sas.Statistics.CountRetransmit();
        _retransmitAt = now + options.RetransmitTimeout(_retransmits);
        sas.Log.Retransmitting(sa.Config.Name, sa.Id, _activeExchange, _nextRequestId, _retransmits);
        SendAll(_outstanding);
    }

    /// <summary>Aborts every task: the SA is going.</summary>
    public void AbortAll()
    {
        foreach (var t in _active.Concat(_queued).Concat(_passive).Concat(PendingFollowups))
            t.Abort();
        _followups.Clear();
        _active.Clear();
        _queued.Clear();
        _passive.Clear();
        _outstanding = [];
        _retransmitAt = DateTimeOffset.MaxValue;
        _requestFragments = null;
        _responseFragments = null;
        SettleCharge();
    }

    /// <summary>Moves the queued tasks to another SA (after an IKE SA rekey, or a failover).</summary>
    public List<IkeTask> TakeQueued()
    {
        var tasks = new List<IkeTask>(_queued);
        _queued.Clear();
        return tasks;
    }

    private static string Describe(IEnumerable<IkePayload> payloads) => string.Join(' ', payloads.Select(p => p switch
    {
        NotifyPayload n => $"N({n.NotifyType.ToRfcName()})",
        DeletePayload => "D",
        _ => p.Type switch
        {
            PayloadType.SecurityAssociation => "SA",
            PayloadType.KeyExchange => "KE",
            PayloadType.Nonce => "No",
            PayloadType.IdInitiator => "IDi",
            PayloadType.IdResponder => "IDr",
            PayloadType.Authentication => "AUTH",
            PayloadType.TrafficSelectorInitiator => "TSi",
            PayloadType.TrafficSelectorResponder => "TSr",
            PayloadType.Certificate => "CERT",
            PayloadType.CertificateRequest => "CERTREQ",
            PayloadType.VendorId => "V",
            PayloadType.Configuration => "CP",
            PayloadType.ExtensibleAuthentication => "EAP",
            _ => p.Type.ToString(),
        },
    }));
}
