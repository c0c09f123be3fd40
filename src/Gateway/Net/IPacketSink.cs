using System.Net;
using S2SEndpoint.Esp;

namespace S2SEndpoint.Gateway.Net;

/// <summary>
/// Where a data-path worker's packets go while it works through one batch: sealed ESP datagrams for the peer and opened
/// inner packets for a tunnel device, queued with their buffers and sent together when the batch ends (the daemon's
/// <see cref="WorkerOutput"/>). A queued buffer stays the sink's until then: the worker reads nothing new into it. Without
/// a sink the data path sends each packet at once through <see cref="IGatewayIo"/>.
/// </summary>
public interface IPacketSink
{
    void SendEsp(IPEndPoint local, IPEndPoint remote, PacketBuffer datagram);

    void WriteTun(string device, PacketBuffer packet);
}
