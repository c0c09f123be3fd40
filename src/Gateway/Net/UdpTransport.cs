using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using S2SEndpoint.Esp;

namespace S2SEndpoint.Gateway.Net;

/// <summary>
/// The gateway's UDP sockets: IKE on port 500, and IKE behind the non-ESP marker and ESP in UDP on 4500
/// (RFC 3948), one socket per local address and port, each with its own reader thread. Port 4500 carries
/// the traffic, so it has one socket per worker, bound together with SO_REUSEPORT: the kernel spreads
/// peers over them by address and port, and each peer's packets stay on one reader, in order (several
/// readers on one socket would hand consecutive packets of one tunnel to different threads, and TCP
/// inside would see them reordered).
///
/// Nothing is allocated per datagram once the peers are known: receiving fills a reused SocketAddress
/// and maps it to its IPEndPoint through a per-reader cache; sending looks up the peer's serialized
/// address in a shared cache.
/// </summary>
public sealed class UdpTransport : IDisposable
{
    /// <summary>Socket buffers sized for bursts at line rate (the kernel may cap them at net.core.rmem_max).</summary>
    private const int SocketBufferSize = 4 << 20;

    /// <summary>Cached peer addresses per reader and for sending; past this many (a spoofing flood) a cache starts over.</summary>
    private const int MaxCachedPeers = 4096;

    private readonly (IPEndPoint Local, Socket Socket)[] _sockets;
    private readonly List<Thread> _readers = [];
    private readonly ConcurrentDictionary<IPEndPoint, SocketAddress> _sendAddresses = new();
    private volatile bool _stopping;

    /// <summary>Linux's SO_REUSEPORT (socket level), which .NET does not name.</summary>
    private const int SolSocket = 1, SoReusePort = 15;

    /// <summary>Binds port 500 and, <paramref name="workers"/> times, 4500 on each address (an empty list binds the IPv4 wildcard).</summary>
    public UdpTransport(IEnumerable<IPAddress> addresses, int ikePort = 500, int natPort = UdpEncapsulation.Port, int workers = 1)
    {
        var list = addresses.Distinct().ToList();
        if (list.Count == 0)
            list.Add(IPAddress.Any);
        var sockets = new List<(IPEndPoint, Socket)>();
        try
        {
            foreach (var address in list)
            {
                foreach (var port in Enumerable.Repeat(natPort, Math.Max(1, workers)).Prepend(ikePort))
                {
                    var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
                    sockets.Add((new IPEndPoint(address, port), socket));
                    socket.ReceiveBufferSize = SocketBufferSize;
                    socket.SendBufferSize = SocketBufferSize;
                    if (port == natPort && workers > 1)
                        socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));
                    socket.Bind(new IPEndPoint(address, port));
                }
            }
        }
        catch
        {
            foreach (var (_, socket) in sockets)
                socket.Dispose();
            throw;
        }
        _sockets = [.. sockets];
    }

    /// <summary>Linux's SO_MARK (socket level): the firewall mark of what a socket sends, which routing rules can match.</summary>
    private const int SoMark = 36;

    /// <summary>
    /// Marks every packet the sockets send with <paramref name="mark"/> (SO_MARK; needs CAP_NET_ADMIN), so that routing
    /// rules keep the tunnel's own IKE and ESP out of a full tunnel's table.
    /// </summary>
    /// <exception cref="SocketException">The kernel refused (no CAP_NET_ADMIN).</exception>
    public void SetMark(uint mark)
    {
        foreach (var (_, socket) in _sockets)
            socket.SetRawSocketOption(SolSocket, SoMark, BitConverter.GetBytes(mark));
    }

    /// <summary>Starts one reader per socket; <paramref name="received"/> gets (local, remote, buffer) on the reader's thread.</summary>
    public void Start(Action<IPEndPoint, IPEndPoint, PacketBuffer> received)
    {
        for (var i = 0; i < _sockets.Length; i++)
        {
            var (local, socket) = _sockets[i];
            var thread = new Thread(() => ReadLoop(local, socket, received)) { IsBackground = true, Name = $"udp {local} #{i}" };
            _readers.Add(thread);
            thread.Start();
        }
    }

    private void ReadLoop(IPEndPoint local, Socket socket, Action<IPEndPoint, IPEndPoint, PacketBuffer> received)
    {
        var buffer = new PacketBuffer(65536 + PacketBuffer.Headroom + PacketBuffer.Tailroom);
        var from = new SocketAddress(local.AddressFamily);
        var peers = new Dictionary<SocketAddress, IPEndPoint>();
        while (!_stopping)
        {
            int length;
            try
            {
                var memory = buffer.ResetForDatagram();
                length = socket.ReceiveFrom(memory.Span, SocketFlags.None, from);
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
            received(local, PeerOf(from, local, peers), buffer);
        }
    }

    /// <summary>The IPEndPoint of a received address: from the reader's cache, or made once (and the key copied, as <paramref name="from"/> is reused).</summary>
    private static IPEndPoint PeerOf(SocketAddress from, IPEndPoint local, Dictionary<SocketAddress, IPEndPoint> peers)
    {
        if (peers.TryGetValue(from, out var peer))
            return peer;
        if (peers.Count >= MaxCachedPeers)
            peers.Clear();
        peer = (IPEndPoint)local.Create(from);
        var key = new SocketAddress(from.Family, from.Size);
        from.Buffer.Span[..from.Size].CopyTo(key.Buffer.Span);
        peers[key] = peer;
        return peer;
    }

    /// <summary>Sends from the socket bound to <paramref name="local"/> (or its port's wildcard socket). Any thread.</summary>
    public void Send(IPEndPoint local, IPEndPoint remote, ReadOnlySpan<byte> payload)
    {
        if (_stopping)
            return;
        foreach (var (endpoint, socket) in _sockets)
        {
            if (endpoint.Port == local.Port && (endpoint.Address.Equals(local.Address) || endpoint.Address.Equals(IPAddress.Any) || local.Address.Equals(IPAddress.Any)))
            {
                if (!_sendAddresses.TryGetValue(remote, out var address))
                {
                    if (_sendAddresses.Count >= MaxCachedPeers)
                        _sendAddresses.Clear();
                    address = _sendAddresses.GetOrAdd(remote, remote.Serialize());
                }
                try
                {
                    socket.SendTo(payload, SocketFlags.None, address);
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
    }
}
