namespace S2SEndpoint.Ike.Messages;

/// <summary>
/// IKEv2 notify message types (RFC 7296 section 3.10.1 and the IANA "IKEv2 Notify Message Error Types"
/// and "Status Types" registries). Values below 16384 are errors; an unknown value is kept by number.
/// </summary>
public enum NotifyType : ushort
{
    /// <summary>Reserved value 0: used by this library for "no notify applies, drop the message silently".</summary>
    None = 0,

    // Error types.
    UnsupportedCriticalPayload = 1,
    InvalidIkeSpi = 4,
    InvalidMajorVersion = 5,
    InvalidSyntax = 7,
    InvalidMessageId = 9,
    InvalidSpi = 11,
    NoProposalChosen = 14,
    InvalidKePayload = 17,
    AuthenticationFailed = 24,
    SinglePairRequired = 34,
    NoAdditionalSas = 35,
    InternalAddressFailure = 36,
    FailedCpRequired = 37,
    TsUnacceptable = 38,
    InvalidSelectors = 39,
    UnacceptableAddresses = 40,
    UnexpectedNatDetected = 41,
    UseAssignedHoA = 42,
    TemporaryFailure = 43,
    ChildSaNotFound = 44,
    InvalidGroupId = 45,
    AuthorizationFailed = 46,
    StateNotFound = 47,
    TsMaxQueue = 48,

    // Status types.
    InitialContact = 16384,
    SetWindowSize = 16385,
    AdditionalTsPossible = 16386,
    IpcompSupported = 16387,
    NatDetectionSourceIp = 16388,
    NatDetectionDestinationIp = 16389,
    Cookie = 16390,
    UseTransportMode = 16391,
    HttpCertLookupSupported = 16392,
    RekeySa = 16393,
    EspTfcPaddingNotSupported = 16394,
    NonFirstFragmentsAlso = 16395,
    MobikeSupported = 16396,
    AdditionalIp4Address = 16397,
    AdditionalIp6Address = 16398,
    NoAdditionalAddresses = 16399,
    UpdateSaAddresses = 16400,
    Cookie2 = 16401,
    NoNatsAllowed = 16402,
    AuthLifetime = 16403,
    MultipleAuthSupported = 16404,
    AnotherAuthFollows = 16405,
    RedirectSupported = 16406,
    Redirect = 16407,
    RedirectedFrom = 16408,
    TicketLtOpaque = 16409,
    TicketRequest = 16410,
    TicketAck = 16411,
    TicketNack = 16412,
    TicketOpaque = 16413,
    LinkId = 16414,
    UseWespMode = 16415,
    RohcSupported = 16416,
    EapOnlyAuthentication = 16417,
    ChildlessIkev2Supported = 16418,
    QuickCrashDetection = 16419,
    Ikev2MessageIdSyncSupported = 16420,
    IpsecReplayCounterSyncSupported = 16421,
    Ikev2MessageIdSync = 16422,
    IpsecReplayCounterSync = 16423,
    SecurePasswordMethods = 16424,
    PskPersist = 16425,
    PskConfirm = 16426,
    ErxSupported = 16427,
    IfomCapability = 16428,
    SenderRequestId = 16429,
    Ikev2FragmentationSupported = 16430,
    SignatureHashAlgorithms = 16431,
    CloneIkeSaSupported = 16432,
    CloneIkeSa = 16433,
    Puzzle = 16434,
    UsePpk = 16435,
    PpkIdentity = 16436,
    NoPpkAuth = 16437,
    IntermediateExchangeSupported = 16438,
    Ip4Allowed = 16439,
    Ip6Allowed = 16440,
    AdditionalKeyExchange = 16441,
    UseAggfrag = 16442,
    SupportedAuthMethods = 16443,
    SaResourceInfo = 16444,
}

/// <summary>Helpers for notify types.</summary>
public static class NotifyTypes
{
    /// <summary>RFC 7296 3.10.1: "Types in the range 0 - 16383 are intended for reporting errors."</summary>
    public static bool IsError(this NotifyType type) => (ushort)type < 16384;

    /// <summary>The RFC name (INVALID_KE_PAYLOAD), or the number for a type this build does not know.</summary>
    public static string ToRfcName(this NotifyType type)
    {
        if (!Enum.IsDefined(type))
            return ((ushort)type).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return RfcNames.FromPascalCase(type.ToString());
    }
}
