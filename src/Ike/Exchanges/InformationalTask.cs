using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Exchanges;

/// <summary>
/// The responder's part of every INFORMATIONAL request: an empty one is a liveness check and is always
/// answered (RFC 7296 1.4); AUTHENTICATION_FAILED from an initiator that refused our AUTH ends the SA (2.21.2).
/// </summary>
internal sealed class InformationalTask(IkeSa sa) : IkeTask(sa, false)
{
    private bool _authFailed;

    public override TaskType Type => TaskType.InformationalNotify;

    public override TaskOutcome Process(IncomingMessage message)
    {
        if (message.FindNotify(NotifyType.AuthenticationFailed) is not null)
        {
            _authFailed = true;
            Sa.CloseReason = "peer refused our authentication with AUTHENTICATION_FAILED";
            Sa.Context.Failed(Sa, NotifyType.AuthenticationFailed, true, Sa.CloseReason);
        }
        return TaskOutcome.NeedMore;
    }

    public override TaskOutcome Build(OutgoingMessage message) => _authFailed ? TaskOutcome.DestroySa : TaskOutcome.Success;
}
