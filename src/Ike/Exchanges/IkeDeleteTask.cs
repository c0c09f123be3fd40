using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Exchanges;

/// <summary>
/// Deletes the IKE SA and with it every Child SA (RFC 7296 1.4.1): an INFORMATIONAL request with a
/// Delete payload for protocol IKE; the response is empty, and both sides drop the SA.
/// </summary>
internal sealed class IkeDeleteTask(IkeSa sa, bool initiator) : IkeTask(sa, initiator)
{
    public override TaskType Type => TaskType.IkeDelete;
    public override ExchangeType Exchange => ExchangeType.Informational;

    public override TaskOutcome Build(OutgoingMessage message)
    {
        if (!IsInitiator)
        {
            Sa.CloseReason = "deleted by the peer";
            return TaskOutcome.DestroySa;
        }
        Sa.State = IkeSaState.Deleting;
        message.Add(DeletePayload.IkeSa());
        return TaskOutcome.NeedMore;
    }

    public override TaskOutcome Process(IncomingMessage message)
    {
        if (IsInitiator)
        {
            Sa.CloseReason = "deleted";
            return TaskOutcome.DestroySa;
        }
        return TaskOutcome.NeedMore;
    }
}
