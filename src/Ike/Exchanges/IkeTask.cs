using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Exchanges;

/// <summary>What a task says after building or processing its part of a message.</summary>
internal enum TaskOutcome
{
    /// <summary>The task is done and leaves the task manager.</summary>
    Success,
    /// <summary>The task has more to do in the next message of the same flow (IKE_SA_INIT then IKE_AUTH).</summary>
    NeedMore,
    /// <summary>The task failed; the IKE SA lives on (a Child SA that could not be created).</summary>
    Failed,
    /// <summary>The exchange must start over as a new message with the same tasks (INVALID_KE_PAYLOAD, COOKIE).</summary>
    Restart,
    /// <summary>The IKE SA must go: after an unrecoverable error or a completed delete.</summary>
    DestroySa,
}

/// <summary>
/// The kinds of tasks, in the order an established SA runs its queued ones: delete before create before
/// rekey before liveness (STYLE.md, as strongSwan's task manager).
/// </summary>
internal enum TaskType
{
    IkeInit,
    IkeNatd,
    IkeIntermediate,
    IkeAuth,
    IkeConfig,
    IkeDelete,
    ChildDelete,
    ChildCreate,
    ChildRekey,
    IkeRekey,
    IkeDpd,
    InformationalNotify,
}

/// <summary>
/// One step of an exchange, as in strongSwan's libcharon tasks: it builds or processes its part of a
/// message and reports a <see cref="TaskOutcome"/>. Its role is fixed when it is made: an initiator task
/// builds requests and processes responses, a responder task processes requests and builds responses.
/// Tasks take no locks and do no I/O; they change their IKE SA and ask the kernel interface for SPIs
/// and installs.
/// </summary>
internal abstract class IkeTask(IkeSa sa, bool initiator)
{
    protected IkeSa Sa { get; } = sa;

    public bool IsInitiator { get; } = initiator;

    public abstract TaskType Type { get; }

    /// <summary>Initiator: adds payloads to a request. Responder: adds payloads to the response.</summary>
    public abstract TaskOutcome Build(OutgoingMessage message);

    /// <summary>Initiator: reads a response. Responder: reads a request.</summary>
    public abstract TaskOutcome Process(IncomingMessage message);

    /// <summary>The exchange this task's request travels in, when it starts an exchange on an established SA.</summary>
    public virtual Messages.ExchangeType Exchange => Messages.ExchangeType.Informational;

    /// <summary>
    /// Responder: the link data handed out in the ADDITIONAL_KEY_EXCHANGE notify of the last response, while the task waits
    /// for an IKE_FOLLOWUP_KE request (RFC 9370 2.2.4); null otherwise.
    /// </summary>
    public virtual byte[]? FollowupLink => null;

    /// <summary>Called when the task leaves without success (the SA goes, the exchange timed out).</summary>
    public virtual void Abort()
    {
    }
}
