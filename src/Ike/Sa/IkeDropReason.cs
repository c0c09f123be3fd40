namespace S2SEndpoint.Ike.Sa;

/// <summary>
/// Why the IKE engine did not process a datagram, or answered it with a cookie instead (counted in
/// <see cref="IkeEngine.Drops"/>; the detail, with offsets and values, goes to the Debug log only). In the order a
/// datagram meets the checks: parsing, the SA it names, IKE_SA_INIT admission, the message ID, protection.
/// </summary>
public enum IkeDropReason
{
    /// <summary>A header or payload breaks RFC 7296 3 (lengths, chains, values); INVALID_SYNTAX where an answer is due.</summary>
    InvalidSyntax,

    /// <summary>A payload marked critical that this engine does not know (RFC 7296 2.5).</summary>
    UnsupportedCriticalPayload,

    /// <summary>A major version other than 2 (RFC 7296 2.5).</summary>
    InvalidMajorVersion,

    /// <summary>The SK or SKF payload did not verify: too short for its IV and ICV, misaligned, or a wrong ICV (RFC 7296 2.21.2: dropped silently).</summary>
    IntegrityCheckFailed,

    /// <summary>A message naming none of our IKE SAs.</summary>
    UnknownIkeSpi,

    /// <summary>Our SPI with another peer SPI than the SA has.</summary>
    PeerSpiMismatch,

    /// <summary>An IKE_SA_INIT request with a responder SPI, a message ID, without the Initiator flag or without a nonce.</summary>
    MalformedInitRequest,

    /// <summary>An IKE_SA_INIT request over <see cref="IkeEngineOptions.MaxInitRequest"/> octets.</summary>
    InitRequestTooLarge,

    /// <summary>No connection accepts the request's addresses.</summary>
    NoMatchingConnection,

    /// <summary><see cref="IkeEngineOptions.HalfOpenLimit"/> half-open SAs exist.</summary>
    HalfOpenLimit,

    /// <summary>The source has <see cref="IkeEngineOptions.HalfOpenPerSource"/> half-open SAs, none of them replaceable.</summary>
    HalfOpenLimitPerSource,

    /// <summary>Answered with a COOKIE instead of being processed (RFC 7296 2.6).</summary>
    CookieRequested,

    /// <summary>IKE_SA_INIT on an SA past it (RFC 7296 1.2).</summary>
    InitOnExistingSa,

    /// <summary>
    /// An IKE_INTERMEDIATE request where the SA expects none: no additional key exchange was negotiated or all are done,
    /// the SA is past IKE_AUTH, or it comes from the responder (RFC 9242 3); or an IKE_FOLLOWUP_KE request before
    /// IKE_AUTH has completed (RFC 9370 2.2.4).
    /// </summary>
    ExchangeOutOfPlace,

    /// <summary>A request whose message ID is neither the one expected nor the last one (RFC 7296 2.2).</summary>
    UnexpectedRequestMessageId,

    /// <summary>A response for no request of ours in flight.</summary>
    ResponseMatchesNoRequest,

    /// <summary>A protected message before the SA has keys.</summary>
    ProtectedBeforeKeys,

    /// <summary>A message after IKE_SA_INIT without an SK payload (RFC 7296 3.14).</summary>
    UnprotectedMessage,

    /// <summary>An SKF fragment where IKEV2_FRAGMENTATION_SUPPORTED was not announced by both sides (RFC 7383 2.5).</summary>
    FragmentNotNegotiated,

    /// <summary>A fragmented message beyond 64 fragments or <see cref="IkeEngineOptions.MaxFragmentedMessage"/> octets.</summary>
    FragmentedMessageTooLarge,

    /// <summary>The SAs not yet authenticated hold <see cref="IkeEngineOptions.UnauthenticatedReassemblyLimit"/> fragment octets already.</summary>
    ReassemblyMemoryFull,

    /// <summary>A task found a violation of the RFC in an authenticated message and answered it with a notify.</summary>
    ProtocolViolation,

    /// <summary>A fault on odd input; the IKE SA it met was closed.</summary>
    InternalError,

    /// <summary>A failure line left out by the per-source log limit (not a dropped datagram).</summary>
    LogLineSuppressed,
}
