namespace S2SEndpoint.Esp;

// IANA "Assigned Internet Protocol Numbers": the values the ESP data path reads or writes in Next Header and
// Protocol fields. Public so that the gateway's trace names Next Header with the same values.
public static class IpProtocol
{
    public const byte HopByHop = 0;
    public const byte Icmp = 1;
    public const byte Ipv4 = 4;
    public const byte Tcp = 6;
    public const byte Udp = 17;
    public const byte Ipv6 = 41;
    public const byte Ipv6Routing = 43;
    public const byte Ipv6Fragment = 44;
    public const byte Esp = 50;
    public const byte Ah = 51;
    public const byte Icmpv6 = 58;
    public const byte NoNextHeader = 59;
    public const byte Ipv6DestinationOptions = 60;
    public const byte Sctp = 132;
    public const byte UdpLite = 136;
}
