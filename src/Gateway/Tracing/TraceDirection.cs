namespace S2SEndpoint.Gateway.Tracing;

/// <summary>Which packets `s2s trace` follows: those sealed for the wire, those opened from it, or both.</summary>
public enum TraceDirection
{
    Both,

    /// <summary>From a tunnel device to the wire: TUN, policy, SA, seal, UDP.</summary>
    Outbound,

    /// <summary>From the wire to a tunnel device: UDP, SPI, replay window, ICV, trailer, selectors, TUN.</summary>
    Inbound,
}
