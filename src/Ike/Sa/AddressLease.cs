using System.Net;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Sa;

/// <summary>
/// A virtual IP of a pool and who has it: online while the IKE SA <see cref="IkeSaId"/> of <see cref="Connection"/>
/// holds it, offline (<see cref="IkeSaId"/> null) once that SA went, kept for the same identity's return while the
/// pool has other addresses to give.
/// </summary>
public sealed record AddressLease(string Pool, IPAddress Address, Identity Identity, string? Connection, uint? IkeSaId)
{
    public bool Online => IkeSaId is not null;
}
