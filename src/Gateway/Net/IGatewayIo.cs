using System.Net;

namespace S2SEndpoint.Gateway.Net;

/// <summary>
/// Where the gateway core's output goes: UDP datagrams (IKE on 500 and 4500, ESP in UDP on 4500) and
/// inner packets to a tunnel device. The daemon implements it with sockets and TUN; tests with queues.
/// </summary>
public interface IGatewayIo
{
    void SendUdp(IPEndPoint local, IPEndPoint remote, ReadOnlySpan<byte> payload);

    void WriteTun(string device, ReadOnlySpan<byte> packet);
}
