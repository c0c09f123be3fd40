using System.Net;

namespace S2SEndpoint.Gateway.Net;

/// <summary>
/// Where the gateway core's output goes: UDP datagrams (IKE on 500 and 4500, ESP in UDP on 4500), inner packets to a
/// tunnel device, and the carrier of route-based tunnel devices. The daemon implements it with sockets and TUN; tests
/// with queues.
/// </summary>
public interface IGatewayIo
{
    void SendUdp(IPEndPoint local, IPEndPoint remote, ReadOnlySpan<byte> payload);

    void WriteTun(string device, ReadOnlySpan<byte> packet);

    /// <summary>
    /// Carrier follows the child: the control plane turns a route-based child's device's carrier on when the child's
    /// first Child SA is installed and off when its last one is gone, after it applied the kernel's changes (never from
    /// the data path, never inside an engine call). It tells only changes; such a device is opened without carrier.
    /// </summary>
    void SetCarrier(string device, bool up);

    /// <summary>
    /// A virtual IP the peer of <paramref name="connection"/> gave this host (RFC 7296 2.19) goes on <paramref name="device"/>
    /// (<paramref name="present"/>) and becomes the source of the connection's routes there, or leaves it once its IKE SA
    /// went. Told by the control plane after it applied the kernel's changes; only changes are told.
    /// </summary>
    void SetVirtualIp(string connection, string device, IPAddress address, bool present);
}
