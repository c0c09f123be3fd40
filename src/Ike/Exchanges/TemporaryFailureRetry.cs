using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Exchanges;

/// <summary>
/// TEMPORARY_FAILURE (RFC 7296 2.25): the responder is busy changing the SA (its own rekey or delete under
/// way). A rekey of a Child SA or of the IKE SA that gets it, and a rekey undone because the peer deleted its
/// new SA, is tried again after a short random delay.
/// </summary>
internal static class TemporaryFailureRetry
{
    /// <summary>Whether the response refuses with TEMPORARY_FAILURE.</summary>
    public static bool Refused(IncomingMessage response) => response.FindNotify(NotifyType.TemporaryFailure) is not null;

    /// <summary>
    /// When to try again. RFC 7296 2.25: retry "after a short random delay" (strongSwan: 5 to 15 s).
    /// </summary>
    public static DateTimeOffset RetryAt(IkeSa sa) =>
        sa.Context.Now + TimeSpan.FromSeconds(5) + SaTimers.Jitter(sa, TimeSpan.FromSeconds(10));
}
