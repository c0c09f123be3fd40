using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Exchanges;

/// <summary>
/// A violation of RFC 7296 found while a task reads an authenticated message, where the RFC answers with a
/// notify (INVALID_SYNTAX, TS_UNACCEPTABLE...). Tasks mostly report such failures through their outcome; where
/// that is awkward (deep inside a payload's meaning) they throw this, and the task manager, the one place that
/// catches it, answers a request with <see cref="Notify"/> or fails the exchange of a response. Any other
/// exception out of a task is a bug: it closes that one IKE SA and nothing else.
/// </summary>
public sealed class IkeProtocolException : Exception
{
    public IkeProtocolException()
        : this(NotifyType.InvalidSyntax, "protocol violation")
    {
    }

    public IkeProtocolException(string message)
        : this(NotifyType.InvalidSyntax, message)
    {
    }

    public IkeProtocolException(string message, Exception innerException)
        : base(message, innerException) => Notify = NotifyType.InvalidSyntax;

    public IkeProtocolException(NotifyType notify, string message)
        : base(message) => Notify = notify;

    /// <summary>The notify that answers the violation (RFC 7296 3.10.1).</summary>
    public NotifyType Notify { get; }
}
