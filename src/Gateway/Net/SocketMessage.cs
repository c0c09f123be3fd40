using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace S2SEndpoint.Gateway.Net;

// recvmsg(2) and sendmsg(2) for the UDP transport, with the control message that names the local address: IP_PKTINFO
// on an IPv4 socket (ip(7)), IPV6_PKTINFO on an IPv6 one (ipv6(7), RFC 3542 6.1). On a wildcard socket a received
// datagram says which of the host's addresses it came to, and a reply names that address as its source, so that it
// leaves from the address the request came to whatever source the routes would pick. The batched paths (ReceiveBatch,
// UdpSendBatch) share the layouts, the control message reader (which also reads udp(7)'s UDP_GRO) and the writer of
// the source address. Layouts are LP64 (x86-64, arm64):
//
//   struct msghdr      { void *name; socklen_t namelen; [4]; struct iovec *iov; size_t iovlen;
//                        void *control; size_t controllen; int flags; [4] }
//   struct iovec       { void *base; size_t len }
//   struct cmsghdr     { size_t len; int level; int type; data }   (each one aligned to 8 octets)
//   struct in_pktinfo  { int ifindex; struct in_addr spec_dst; struct in_addr addr }   (12 octets)
//   struct in6_pktinfo { struct in6_addr addr; int ifindex }                          (20 octets)
//
// The address, the control buffer and the I/O vector live in arrays pinned for the life of the object, and a call
// takes the datagram's memory from a pinned array too (a PacketBuffer's, or the copy a send makes), so no call
// allocates. DllImport rather than LibraryImport (whose generator emits unsafe code), as in Tun/Libc.cs: this file
// takes addresses of pinned arrays only, and has no unsafe code (the gateway's is in Tun/Libc.cs, for readv and writev).

/// <summary>
/// One thread's buffers for recvmsg and sendmsg with the local address in IP_PKTINFO or IPV6_PKTINFO. Not thread-safe:
/// a socket reader owns one; senders take their thread's (<see cref="ForThisThread"/>).
/// </summary>
internal sealed class SocketMessage
{
    private const string Libc = "libc";

    private const int IpProtoIp = 0, IpPktInfo = 8;
    private const int IpProtoIpv6 = 41, Ipv6PktInfo = 50;

    /// <summary>SOL_UDP, and its UDP_GRO: on a received datagram, the size of the segments the kernel coalesced (udp(7)).</summary>
    internal const int SolUdp = 17, UdpGro = 104;

    /// <summary>sizeof(struct cmsghdr) on LP64: where a control message's data starts.</summary>
    internal const int CmsgHeaderSize = 16;

    private const int InPktInfoSize = 12, In6PktInfoSize = 20;

    /// <summary>Where in_pktinfo.ipi_addr is: the header's destination address, the local address the datagram came to.</summary>
    private const int InPktInfoAddrOffset = 8;

    /// <summary>sockaddr_in6, the larger of the two socket addresses; room for either.</summary>
    internal const int NameSize = 28;

    /// <summary>Room for one control message with an in6_pktinfo (CMSG_SPACE(20) = 40), and more than the kernel sends.</summary>
    internal const int ControlSize = 64;

    /// <summary>CMSG_SPACE(20): the room an IP_PKTINFO or IPV6_PKTINFO control message takes, its data padded to 8 octets.</summary>
    internal const int SourceControlSize = (CmsgHeaderSize + In6PktInfoSize + 7) & ~7;

    /// <summary>The largest datagram a send copies: the largest UDP payload over IPv6 without jumbograms.</summary>
    private const int MaxSendSize = 65535;

    [StructLayout(LayoutKind.Sequential)]
    internal struct MsgHdr
    {
        public nint Name;
        public uint NameLength;
        public nint Iov;
        public nuint IovLength;
        public nint Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    internal struct IoVec
    {
        public nint Base;
        public nuint Length;
    }

    [DllImport(Libc, EntryPoint = "recvmsg", SetLastError = true)]
    private static extern nint RecvMsg(SafeHandle socket, ref MsgHdr message, int flags);

    [DllImport(Libc, EntryPoint = "sendmsg", SetLastError = true)]
    private static extern nint SendMsg(SafeHandle socket, ref MsgHdr message, int flags);

    private readonly byte[] _name = GC.AllocateArray<byte>(NameSize, pinned: true);
    private readonly byte[] _control = GC.AllocateArray<byte>(ControlSize, pinned: true);
    private readonly IoVec[] _iov = GC.AllocateArray<IoVec>(1, pinned: true);
    private byte[]? _payload;

    [ThreadStatic]
    private static SocketMessage? t_sender;

    /// <summary>The calling thread's buffers for sending, made on its first send.</summary>
    public static SocketMessage ForThisThread => t_sender ??= new SocketMessage();

    /// <summary>
    /// Receives one datagram into <paramref name="buffer"/> (a pinned array) from <paramref name="offset"/>: its length,
    /// or minus errno. <paramref name="from"/> gets the sender's address; <paramref name="local"/> the address it came to
    /// as its octets in network order in a 128-bit number (an IPv4 address in the low 32 bits), and <paramref
    /// name="interfaceIndex"/> the interface, when the socket delivered IP_PKTINFO or IPV6_PKTINFO (else false).
    /// </summary>
    public int Receive(Socket socket, byte[] buffer, int offset, SocketAddress from, out UInt128 local, out int interfaceIndex, out bool hasLocal)
    {
        local = 0;
        interfaceIndex = 0;
        hasLocal = false;
        _iov[0] = new IoVec { Base = Marshal.UnsafeAddrOfPinnedArrayElement(buffer, offset), Length = (nuint)(buffer.Length - offset) };
        var message = new MsgHdr
        {
            Name = Marshal.UnsafeAddrOfPinnedArrayElement(_name, 0),
            NameLength = NameSize,
            Iov = Marshal.UnsafeAddrOfPinnedArrayElement(_iov, 0),
            IovLength = 1,
            Control = Marshal.UnsafeAddrOfPinnedArrayElement(_control, 0),
            ControlLength = ControlSize,
        };
        var length = RecvMsg(socket.SafeHandle, ref message, 0);
        if (length < 0)
            return -Marshal.GetLastPInvokeError();
        var nameLength = (int)Math.Min(message.NameLength, (uint)Math.Min(NameSize, from.Buffer.Length));
        _name.AsSpan(0, nameLength).CopyTo(from.Buffer.Span);
        from.Size = nameLength;
        hasLocal = TryReadLocal(_control.AsSpan(0, (int)Math.Min(message.ControlLength, ControlSize)), out local, out interfaceIndex);
        return (int)length;
    }

    /// <summary>Finds IP_PKTINFO or IPV6_PKTINFO among the control messages.</summary>
    private static bool TryReadLocal(ReadOnlySpan<byte> control, out UInt128 local, out int interfaceIndex) =>
        ReadControl(control, out local, out interfaceIndex, out _);

    /// <summary>
    /// Reads the control messages of a received datagram: the local address (IP_PKTINFO or IPV6_PKTINFO, as for
    /// <see cref="Receive"/>; true when there was one) and the segment size of a UDP GRO datagram (UDP_GRO; else 0).
    /// </summary>
    internal static bool ReadControl(ReadOnlySpan<byte> control, out UInt128 local, out int interfaceIndex, out int segmentSize)
    {
        local = 0;
        interfaceIndex = 0;
        segmentSize = 0;
        var hasLocal = false;
        var at = 0;
        while (at + CmsgHeaderSize <= control.Length)
        {
            var length = (int)Math.Min(MemoryMarshal.Read<ulong>(control[at..]), (ulong)(control.Length - at));
            if (length < CmsgHeaderSize)
                break;
            var level = MemoryMarshal.Read<int>(control[(at + 8)..]);
            var type = MemoryMarshal.Read<int>(control[(at + 12)..]);
            var data = control.Slice(at + CmsgHeaderSize, length - CmsgHeaderSize);
            if (level == IpProtoIp && type == IpPktInfo && data.Length >= InPktInfoSize)
            {
                interfaceIndex = MemoryMarshal.Read<int>(data);
                local = BinaryPrimitives.ReadUInt32BigEndian(data[InPktInfoAddrOffset..]);
                hasLocal = true;
            }
            else if (level == IpProtoIpv6 && type == Ipv6PktInfo && data.Length >= In6PktInfoSize)
            {
                local = BinaryPrimitives.ReadUInt128BigEndian(data);
                interfaceIndex = MemoryMarshal.Read<int>(data[16..]);
                hasLocal = true;
            }
            else if (level == SolUdp && type == UdpGro && data.Length >= sizeof(int))
            {
                segmentSize = MemoryMarshal.Read<int>(data);
            }
            at += (length + 7) & ~7;
        }
        return hasLocal;
    }

    /// <summary>The address a received <paramref name="local"/> stands for (see <see cref="Receive"/>); link-local IPv6 with its interface as scope.</summary>
    public static IPAddress AddressOf(UInt128 local, AddressFamily family, int interfaceIndex)
    {
        if (family == AddressFamily.InterNetwork)
        {
            Span<byte> v4 = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(v4, (uint)local);
            return new IPAddress(v4);
        }
        Span<byte> v6 = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(v6, local);
        var address = new IPAddress(v6);
        return address.IsIPv6LinkLocal ? new IPAddress(v6, (uint)interfaceIndex) : address;
    }

    /// <summary>
    /// Sends <paramref name="payload"/> to <paramref name="to"/> with <paramref name="source"/> as its source address
    /// (IP_PKTINFO or IPV6_PKTINFO by the source's family, which is the socket's): 0, or minus errno.
    /// </summary>
    public int Send(Socket socket, ReadOnlySpan<byte> payload, SocketAddress to, IPAddress source)
    {
        if (payload.Length > MaxSendSize || to.Size > NameSize)
            return -MessageBatch.EMsgSize;
        _payload ??= GC.AllocateArray<byte>(MaxSendSize, pinned: true);
        payload.CopyTo(_payload);
        to.Buffer.Span[..to.Size].CopyTo(_name);
        var controlLength = WriteSource(_control, source);
        _iov[0] = new IoVec { Base = Marshal.UnsafeAddrOfPinnedArrayElement(_payload, 0), Length = (nuint)payload.Length };
        var message = new MsgHdr
        {
            Name = Marshal.UnsafeAddrOfPinnedArrayElement(_name, 0),
            NameLength = (uint)to.Size,
            Iov = Marshal.UnsafeAddrOfPinnedArrayElement(_iov, 0),
            IovLength = 1,
            Control = Marshal.UnsafeAddrOfPinnedArrayElement(_control, 0),
            ControlLength = (nuint)controlLength,
        };
        return SendMsg(socket.SafeHandle, ref message, 0) < 0 ? -Marshal.GetLastPInvokeError() : 0;
    }

    /// <summary>
    /// Writes the control message that names <paramref name="source"/> as a datagram's source address (IP_PKTINFO or
    /// IPV6_PKTINFO by its family) at the start of <paramref name="control"/> and returns its room, CMSG_SPACE.
    /// </summary>
    internal static int WriteSource(Span<byte> control, IPAddress source)
    {
        control[..SourceControlSize].Clear();
        int dataSize;
        if (source.AddressFamily == AddressFamily.InterNetwork)
        {
            dataSize = InPktInfoSize;
            MemoryMarshal.Write(control[8..], IpProtoIp);
            MemoryMarshal.Write(control[12..], IpPktInfo);
            // ipi_spec_dst: the source address; ipi_ifindex 0 lets the routes choose the interface.
            source.TryWriteBytes(control[(CmsgHeaderSize + 4)..], out _);
        }
        else
        {
            dataSize = In6PktInfoSize;
            MemoryMarshal.Write(control[8..], IpProtoIpv6);
            MemoryMarshal.Write(control[12..], Ipv6PktInfo);
            source.TryWriteBytes(control[CmsgHeaderSize..], out _);
            if (source.IsIPv6LinkLocal)
                MemoryMarshal.Write(control[(CmsgHeaderSize + 16)..], (int)source.ScopeId);
        }
        MemoryMarshal.Write(control, (ulong)(CmsgHeaderSize + dataSize));
        return (CmsgHeaderSize + dataSize + 7) & ~7;
    }
}
