using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using S2SEndpoint.Esp;

namespace S2SEndpoint.Gateway.Net;

// A batched reader's memory (UdpTransport with offload, on the port-4500 sockets): one recvmmsg fills up to Size
// buffers, each big enough for a UDP GRO datagram (up to 64 KiB of coalesced segments), with one name and one control
// buffer per message for the sender's address, IP_PKTINFO/IPV6_PKTINFO and UDP_GRO. All of it is allocated and pinned
// once per reader; the buffers are handed to the reader's IUdpReader and are the batch's again after BatchEnd. A
// message the kernel had to cut to fit its buffer says so in its msg_flags (MSG_TRUNC), and the reader drops it.

/// <summary>One reader's buffers and message headers for recvmmsg. Not thread-safe: one per reader thread.</summary>
internal sealed class ReceiveBatch
{
    /// <summary>Datagrams (or GRO datagrams) one receive takes at most.</summary>
    public const int Size = 32;

    /// <summary>Room for the largest UDP datagram, a GRO one included, and a PacketBuffer's head- and tailroom.</summary>
    public const int BufferSize = 65536 + PacketBuffer.Headroom + PacketBuffer.Tailroom;

    /// <summary>Room per message for the sender's address (sockaddr_in6, rounded up) and for its control messages.</summary>
    private const int NameStride = 32, ControlStride = 128;

    private readonly PacketBuffer[] _buffers = new PacketBuffer[Size];
    private readonly MessageBatch.MMsgHdr[] _messages = GC.AllocateArray<MessageBatch.MMsgHdr>(Size, pinned: true);
    private readonly SocketMessage.IoVec[] _iov = GC.AllocateArray<SocketMessage.IoVec>(Size, pinned: true);
    private readonly byte[] _names = GC.AllocateArray<byte>(Size * NameStride, pinned: true);
    private readonly byte[] _controls = GC.AllocateArray<byte>(Size * ControlStride, pinned: true);

    /// <summary>Makes the buffers, <paramref name="bufferSize"/> octets each (smaller than <see cref="BufferSize"/> in tests of truncation only).</summary>
    public ReceiveBatch(int bufferSize = BufferSize)
    {
        for (var i = 0; i < Size; i++)
        {
            _buffers[i] = new PacketBuffer(bufferSize);
            _iov[i] = new SocketMessage.IoVec { Base = Marshal.UnsafeAddrOfPinnedArrayElement(_buffers[i].Array, 0), Length = (nuint)bufferSize };
            _messages[i].Header = new SocketMessage.MsgHdr
            {
                Name = Marshal.UnsafeAddrOfPinnedArrayElement(_names, i * NameStride),
                Iov = Marshal.UnsafeAddrOfPinnedArrayElement(_iov, i),
                IovLength = 1,
                Control = Marshal.UnsafeAddrOfPinnedArrayElement(_controls, i * ControlStride),
            };
        }
    }

    /// <summary>Waits for a datagram and takes it with what else is queued, up to <see cref="Size"/>: how many, or minus errno.</summary>
    public int Receive(Socket socket)
    {
        for (var i = 0; i < Size; i++)
        {
            ref var message = ref _messages[i];
            message.Header.NameLength = SocketMessage.NameSize;
            message.Header.ControlLength = ControlStride;
            message.Header.Flags = 0;
            message.Length = 0;
        }
        var count = MessageBatch.RecvMMsg(socket.SafeHandle, Marshal.UnsafeAddrOfPinnedArrayElement(_messages, 0), Size, MessageBatch.MsgWaitForOne, 0);
        return count < 0 ? -Marshal.GetLastPInvokeError() : count;
    }

    /// <summary>The buffer message <paramref name="index"/> was received into, at its start.</summary>
    public PacketBuffer Buffer(int index) => _buffers[index];

    /// <summary>How many octets message <paramref name="index"/> holds (a GRO datagram: all its segments).</summary>
    public int Length(int index) => (int)_messages[index].Length;

    /// <summary>Whether message <paramref name="index"/> was longer than its buffer (MSG_TRUNC): what it holds is cut short.</summary>
    public bool Truncated(int index) => (_messages[index].Header.Flags & MessageBatch.MsgTrunc) != 0;

    /// <summary>Copies message <paramref name="index"/>'s sender address into <paramref name="from"/>.</summary>
    public void ReadName(int index, SocketAddress from)
    {
        var length = (int)Math.Min(_messages[index].Header.NameLength, (uint)Math.Min(SocketMessage.NameSize, from.Buffer.Length));
        _names.AsSpan(index * NameStride, length).CopyTo(from.Buffer.Span);
        from.Size = length;
    }

    /// <summary>Message <paramref name="index"/>'s local address and GRO segment size (<see cref="SocketMessage.ReadControl"/>).</summary>
    public bool ReadControl(int index, out UInt128 local, out int interfaceIndex, out int segmentSize)
    {
        var length = (int)Math.Min(_messages[index].Header.ControlLength, ControlStride);
        return SocketMessage.ReadControl(_controls.AsSpan(index * ControlStride, length), out local, out interfaceIndex, out segmentSize);
    }
}
