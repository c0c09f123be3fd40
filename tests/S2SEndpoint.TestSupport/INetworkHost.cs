using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.TestSupport;

/// <summary>
/// Something on a <see cref="MemoryNetwork{THost}"/>: an IKE engine, a gateway core. Datagrams are seen from their
/// holder's side: what a host sent has its own address as <see cref="Datagram.Local"/>; what it receives has its own
/// address (the destination) as <see cref="Datagram.Local"/> and the sender as <see cref="Datagram.Remote"/>.
/// </summary>
public interface INetworkHost
{
    /// <summary>The datagrams sent since the last call, in the order they were sent.</summary>
    IReadOnlyList<Datagram> TakeSent();

    /// <summary>Hands the host one datagram that arrived for it.</summary>
    void Receive(Datagram datagram);
}
