namespace S2SEndpoint.Ike.Messages;

/// <summary>IKE header flags (RFC 7296 section 3.1): bit 3 Initiator, bit 4 Version, bit 5 Response.</summary>
[Flags]
public enum HeaderFlags : byte
{
    None = 0,
    Initiator = 0x08,
    Version = 0x10,
    Response = 0x20,
}
