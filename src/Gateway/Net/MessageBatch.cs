using System.Runtime.InteropServices;

namespace S2SEndpoint.Gateway.Net;

// recvmmsg(2) and sendmmsg(2): many datagrams through one system call, for the batched readers (ReceiveBatch) and
// send batches (UdpSendBatch) of the UDP transport, with udp(7)'s offloads beside them: UDP_SEGMENT (a send of many
// equal datagrams as one, cut by the kernel or the device: GSO) and UDP_GRO (received datagrams of one flow coalesced
// into one, with their segment size in a control message). Layouts are LP64 (x86-64, arm64), see SocketMessage:
//
//   struct mmsghdr { struct msghdr msg_hdr; unsigned int msg_len; [4] }   (64 octets)
//
// Every pointer is the address of a pinned array, so the declarations are blittable and no call allocates.
// DllImport rather than LibraryImport (whose generator emits unsafe code), as in Tun/Libc.cs: the batched paths take
// addresses of pinned arrays only, and have no unsafe code (the gateway's is in Tun/Libc.cs, for readv and writev).

/// <summary>recvmmsg and sendmmsg, and the UDP offload constants, for the batched UDP paths.</summary>
internal static class MessageBatch
{
    private const string Libc = "libc";

    /// <summary>recvmmsg: block for the first datagram only, then take what is queued.</summary>
    public const int MsgWaitForOne = 0x10000;

    /// <summary>SOL_UDP's UDP_SEGMENT: a sendmsg control message (uint16) and a socket option, the GSO segment size.</summary>
    public const int UdpSegment = 103;

    /// <summary>CMSG_SPACE(sizeof(uint16)): the room a UDP_SEGMENT control message takes.</summary>
    public const int SegmentControlSize = SocketMessage.CmsgHeaderSize + 8;

    /// <summary>UDP_MAX_SEGMENTS of kernels since 4.18 (later ones allow more): the most datagrams one GSO send may carry.</summary>
    public const int MaxSegments = 64;

    /// <summary>The largest UDP payload: IPv4's total length less its 20-octet header and UDP's 8; IPv6's payload length less UDP's 8.</summary>
    public const int MaxIpv4Payload = ushort.MaxValue - 20 - 8, MaxIpv6Payload = ushort.MaxValue - 8;

    /// <summary>recvmmsg's msg_flags: the datagram was longer than its buffer, and its tail is lost.</summary>
    public const int MsgTrunc = 0x20;

    public const int EIntr = 4, EIo = 5, EInval = 22, EMsgSize = 90, ENoProtoOpt = 92, EOpNotSupp = 95;

    [StructLayout(LayoutKind.Sequential)]
    public struct MMsgHdr
    {
        public SocketMessage.MsgHdr Header;
        public uint Length;
    }

    [DllImport(Libc, EntryPoint = "recvmmsg", SetLastError = true)]
    public static extern int RecvMMsg(SafeHandle socket, nint messages, uint count, int flags, nint timeout);

    [DllImport(Libc, EntryPoint = "sendmmsg", SetLastError = true)]
    public static extern int SendMMsg(SafeHandle socket, nint messages, uint count, int flags);
}
