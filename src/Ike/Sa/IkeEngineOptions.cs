namespace S2SEndpoint.Ike.Sa;

/// <summary>Engine-wide settings: retransmission (strongSwan's defaults) and the limits that bound half-open SAs.</summary>
public sealed record IkeEngineOptions
{
    /// <summary>First retransmission timeout (strongSwan retransmit_timeout, 4 s).</summary>
    public TimeSpan RetransmitBase { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Back-off factor (strongSwan retransmit_base, 1.8).</summary>
    public double RetransmitFactor { get; init; } = 1.8;

    /// <summary>Retransmissions before giving up (strongSwan retransmit_tries, 5).</summary>
    public int RetransmitTries { get; init; } = 5;

    /// <summary>Half-open SAs beyond which IKE_SA_INIT requests must carry a COOKIE (RFC 7296 2.6).</summary>
    public int CookieThreshold { get; init; } = 10;

    /// <summary>Half-open SAs beyond which new IKE_SA_INIT requests are dropped outright.</summary>
    public int HalfOpenLimit { get; init; } = 1000;

    /// <summary>Half-open SAs one source (an IPv4 address, an IPv6 /64) may have; more requests from it are dropped (strongSwan's block_threshold).</summary>
    public int HalfOpenPerSource { get; init; } = 5;

    /// <summary>The largest IKE_SA_INIT request taken, in octets (strongSwan's max_packet, 10000): a half-open SA keeps it for IKE_AUTH.</summary>
    public int MaxInitRequest { get; init; } = 10_000;

    /// <summary>The most octets one fragmented message may reassemble to (RFC 7383 leaves it open; a certificate chain fits).</summary>
    public int MaxFragmentedMessage { get; init; } = 32 * 1024;

    /// <summary>
    /// The most fragment octets all SAs not yet authenticated may hold together (RFC 7383 2.6 warns that unauthenticated
    /// fragments cost memory): beyond it their fragments are dropped until some are joined or their SAs go.
    /// </summary>
    public long UnauthenticatedReassemblyLimit { get; init; } = 8 * 1024 * 1024;

    /// <summary>How long a half-open SA may wait for its IKE_AUTH.</summary>
    public TimeSpan HalfOpenTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a responder keeps the state of a CREATE_CHILD_SA exchange whose IKE_FOLLOWUP_KE requests have yet to come
    /// (RFC 9370 2.2.4); a request after that is answered STATE_NOT_FOUND.
    /// </summary>
    public TimeSpan FollowupKeTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How many such half-done exchanges one IKE SA holds at most; a new one beyond this ends the oldest.</summary>
    public int MaxPendingFollowups { get; init; } = 2;

    /// <summary>Nonce length sent (RFC 7296 2.10: at least half the PRF key size, at least 16; strongSwan sends 32).</summary>
    public int NonceSize { get; init; } = 32;

    /// <summary>How often the data plane's counters are read when a Child SA has byte or packet limits.</summary>
    public TimeSpan UsagePollInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Told the keys of every IKE SA when it is keyed and when it goes, for export to a protocol analyser; null (the
    /// default) reports nothing. Keys never reach the engine's log either way.
    /// </summary>
    public IIkeKeyLog? KeyLog { get; init; }

    public TimeSpan RetransmitTimeout(int retransmit) =>
        TimeSpan.FromTicks((long)(RetransmitBase.Ticks * Math.Pow(RetransmitFactor, retransmit)));
}
