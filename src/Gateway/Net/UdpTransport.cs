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
/// With no address (or with a wildcard) it listens on the wildcard of each family: 0.0.0.0, and :: with IPV6_V6ONLY
/// (two sockets per port rather than one dual-stack socket, so that an IPv4 peer is never an IPv4-mapped IPv6
/// address). A wildcard socket learns the address each datagram came to from IP_PKTINFO or IPV6_PKTINFO, hands that on
/// as the local endpoint, and sends from it what is sent from that endpoint (<see cref="SocketMessage"/>): a reply
/// leaves from the address the request came to, and IKE's NAT detection hashes the real address.
///
/// With offload, the readers of port 4500 take batches (recvmmsg into <see cref="ReceiveBatch"/>) and ask for UDP GRO,
/// splitting each coalesced datagram back into the peer's datagrams; <see cref="UdpSendBatch"/> sends with sendmmsg and
/// UDP GSO (udp(7) UDP_SEGMENT, UDP_GRO), as wireguard-go's conn package does. Without, one datagram per system call.
///
/// Nothing is allocated per datagram once the peers are known: receiving fills a reused SocketAddress
/// and maps it (and the local address) to its IPEndPoint through a per-reader cache; sending looks up the peer's
/// serialized address in a shared cache.
///
/// What it loses is counted, not logged: <see cref="Truncated"/> datagrams longer than a batched reader's buffer, and
/// <see cref="SendFailures"/> datagrams that were not sent.
/// </summary>
public sealed class UdpTransport : IDisposable
{
    /// <summary>Socket buffers sized for bursts at line rate (the kernel may cap them at net.core.rmem_max).</summary>
    private const int SocketBufferSize = 4 << 20;

    /// <summary>Cached peer addresses per reader and for sending; past this many (a spoofing flood) a cache starts over.</summary>
    private const int MaxCachedPeers = 4096;

    /// <summary>One bound socket: the endpoint it is bound to, whether that is its family's wildcard, and whether its reader takes batches.</summary>
    internal sealed record Listener(IPEndPoint Local, Socket Socket, bool Wildcard, bool Batched);

    private readonly Listener[] _sockets;
    private readonly bool _offload;
    private volatile bool _gso;
    private volatile bool _gsoProven;
    private volatile int _gsoSegmentLimit = int.MaxValue;
    private long _truncated;
    private long _sendFailures;
    private readonly HashSet<IPAddress> _asked;
    private readonly List<Thread> _readers = [];
    private readonly ConcurrentDictionary<IPEndPoint, SocketAddress> _sendAddresses = new();
    private volatile bool _stopping;

    /// <summary>Linux's SO_REUSEPORT (socket level), which .NET does not name.</summary>
    private const int SolSocket = 1, SoReusePort = 15;

    /// <summary>
    /// Binds port 500 and, <paramref name="workers"/> times, 4500 on each address. An empty list binds the wildcards of
    /// both families (the IPv6 one when the host has IPv6); a wildcard in the list stands for every address of its family.
    /// </summary>
    public UdpTransport(IEnumerable<IPAddress> addresses, int ikePort = 500, int natPort = UdpEncapsulation.Port, int workers = 1)
        : this(addresses, ikePort, natPort, workers, offload: false)
    {
    }

    /// <summary>As the constructor above; with <paramref name="offload"/>, readers take batches (recvmmsg, UDP GRO) and send batches use sendmmsg and UDP GSO where the kernel has them.</summary>
    public UdpTransport(IEnumerable<IPAddress> addresses, int ikePort, int natPort, int workers, bool offload)
    {
        var list = addresses.Distinct().ToList();
        var ipv6Optional = list.Count == 0;
        if (ipv6Optional)
            list = [IPAddress.Any, IPAddress.IPv6Any];
        // A wildcard's socket takes its family's datagrams to every address, and a specific address's socket on the
        // same port could not be bound beside it.
        var wildcardFamilies = list.Where(IsWildcard).Select(a => a.AddressFamily).ToHashSet();
        list.RemoveAll(a => !IsWildcard(a) && wildcardFamilies.Contains(a.AddressFamily));
        _asked = [.. list];
        var sockets = new List<Listener>();
        var gro = offload;
        try
        {
            foreach (var address in list)
            {
                if (!TryBind(address, ikePort, natPort, workers, offload, sockets, ref gro) && !(ipv6Optional && address.Equals(IPAddress.IPv6Any)))
                    throw new SocketException((int)SocketError.AddressFamilyNotSupported);
            }
        }
        catch
        {
            foreach (var listener in sockets)
                listener.Socket.Dispose();
            throw;
        }
        _sockets = [.. sockets];
        _offload = offload;
        Gro = gro && _sockets.Length > 0;
        _gso = offload && _sockets.Length > 0 && KernelHasGso(_sockets[0].Socket);
    }

    /// <summary>
    /// Whether send batches use UDP GSO: asked for (offload), known to the kernel, and not refused since in a way that
    /// says the kernel or the device cannot do it (<see cref="GsoFailed"/>).
    /// </summary>
    public bool Gso => _gso;

    /// <summary>
    /// GSO sends group runs of datagrams shorter than this only: the segment size of the smallest GSO send the kernel
    /// refused as too large for its route (int.MaxValue until one is).
    /// </summary>
    internal int GsoSegmentLimit => _gsoSegmentLimit;

    /// <summary>
    /// Datagrams the batched readers dropped because they were longer than a buffer (recvmmsg's MSG_TRUNC): what
    /// arrived was cut short, so none of it (no segment of a GRO datagram) reached the reader. Any thread.
    /// </summary>
    public long Truncated => Interlocked.Read(ref _truncated);

    /// <summary>
    /// Datagrams not sent: no socket to send them from (a local endpoint the transport does not listen on, or of
    /// the other family), or refused by the kernel (an unreachable route, a full socket buffer, a firewall). A GSO send
    /// the kernel refuses is sent again one datagram at a time, and counts only the datagrams refused then. Datagrams
    /// left behind by shutdown are not counted. Any thread.
    /// </summary>
    public long SendFailures => Interlocked.Read(ref _sendFailures);

    /// <summary>The size of a batched reader's buffers: room for any datagram; tests make it small to see truncation.</summary>
    internal int BatchBufferSize { get; init; } = ReceiveBatch.BufferSize;

    /// <summary>Whether the port-4500 readers receive UDP GRO datagrams: asked for (offload) and accepted on every such socket.</summary>
    public bool Gro { get; }

    /// <summary>Whether send batches and port-4500 readers use sendmmsg and recvmmsg (the constructor's offload).</summary>
    public bool Offload => _offload;

    internal bool Stopping => _stopping;

    /// <summary>The bound sockets, for tests that set options on them.</summary>
    internal IEnumerable<Socket> Sockets => _sockets.Select(l => l.Socket);

    /// <summary>Whether the kernel knows UDP_SEGMENT (since 4.18): the socket option reads back.</summary>
    private static bool KernelHasGso(Socket socket)
    {
        try
        {
            Span<byte> value = stackalloc byte[sizeof(int)];
            socket.GetRawSocketOption(SocketMessage.SolUdp, MessageBatch.UdpSegment, value);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>A GSO send went out: from now on the socket is known to do GSO, and an EINVAL is the path's MTU, whatever the segment size (<see cref="GsoFailed"/>).</summary>
    internal void GsoSent()
    {
        if (!_gsoProven)
            _gsoProven = true;
    }

    /// <summary>
    /// The largest GSO segment size a refusal with EINVAL may blame on the path: a UDP payload that fills a 1280-octet
    /// IPv6 packet, the least MTU an IPv6 link has (RFC 8200 section 5), which in practice every IPv4 path carries too.
    /// </summary>
    internal const int SegmentAnyPathCarries = 1280 - 40 - 8;

    /// <summary>
    /// A GSO send of segments of <paramref name="segment"/> octets was refused with <paramref name="errno"/> (its
    /// datagrams are sent again one at a time).
    /// <list type="bullet">
    /// <item>EIO (a device without checksum offload, an xfrm route: udp_send_skb), ENOPROTOOPT or EOPNOTSUPP: the
    /// kernel or the device cannot do GSO; it goes off for good, as wireguard-go does on EIO.</item>
    /// <item>EINVAL with a segment any path carries (<see cref="SegmentAnyPathCarries"/>) before any GSO send went out:
    /// the socket cannot (checksums off); GSO goes off for good.</item>
    /// <item>Otherwise EINVAL or EMSGSIZE: the segment and its IP and UDP headers exceed the route's MTU (udp_send_skb
    /// refuses to segment what would need fragments, which a single datagram may have); from now on runs of
    /// datagrams this long or longer go one datagram a message (<see cref="GsoSegmentLimit"/>, lowered only).</item>
    /// </list>
    /// Other errors (an unreachable route, a full buffer) are the datagrams' trouble, not GSO's. Any thread.
    /// </summary>
    internal void GsoFailed(int errno, int segment)
    {
        if (errno is MessageBatch.EIo or MessageBatch.ENoProtoOpt or MessageBatch.EOpNotSupp
            || (errno == MessageBatch.EInval && segment <= SegmentAnyPathCarries && !_gsoProven))
        {
            _gso = false;
            return;
        }
        if (errno is not (MessageBatch.EInval or MessageBatch.EMsgSize))
            return;
        var limit = _gsoSegmentLimit;
        while (segment < limit)
        {
            var seen = Interlocked.CompareExchange(ref _gsoSegmentLimit, segment, limit);
            if (seen == limit)
                return;
            limit = seen;
        }
    }

    /// <summary>Counts <paramref name="datagrams"/> datagrams not sent (<see cref="SendFailures"/>).</summary>
    internal void SendFailed(int datagrams = 1) => Interlocked.Add(ref _sendFailures, datagrams);

    /// <summary>Linux's SO_MARK (socket level): the firewall mark of what a socket sends, which routing rules can match.</summary>
    private const int SoMark = 36;

    /// <summary>
    /// Marks every packet the sockets send with <paramref name="mark"/> (SO_MARK; needs CAP_NET_ADMIN), so that routing
    /// rules keep the tunnel's own IKE and ESP out of a full tunnel's table.
    /// </summary>
    /// <exception cref="SocketException">The kernel refused (no CAP_NET_ADMIN).</exception>
    public void SetMark(uint mark)
    {
        foreach (var listener in _sockets)
            listener.Socket.SetRawSocketOption(SolSocket, SoMark, BitConverter.GetBytes(mark));
    }

    /// <summary>
    /// Binds one address's sockets; false when the host has not the address's family (IPv6 disabled). With
    /// <paramref name="offload"/> the port-4500 sockets read in batches and ask for UDP GRO; <paramref name="gro"/> turns
    /// false when one refuses it (a kernel before 5.0).
    /// </summary>
    private static bool TryBind(IPAddress address, int ikePort, int natPort, int workers, bool offload, List<Listener> sockets, ref bool gro)
    {
        var wildcard = IsWildcard(address);
        var first = true;
        foreach (var port in Enumerable.Repeat(natPort, Math.Max(1, workers)).Prepend(ikePort))
        {
            var batched = offload && !first;
            first = false;
            Socket socket;
            try
            {
                socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressFamilyNotSupported && sockets.All(l => l.Local.AddressFamily != address.AddressFamily))
            {
                return false;
            }
            sockets.Add(new Listener(new IPEndPoint(address, port), socket, wildcard, batched));
            socket.ReceiveBufferSize = SocketBufferSize;
            socket.SendBufferSize = SocketBufferSize;
            if (address.AddressFamily == AddressFamily.InterNetworkV6)
                socket.DualMode = false;
            if (wildcard)
                socket.SetSocketOption(address.AddressFamily == AddressFamily.InterNetworkV6 ? SocketOptionLevel.IPv6 : SocketOptionLevel.IP, SocketOptionName.PacketInformation, true);
            if (port == natPort && workers > 1)
                socket.SetRawSocketOption(SolSocket, SoReusePort, BitConverter.GetBytes(1));
            if (batched && !TryEnableGro(socket))
                gro = false;
            socket.Bind(new IPEndPoint(address, port));
        }
        return true;
    }

    /// <summary>The addresses listened on, as bound (a wildcard for every address of its family).</summary>
    public IReadOnlyList<IPAddress> Addresses => [.. _sockets.Select(l => l.Local.Address).Distinct()];

    /// <summary>
    /// Whether a connection with these local_addrs is served: each address bound, or its family's wildcard; no address
    /// (any) needs the wildcards of both families.
    /// </summary>
    public bool Serves(IReadOnlyCollection<IPAddress> localAddresses) => localAddresses.Count == 0
        ? _asked.Contains(IPAddress.Any) && _asked.Contains(IPAddress.IPv6Any)
        : localAddresses.All(a => _asked.Contains(a) || _asked.Contains(WildcardOf(a.AddressFamily)));

    /// <summary>
    /// What the connections' local_addrs ask the transport to bind: their addresses, or nothing (the wildcards of both
    /// families) when there is no connection or one has none (%any).
    /// </summary>
    public static IReadOnlyList<IPAddress> AddressesFor(IEnumerable<IReadOnlyList<IPAddress>> localAddresses)
    {
        var all = localAddresses.ToList();
        return all.Count == 0 || all.Exists(l => l.Count == 0) ? [] : [.. all.SelectMany(l => l).Distinct()];
    }

    /// <summary>Asks for UDP GRO datagrams on <paramref name="socket"/> (SOL_UDP UDP_GRO, since 5.0): whether the kernel took it.</summary>
    private static bool TryEnableGro(Socket socket)
    {
        try
        {
            socket.SetRawSocketOption(SocketMessage.SolUdp, SocketMessage.UdpGro, BitConverter.GetBytes(1));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    internal static bool IsWildcard(IPAddress address) => address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);

    private static IPAddress WildcardOf(AddressFamily family) => family == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any;

    /// <summary>A batch for one worker's ESP sends (<see cref="UdpSendBatch"/>).</summary>
    public UdpSendBatch CreateSendBatch() => new(this);

    /// <summary>Starts one reader per socket, each with its own <see cref="IUdpReader"/> from <paramref name="newReader"/> (called on the reader's thread).</summary>
    public void Start(Func<IUdpReader> newReader)
    {
        for (var i = 0; i < _sockets.Length; i++)
        {
            var listener = _sockets[i];
            var thread = new Thread(() => Read(listener, newReader)) { IsBackground = true, Name = $"udp {listener.Local} #{i}" };
            _readers.Add(thread);
            thread.Start();
        }
    }

    /// <summary>Starts one reader per socket; <paramref name="received"/> gets (local, remote, buffer) on the reader's thread.</summary>
    public void Start(Action<IPEndPoint, IPEndPoint, PacketBuffer> received) => Start(() => new CallbackReader(received));

    /// <summary>The reader of <see cref="Start(Action{IPEndPoint, IPEndPoint, PacketBuffer})"/>: each datagram to the callback, nothing at a batch's end.</summary>
    private sealed class CallbackReader(Action<IPEndPoint, IPEndPoint, PacketBuffer> received) : IUdpReader
    {
        public void Received(IPEndPoint local, IPEndPoint remote, PacketBuffer datagram) => received(local, remote, datagram);

        public void BatchEnd()
        {
        }
    }

    private void Read(Listener listener, Func<IUdpReader> newReader)
    {
        var reader = newReader();
        if (listener.Batched)
            ReadBatches(listener, reader);
        else
            ReadLoop(listener, reader);
    }

    private void ReadLoop(Listener listener, IUdpReader reader)
    {
        var buffer = new PacketBuffer(65536 + PacketBuffer.Headroom + PacketBuffer.Tailroom);
        var message = new SocketMessage();
        var from = new SocketAddress(listener.Local.AddressFamily);
        var nameSize = from.Size;
        var peers = new Dictionary<SocketAddress, IPEndPoint>();
        var locals = new Dictionary<(UInt128 Address, int Interface), IPEndPoint>();
        while (!_stopping)
        {
            int length;
            UInt128 address;
            int index;
            bool hasLocal;
            try
            {
                buffer.ResetForDatagram();
                length = message.Receive(listener.Socket, buffer.Array, 0, from, out address, out index, out hasLocal);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            // Closing the socket ends the loop (the read it interrupts returns nothing); an error (EINTR, or one a datagram
            // left behind) or a datagram without a whole sender address is passed over.
            if (_stopping)
                return;
            if (length < 0 || from.Size != nameSize)
                continue;
            buffer.SetLength(length);
            var local = listener.Wildcard && hasLocal ? LocalOf(address, index, listener.Local, locals) : listener.Local;
            reader.Received(local, PeerOf(from, listener.Local, peers), buffer);
            reader.BatchEnd();
        }
    }

    /// <summary>
    /// A batched reader: recvmmsg takes what is queued once a datagram is there; a GRO datagram goes to the reader as the
    /// datagrams it was coalesced from, the same buffer with its window on each segment in turn (every segment but the
    /// last is the segment size long). A message cut short to fit its buffer (MSG_TRUNC) is dropped whole and counted.
    /// </summary>
    private void ReadBatches(Listener listener, IUdpReader reader)
    {
        var batch = new ReceiveBatch(BatchBufferSize);
        var from = new SocketAddress(listener.Local.AddressFamily);
        var nameSize = from.Size;
        var peers = new Dictionary<SocketAddress, IPEndPoint>();
        var locals = new Dictionary<(UInt128 Address, int Interface), IPEndPoint>();
        while (!_stopping)
        {
            int count;
            try
            {
                count = batch.Receive(listener.Socket);
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            if (_stopping)
                return;
            if (count <= 0)
                continue;
            for (var i = 0; i < count; i++)
            {
                if (batch.Truncated(i))
                {
                    Interlocked.Increment(ref _truncated);
                    continue;
                }
                batch.ReadName(i, from);
                if (from.Size != nameSize)
                    continue;
                var hasLocal = batch.ReadControl(i, out var address, out var index, out var segment);
                var local = listener.Wildcard && hasLocal ? LocalOf(address, index, listener.Local, locals) : listener.Local;
                var remote = PeerOf(from, listener.Local, peers);
                var buffer = batch.Buffer(i);
                var length = batch.Length(i);
                if (segment <= 0 || segment >= length)
                {
                    buffer.SetWindow(0, length);
                    reader.Received(local, remote, buffer);
                    continue;
                }
                for (var at = 0; at < length; at += segment)
                {
                    buffer.SetWindow(at, Math.Min(segment, length - at));
                    reader.Received(local, remote, buffer);
                }
            }
            reader.BatchEnd();
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

    /// <summary>The local endpoint a wildcard socket's datagram came to (IP_PKTINFO, IPV6_PKTINFO): from the reader's cache, or made once.</summary>
    private static IPEndPoint LocalOf(UInt128 address, int index, IPEndPoint bound, Dictionary<(UInt128, int), IPEndPoint> locals)
    {
        if (locals.TryGetValue((address, index), out var local))
            return local;
        if (locals.Count >= MaxCachedPeers)
            locals.Clear();
        local = new IPEndPoint(SocketMessage.AddressOf(address, bound.AddressFamily, index), bound.Port);
        locals[(address, index)] = local;
        return local;
    }

    /// <summary>
    /// Sends from <paramref name="local"/>: from the socket bound to its address, else from its family's wildcard socket
    /// with the address as source (a wildcard <paramref name="local"/> lets the routes pick it). A datagram that cannot be
    /// sent is counted (<see cref="SendFailures"/>), never thrown. Any thread.
    /// </summary>
    public void Send(IPEndPoint local, IPEndPoint remote, ReadOnlySpan<byte> payload)
    {
        if (_stopping)
            return;
        if (Pick(local, remote.AddressFamily) is not { } listener)
        {
            SendFailed();
            return;
        }
        var address = SendAddressOf(remote);
        try
        {
            if (listener.Wildcard && !IsWildcard(local.Address))
            {
                if (SocketMessage.ForThisThread.Send(listener.Socket, payload, address, local.Address) < 0)
                    SendFailed();
            }
            else
            {
                listener.Socket.SendTo(payload, SocketFlags.None, address);
            }
        }
        catch (SocketException)
        {
            // Unreachable peers are IKE's to notice (retransmission, liveness), and the path lives on: counted only.
            SendFailed();
        }
        catch (ObjectDisposedException)
        {
            // A socket closed by shutdown takes nothing more.
        }
    }

    /// <summary>The serialized address of a peer to send to, from the shared cache (made once per peer).</summary>
    internal SocketAddress SendAddressOf(IPEndPoint remote)
    {
        if (!_sendAddresses.TryGetValue(remote, out var address))
        {
            if (_sendAddresses.Count >= MaxCachedPeers)
                _sendAddresses.Clear();
            address = _sendAddresses.GetOrAdd(remote, remote.Serialize());
        }
        return address;
    }

    /// <summary>
    /// The socket to send from <paramref name="local"/> to a peer of <paramref name="family"/>: the one bound to the
    /// local address and port, else the port's wildcard socket of the family; for a wildcard local address, any of the
    /// family's sockets on the port.
    /// </summary>
    internal Listener? Pick(IPEndPoint local, AddressFamily family)
    {
        var any = IsWildcard(local.Address);
        if (!any && local.AddressFamily != family)
            return null;
        Listener? wildcard = null, first = null;
        foreach (var listener in _sockets)
        {
            if (listener.Local.Port != local.Port || listener.Local.AddressFamily != family)
                continue;
            if (!any && listener.Local.Address.Equals(local.Address))
                return listener;
            if (listener.Wildcard)
                wildcard ??= listener;
            first ??= listener;
        }
        return wildcard ?? (any ? first : null);
    }

    public void Dispose()
    {
        _stopping = true;
        foreach (var listener in _sockets)
            listener.Socket.Dispose();
        foreach (var t in _readers)
            t.Join(TimeSpan.FromSeconds(2));
    }
}
