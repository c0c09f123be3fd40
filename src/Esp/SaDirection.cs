namespace S2SEndpoint.Esp;

/// <summary>Which way an ESP SA carries packets: an SA is unidirectional (RFC 4301 4.1).</summary>
public enum SaDirection
{
    /// <summary>From the peer to us: opened by <see cref="Inbound"/>, found by SPI in the <see cref="SaTable"/>.</summary>
    Inbound = 0,

    /// <summary>From us to the peer: sealed by <see cref="Outbound"/>.</summary>
    Outbound = 1,
}
