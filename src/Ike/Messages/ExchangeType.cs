namespace S2SEndpoint.Ike.Messages;

/// <summary>IKEv2 exchange types (RFC 7296 section 3.1, IANA "IKEv2 Exchange Types").</summary>
public enum ExchangeType : byte
{
    IkeSaInit = 34,
    IkeAuth = 35,
    CreateChildSa = 36,
    Informational = 37,
    IkeSessionResume = 38,
    IkeIntermediate = 43,
    IkeFollowupKe = 44,
}
