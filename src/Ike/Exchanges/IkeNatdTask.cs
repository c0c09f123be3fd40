using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Exchanges;

/// <summary>
/// NAT detection in IKE_SA_INIT (RFC 7296 2.23). When a NAT is found on either side the initiator moves
/// to port 4500 and ESP is encapsulated in UDP (RFC 3948). With forced encapsulation the source hash is
/// faked, as strongSwan does (its kernel-libipsec peers always fake it), so that the peer sees a NAT.
/// </summary>
internal sealed class IkeNatdTask(IkeSa sa, bool initiator) : IkeTask(sa, initiator)
{
    private bool _peerSentNatd;

    public override TaskType Type => TaskType.IkeNatd;
    public override ExchangeType Exchange => ExchangeType.IkeSaInit;

    public override TaskOutcome Build(OutgoingMessage message)
    {
        if (message.Exchange != ExchangeType.IkeSaInit)
            return TaskOutcome.Success;
        if (!IsInitiator && !_peerSentNatd)
            return TaskOutcome.Success;
        var source = NatTraversal.Hash(Sa.InitiatorSpi, Sa.ResponderSpi, Sa.LocalEndpoint);
        if (Sa.Config.ForceEncapsulation)
            Sa.Context.Random.Fill(source);
        message.AddNotify(NotifyType.NatDetectionSourceIp, source);
        message.AddNotify(NotifyType.NatDetectionDestinationIp, NatTraversal.Hash(Sa.InitiatorSpi, Sa.ResponderSpi, Sa.RemoteEndpoint));
        if (!IsInitiator)
        {
            Report();
            return TaskOutcome.Success;
        }
        return TaskOutcome.NeedMore;
    }

    public override TaskOutcome Process(IncomingMessage message)
    {
        if (message.Header.Exchange != ExchangeType.IkeSaInit)
            return TaskOutcome.Success;
        var sources = message.Payloads.OfType<NotifyPayload>().Where(n => n.NotifyType == NotifyType.NatDetectionSourceIp).ToList();
        var destination = message.FindNotify(NotifyType.NatDetectionDestinationIp);
        _peerSentNatd = sources.Count > 0 && destination is not null;
        if (!_peerSentNatd)
            return IsInitiator ? TaskOutcome.Success : TaskOutcome.NeedMore;

        // The hashes use the SPIs as the message's header carries them (the responder's is zero in the request).
        var spiI = message.Header.InitiatorSpi;
        var spiR = message.Header.ResponderSpi;
        var peerAsSeen = NatTraversal.Hash(spiI, spiR, message.Remote);
        var usAsSeen = NatTraversal.Hash(spiI, spiR, message.Local);
        // RFC 7296 2.23: a source hash that matches none of the received ones means the peer is behind a NAT;
        // a destination hash that does not match our address means we are.
        Sa.RemoteBehindNat = !sources.Exists(s => s.Data.AsSpan().SequenceEqual(peerAsSeen));
        Sa.LocalBehindNat = !destination!.Data.AsSpan().SequenceEqual(usAsSeen);
        Sa.NatFaked = Sa.Config.ForceEncapsulation && !Sa.LocalBehindNat && !Sa.RemoteBehindNat;
        if (!IsInitiator)
            return TaskOutcome.NeedMore;
        Report();
        if (Sa.NatDetected)
            Sa.MoveToNatPort();
        return TaskOutcome.Success;
    }

    private void Report()
    {
        if (!Sa.NatDetected)
            return;
        var where = Sa.LocalBehindNat && Sa.RemoteBehindNat ? "both sides behind NAT" : Sa.LocalBehindNat ? "local host behind NAT"
            : Sa.RemoteBehindNat ? "remote host behind NAT" : "no NAT; faking one to enforce UDP encapsulation";
        Sa.Context.Log.NatDetected(Sa.Config.Name, Sa.Id, where);
    }
}
