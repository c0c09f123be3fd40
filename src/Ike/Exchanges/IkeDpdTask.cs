using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Exchanges;

/// <summary>
/// A liveness check (RFC 7296 2.4): an empty INFORMATIONAL request. Its response proves the peer alive;
/// if retransmissions run out, the task manager gives up and the connection's dpd_action applies.
/// </summary>
internal sealed class IkeDpdTask(IkeSa sa, bool initiator) : IkeTask(sa, initiator)
{
    public override TaskType Type => TaskType.IkeDpd;
    public override ExchangeType Exchange => ExchangeType.Informational;

    public override TaskOutcome Build(OutgoingMessage message)
    {
        Sa.Timers.DpdStarted = Sa.Context.Now;
        return TaskOutcome.NeedMore;
    }

    public override TaskOutcome Process(IncomingMessage message)
    {
        Sa.Timers.DpdStarted = null;
        return TaskOutcome.Success;
    }

    public override void Abort() => Sa.Timers.DpdStarted = null;
}
