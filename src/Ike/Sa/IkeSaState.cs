namespace S2SEndpoint.Ike.Sa;

/// <summary>The states of an IKE SA.</summary>
public enum IkeSaState
{
    /// <summary>Made, IKE_SA_INIT not yet completed.</summary>
    Connecting,
    /// <summary>IKE_SA_INIT done, IKE_AUTH under way.</summary>
    Authenticating,
    Established,
    Rekeying,
    /// <summary>Replaced by a rekeyed SA; waits for its delete.</summary>
    Rekeyed,
    Deleting,
    Destroyed,
}
