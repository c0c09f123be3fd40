namespace S2SEndpoint.Ike.Messages;

/// <summary>Identification payload ID types (RFC 7296 section 3.5).</summary>
public enum IdentificationType : byte
{
    Ipv4Address = 1,
    Fqdn = 2,
    Rfc822Address = 3,
    Ipv6Address = 5,
    DerAsn1Dn = 9,
    DerAsn1Gn = 10,
    KeyId = 11,
}
