using System.Net;
using System.Runtime.InteropServices;
using S2SEndpoint.Esp;

namespace S2SEndpoint.Gateway.Net;

// The last step of the outbound data path (TUN, policy, seal, UDP): a worker queues its sealed ESP datagrams here and
// flushes them once per batch. With offload, Flush turns the queue into sendmmsg messages, one run per message:
//
//   datagrams  [A 1400][A 1400][A 1400][A 900][B 1400][A 1400]
//   messages   [A: 4 iovecs, UDP_SEGMENT 1400  ][B: 1 iovec][A: 1 iovec]
//
// A run is consecutive datagrams on one socket, from one source, to one peer, all as long as the first but the last,
// which may be shorter but not empty (udp(7) UDP_SEGMENT: the kernel joins the iovecs and cuts them every segment size octets), at
// most MessageBatch.MaxSegments of them and one UDP payload's worth of octets. Nothing is copied: an iovec points into
// the datagram's own pinned PacketBuffer array. A wildcard socket sending from a specific address adds IP_PKTINFO or
// IPV6_PKTINFO, as SocketMessage does. Without offload, each datagram goes out through UdpTransport.Send.
//
// When the kernel refuses a GSO message, its datagrams go again one message each, and the transport learns from the
// error (UdpTransport.GsoFailed): a kernel or device that cannot do GSO turns it off for good; a segment too long for
// the route's MTU (udp_send_skb will not segment into fragments, though a single datagram may be fragmented) keeps runs
// of datagrams that long or longer out of GSO sends from then on. A datagram that is not sent at all (no socket for
// its local endpoint, or refused as a message of its own) is counted in UdpTransport.SendFailures.

/// <summary>
/// One worker's outgoing ESP datagrams, sent together at <see cref="Flush"/>: with offload, runs of datagrams of one size
/// from one local endpoint to one peer leave as one UDP GSO send, and the runs of a batch in one sendmmsg; without, one
/// send each. Not shareable: one per worker thread.
/// </summary>
public sealed class UdpSendBatch
{
    /// <summary>Datagrams a batch holds; the next <see cref="Add"/> flushes a full one first.</summary>
    public const int Capacity = 64;

    /// <summary>Room per message for the peer's address (sockaddr_in6, rounded up) and for IP_PKTINFO and UDP_SEGMENT.</summary>
    private const int NameStride = 32, ControlStride = SocketMessage.SourceControlSize + MessageBatch.SegmentControlSize;

    private readonly UdpTransport _transport;

    private readonly byte[]?[] _arrays = new byte[Capacity][];
    private readonly int[] _offsets = new int[Capacity];
    private readonly int[] _lengths = new int[Capacity];
    private readonly IPEndPoint?[] _locals = new IPEndPoint[Capacity];
    private readonly IPEndPoint?[] _remotes = new IPEndPoint[Capacity];
    private int _count;

    private readonly MessageBatch.MMsgHdr[] _messages = GC.AllocateArray<MessageBatch.MMsgHdr>(Capacity, pinned: true);
    private readonly SocketMessage.IoVec[] _iov = GC.AllocateArray<SocketMessage.IoVec>(Capacity, pinned: true);
    private readonly byte[] _names = GC.AllocateArray<byte>(Capacity * NameStride, pinned: true);
    private readonly byte[] _controls = GC.AllocateArray<byte>(Capacity * ControlStride, pinned: true);

    /// <summary>Per message: its first datagram, how many datagrams it carries, and whether it is a GSO send.</summary>
    private readonly int[] _first = new int[Capacity];
    private readonly int[] _datagrams = new int[Capacity];
    private readonly bool[] _segmented = new bool[Capacity];

    internal UdpSendBatch(UdpTransport transport) => _transport = transport;

    /// <summary>How many datagrams are queued.</summary>
    public int Count => _count;

    /// <summary>
    /// Queues <paramref name="datagram"/>'s window for <paramref name="remote"/> from <paramref name="local"/>. Its octets
    /// must stay where they are until <see cref="Flush"/>; a full batch flushes first.
    /// </summary>
    public void Add(IPEndPoint local, IPEndPoint remote, PacketBuffer datagram)
    {
        if (_count == Capacity)
            Flush();
        _arrays[_count] = datagram.Array;
        _offsets[_count] = datagram.Offset;
        _lengths[_count] = datagram.Length;
        _locals[_count] = local;
        _remotes[_count] = remote;
        _count++;
    }

    /// <summary>Sends what was queued, in order; the queued buffers are their owners' again.</summary>
    public void Flush()
    {
        if (_count == 0)
            return;
        if (_transport.Offload)
            SendMessages();
        else
            SendEach();
        System.Array.Clear(_arrays, 0, _count);
        System.Array.Clear(_locals, 0, _count);
        System.Array.Clear(_remotes, 0, _count);
        _count = 0;
    }

    private void SendEach()
    {
        for (var i = 0; i < _count; i++)
            _transport.Send(_locals[i]!, _remotes[i]!, _arrays[i].AsSpan(_offsets[i], _lengths[i]));
    }

    /// <summary>
    /// Sends the queue as sendmmsg messages, one call per stretch of datagrams on one socket. A message of one datagram
    /// the kernel refuses is counted and passed over (as <see cref="UdpTransport.Send"/> does) and the call goes on with
    /// the rest; a refused GSO message is built again from its datagrams, one message each.
    /// </summary>
    private void SendMessages()
    {
        var next = 0;
        var singlesBefore = 0;
        while (next < _count)
        {
            if (_transport.Stopping)
                return;
            if (_transport.Pick(_locals[next]!, _remotes[next]!.AddressFamily) is not { } listener)
            {
                _transport.SendFailed();
                next++;
                continue;
            }
            var messages = Build(next, listener, singlesBefore, out var end);
            next = end;
            var sent = 0;
            while (sent < messages)
            {
                int count;
                try
                {
                    count = MessageBatch.SendMMsg(listener.Socket.SafeHandle, Marshal.UnsafeAddrOfPinnedArrayElement(_messages, sent), (uint)(messages - sent), 0);
                }
                catch (ObjectDisposedException)
                {
                    return;
                }
                if (count > 0)
                {
                    for (var m = sent; m < sent + count; m++)
                    {
                        if (_segmented[m])
                            _transport.GsoSent();
                    }
                    sent += count;
                    continue;
                }
                var errno = Marshal.GetLastPInvokeError();
                if (errno == MessageBatch.EIntr)
                    continue;
                if (_segmented[sent])
                {
                    _transport.GsoFailed(errno, _lengths[_first[sent]]);
                    next = _first[sent];
                    singlesBefore = _first[sent] + _datagrams[sent];
                    break;
                }
                _transport.SendFailed();
                sent++;
            }
        }
    }

    /// <summary>The messages a flush would send now, as (first datagram, datagrams, GSO), without sending (tests).</summary>
    internal List<(int First, int Datagrams, bool Segmented)> Plan()
    {
        var plan = new List<(int, int, bool)>();
        var next = 0;
        while (next < _count)
        {
            if (_transport.Pick(_locals[next]!, _remotes[next]!.AddressFamily) is not { } listener)
            {
                next++;
                continue;
            }
            var messages = Build(next, listener, 0, out next);
            for (var m = 0; m < messages; m++)
                plan.Add((_first[m], _datagrams[m], _segmented[m]));
        }
        return plan;
    }

    /// <summary>
    /// Builds the messages for the datagrams from <paramref name="start"/> on that leave from <paramref name="listener"/>'s
    /// socket, up to the first that does not (<paramref name="end"/>); datagrams before <paramref name="singlesBefore"/>,
    /// and all of them when the transport has GSO off, go one message each, and a run only groups datagrams shorter than
    /// the transport's <see cref="UdpTransport.GsoSegmentLimit"/>. Returns how many messages.
    /// </summary>
    private int Build(int start, UdpTransport.Listener listener, int singlesBefore, out int end)
    {
        var gso = _transport.Gso;
        var limit = _transport.GsoSegmentLimit;
        var messages = 0;
        var maxPayload = listener.Local.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? MessageBatch.MaxIpv6Payload : MessageBatch.MaxIpv4Payload;
        var i = start;
        while (i < _count && (i == start || ReferenceEquals(_transport.Pick(_locals[i]!, _remotes[i]!.AddressFamily), listener)))
        {
            var local = _locals[i]!;
            var remote = _remotes[i]!;
            var segment = _lengths[i];
            var total = segment;
            var j = i + 1;
            if (gso && i >= singlesBefore && segment > 0 && segment < limit && segment <= maxPayload)
            {
                while (j < _count && j - i < MessageBatch.MaxSegments && _lengths[j] > 0 && _lengths[j] <= segment && total + _lengths[j] <= maxPayload
                    && SameRoute(listener, i, j) && ReferenceEquals(_transport.Pick(_locals[j]!, _remotes[j]!.AddressFamily), listener))
                {
                    total += _lengths[j];
                    j++;
                    if (_lengths[j - 1] < segment)
                        break;
                }
            }
            for (var d = i; d < j; d++)
                _iov[d] = new SocketMessage.IoVec { Base = Marshal.UnsafeAddrOfPinnedArrayElement(_arrays[d]!, _offsets[d]), Length = (nuint)_lengths[d] };

            var address = _transport.SendAddressOf(remote);
            address.Buffer.Span[..address.Size].CopyTo(_names.AsSpan(messages * NameStride, NameStride));
            var control = _controls.AsSpan(messages * ControlStride, ControlStride);
            var controlLength = 0;
            if (listener.Wildcard && !UdpTransport.IsWildcard(local.Address))
                controlLength = SocketMessage.WriteSource(control, local.Address);
            if (j - i > 1)
                controlLength += WriteSegment(control[controlLength..], segment);

            _messages[messages] = new MessageBatch.MMsgHdr
            {
                Header = new SocketMessage.MsgHdr
                {
                    Name = Marshal.UnsafeAddrOfPinnedArrayElement(_names, messages * NameStride),
                    NameLength = (uint)address.Size,
                    Iov = Marshal.UnsafeAddrOfPinnedArrayElement(_iov, i),
                    IovLength = (nuint)(j - i),
                    Control = controlLength == 0 ? 0 : Marshal.UnsafeAddrOfPinnedArrayElement(_controls, messages * ControlStride),
                    ControlLength = (nuint)controlLength,
                },
            };
            _first[messages] = i;
            _datagrams[messages] = j - i;
            _segmented[messages] = j - i > 1;
            messages++;
            i = j;
        }
        end = i;
        return messages;
    }

    /// <summary>Whether datagram <paramref name="j"/> goes where datagram <paramref name="i"/> goes: the same peer, and from the same source.</summary>
    private bool SameRoute(UdpTransport.Listener listener, int i, int j) =>
        (ReferenceEquals(_remotes[i], _remotes[j]) || _remotes[i]!.Equals(_remotes[j]))
        && (!listener.Wildcard || ReferenceEquals(_locals[i], _locals[j]) || _locals[i]!.Address.Equals(_locals[j]!.Address));

    /// <summary>Writes a UDP_SEGMENT control message (the GSO segment size, uint16) and returns its room, CMSG_SPACE(2).</summary>
    private static int WriteSegment(Span<byte> control, int segment)
    {
        control[..MessageBatch.SegmentControlSize].Clear();
        MemoryMarshal.Write(control, (ulong)(SocketMessage.CmsgHeaderSize + sizeof(ushort)));
        MemoryMarshal.Write(control[8..], SocketMessage.SolUdp);
        MemoryMarshal.Write(control[12..], MessageBatch.UdpSegment);
        MemoryMarshal.Write(control[SocketMessage.CmsgHeaderSize..], (ushort)segment);
        return MessageBatch.SegmentControlSize;
    }
}
