using System.Net;
using System.Net.Sockets;
using S2SEndpoint.Esp;

namespace S2SEndpoint.Gateway.Net;

/// <summary>
/// The gateway's UDP sockets: IKE on port 500, and IKE behind the non-ESP marker and ESP in UDP on 4500
/// (RFC 3948), one socket per local address and port, each read by its own thread into a pooled buffer.
/// </summary>
public sealed class UdpTransport : IDisposable
{
    private readonly List<(IPEndPoint Local, Socket Socket)> _sockets = [];
    private readonly List<Thread> _readers = [];
    private volatile bool _stopping;

    /// <summary>Binds port 500 and 4500 on each address (an empty list binds the IPv4 wildcard).</summary>
    public UdpTransport(IEnumerable<IPAddress> addresses, int ikePort = 500, int natPort = UdpEncapsulation.Port)
    {
        var list = addresses.Distinct().ToList();
        if (list.Count == 0)
            list.Add(IPAddress.Any);
        try
        {
            foreach (var address in list)
            {
                foreach (var port in new[] { ikePort, natPort })
                {
                    var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                    socket.Bind(new IPEndPoint(address, port));
                    _sockets.Add((new IPEndPoint(address, port), socket));
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Starts one reader thread per socket; <paramref name="received"/> gets (local, remote, buffer).</summary>
    public void Start(Action<IPEndPoint, IPEndPoint, PacketBuffer> received)
    {
        foreach (var (local, socket) in _sockets)
        {
            var thread = new Thread(() => ReadLoop(local, socket, received)) { IsBackground = true, Name = $"udp {local}" };
            _readers.Add(thread);
            thread.Start();
        }
    }

    private void ReadLoop(IPEndPoint local, Socket socket, Action<IPEndPoint, IPEndPoint, PacketBuffer> received)
    {
        var buffer = new PacketBuffer(65536 + PacketBuffer.Headroom + PacketBuffer.Tailroom);
        EndPoint from = new IPEndPoint(local.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
        while (!_stopping)
        {
            int length;
            try
            {
                var memory = buffer.ResetForDatagram();
                length = socket.ReceiveFrom(memory.Span, SocketFlags.None, ref from);
            }
            catch (SocketException) when (!_stopping)
            {
                continue;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }
            buffer.SetLength(length);
            received(local, (IPEndPoint)from, buffer);
        }
    }

    /// <summary>Sends from the socket bound to <paramref name="local"/> (or its port's wildcard socket).</summary>
    public void Send(IPEndPoint local, IPEndPoint remote, ReadOnlySpan<byte> payload)
    {
        if (_stopping)
            return;
        foreach (var (endpoint, socket) in _sockets.ToArray())
        {
            if (endpoint.Port == local.Port && (endpoint.Address.Equals(local.Address) || endpoint.Address.Equals(IPAddress.Any) || local.Address.Equals(IPAddress.Any)))
            {
                try
                {
                    socket.SendTo(payload, SocketFlags.None, remote);
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    // Unreachable peers are IKE's to notice (retransmission, liveness); a socket closed by shutdown
                    // takes nothing more. The path lives on either way.
                }
                return;
            }
        }
    }

    public void Dispose()
    {
        _stopping = true;
        foreach (var (_, socket) in _sockets)
            socket.Dispose();
        foreach (var t in _readers)
            t.Join(TimeSpan.FromSeconds(2));
        _sockets.Clear();
    }
}
