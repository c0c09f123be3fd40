using System.Net;
using S2SEndpoint.Gateway.Policy;

namespace S2SEndpoint.Gateway;

/// <summary>
/// Everything the data path reads besides the ESP SA table, as one immutable object that the control plane builds
/// and publishes whole (<see cref="DataPath.Publish"/>): the children's routes by request ID, the route-based devices,
/// the outbound policies, our IKE SPIs and the peers some connection accepts. No collection here is changed after
/// it is published; a change is a new snapshot.
/// </summary>
internal sealed class DataPathSnapshot
{
    /// <summary>Each child's route by its request ID.</summary>
    public required Dictionary<uint, ChildRoute> Routes { get; init; }

    /// <summary>The request ID of each route-based child's device.</summary>
    public required Dictionary<string, uint> ReqIdOfDevice { get; init; }

    /// <summary>The policies of the policy-based children on the shared device.</summary>
    public required SecurityPolicyDatabase Policies { get; init; }

    /// <summary>Our SPIs of every IKE SA: a message naming none of them is not for an SA of ours.</summary>
    public required HashSet<ulong> KnownIkeSpis { get; init; }

    /// <summary>The remote addresses some connection accepts; null when one accepts any.</summary>
    public required HashSet<IPAddress>? AcceptedPeers { get; init; }

    public static DataPathSnapshot Empty { get; } = new()
    {
        Routes = [],
        ReqIdOfDevice = new(StringComparer.Ordinal),
        Policies = SecurityPolicyDatabase.Empty,
        KnownIkeSpis = [],
        AcceptedPeers = [],
    };
}
