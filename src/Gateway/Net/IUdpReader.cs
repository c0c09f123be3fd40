using System.Net;
using S2SEndpoint.Esp;

namespace S2SEndpoint.Gateway.Net;

/// <summary>
/// What one reader thread of <see cref="UdpTransport"/> hands its datagrams to: <see cref="Received"/> for each datagram
/// of a batch (a UDP GRO datagram already split into the datagrams the peer sent), then <see cref="BatchEnd"/> once the
/// batch is handed over, so that what the datagrams caused (TUN writes, sends) goes out together. A datagram's buffer is
/// the reader's again after BatchEnd returns; until then its octets stay where they are.
/// </summary>
public interface IUdpReader
{
    void Received(IPEndPoint local, IPEndPoint remote, PacketBuffer datagram);

    void BatchEnd();
}
