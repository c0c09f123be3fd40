namespace S2SEndpoint.Esp;

/// <summary>Where an SA stands against its lifetime (RFC 4301 4.4.2.1, "Lifetime of this SA").</summary>
public enum LifetimeStage
{
    /// <summary>Below every limit.</summary>
    Active = 0,

    /// <summary>A soft limit was reached: the SA still works, and IKE should rekey it now.</summary>
    SoftExpired = 1,

    /// <summary>A hard limit was reached: the SA carries no more packets and should be deleted.</summary>
    HardExpired = 2,
}
