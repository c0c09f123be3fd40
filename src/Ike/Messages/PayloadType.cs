namespace S2SEndpoint.Ike.Messages;

/// <summary>IKEv2 payload types (RFC 7296 section 3.2, RFC 7383 for SKF).</summary>
public enum PayloadType : byte
{
    NoNextPayload = 0,
    SecurityAssociation = 33,
    KeyExchange = 34,
    IdInitiator = 35,
    IdResponder = 36,
    Certificate = 37,
    CertificateRequest = 38,
    Authentication = 39,
    Nonce = 40,
    Notify = 41,
    Delete = 42,
    VendorId = 43,
    TrafficSelectorInitiator = 44,
    TrafficSelectorResponder = 45,
    Encrypted = 46,
    Configuration = 47,
    ExtensibleAuthentication = 48,
    EncryptedFragment = 53,
}
