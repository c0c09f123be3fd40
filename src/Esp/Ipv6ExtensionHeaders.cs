namespace S2SEndpoint.Esp;

// The IPv6 extension headers (RFC 8200 4) that IpPacket.TrySkipExtensionHeaders walked past on its way to the
// upper-layer header, so that a caller can tell a plain packet from a fragment or one that AH protects.
[Flags]
public enum Ipv6ExtensionHeaders
{
    None = 0,
    HopByHop = 1,
    Routing = 2,
    DestinationOptions = 4,
    Fragment = 8,
    Ah = 16,
}
