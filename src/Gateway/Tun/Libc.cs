using System.Runtime.InteropServices;

namespace S2SEndpoint.Gateway.Tun;

// The few libc calls the TUN adapter makes, with the Linux constants they take (x86-64 and arm64 values; the
// generic ioctl encoding). Buffers and structures cross as `ref` to their first byte, so every signature is
// blittable: the stubs pin, call and save errno, and allocate nothing.
//
// These are DllImport rather than LibraryImport: the LibraryImport generator emits unsafe code for every declaration.
// The one unsafe code of the gateway is here, in ReadV and WriteV: an I/O vector holds addresses, and a caller's span
// (perhaps on the stack, perhaps in an array that is not pinned) has an address only while it is fixed.

/// <summary>P/Invoke declarations for the TUN adapter: open, ioctl, read, readv, write, writev, close, poll, eventfd, setns.</summary>
internal static unsafe class Libc
{
    private const string Name = "libc";

    public const int ORdWr = 0x2;
    public const int ONonBlock = 0x800;
    public const int OCloExec = 0x80000;

    public const int EPerm = 1;
    public const int EIntr = 4;
    public const int EBadF = 9;
    public const int EAgain = 11;
    public const int EBusy = 16;
    public const int EInval = 22;
    public const int EBadMsg = 74;
    public const int EMsgSize = 90;

    public const short PollIn = 0x1;

    public const int EfdNonBlock = 0x800;
    public const int EfdCloExec = 0x80000;

    /// <summary>CLONE_NEWNET, for setns(2) into a network namespace.</summary>
    public const int CloneNewNet = 0x40000000;

    /// <summary>A pollfd: int fd, short events, short revents.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <param name="path">A NUL-terminated path in UTF-8.</param>
    [DllImport(Name, EntryPoint = "open", SetLastError = true)]
    public static extern int Open(ref readonly byte path, int flags);

    /// <param name="request">The request code (an unsigned long).</param>
    /// <param name="argument">The first byte of the structure the request reads and writes.</param>
    [DllImport(Name, EntryPoint = "ioctl", SetLastError = true)]
    public static extern int Ioctl(int fd, nuint request, ref byte argument);

    /// <param name="request">The request code (an unsigned long).</param>
    /// <param name="value">The argument itself, for requests that take a value rather than a pointer (TUNSETOFFLOAD).</param>
    [DllImport(Name, EntryPoint = "ioctl", SetLastError = true)]
    public static extern int Ioctl(int fd, nuint request, nuint value);

    [DllImport(Name, EntryPoint = "read", SetLastError = true)]
    public static extern nint Read(int fd, ref byte buffer, nuint count);

    [DllImport(Name, EntryPoint = "write", SetLastError = true)]
    public static extern nint Write(int fd, ref readonly byte buffer, nuint count);

    /// <summary>A struct iovec: void *iov_base; size_t iov_len.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public nint Base;
        public nuint Length;
    }

    /// <summary>readv(2) into <paramref name="first"/> and then <paramref name="second"/>: a TUN frame's header and its packet.</summary>
    public static nint ReadV(int fd, Span<byte> first, Span<byte> second)
    {
        fixed (byte* a = first)
        fixed (byte* b = second)
        {
            var vectors = stackalloc IoVec[2];
            vectors[0] = new IoVec { Base = (nint)a, Length = (nuint)first.Length };
            vectors[1] = new IoVec { Base = (nint)b, Length = (nuint)second.Length };
            return ReadV(fd, vectors, 2);
        }
    }

    /// <summary>writev(2) of <paramref name="first"/> and then <paramref name="second"/> as one packet.</summary>
    public static nint WriteV(int fd, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        fixed (byte* a = first)
        fixed (byte* b = second)
        {
            var vectors = stackalloc IoVec[2];
            vectors[0] = new IoVec { Base = (nint)a, Length = (nuint)first.Length };
            vectors[1] = new IoVec { Base = (nint)b, Length = (nuint)second.Length };
            return WriteV(fd, vectors, 2);
        }
    }

    [DllImport(Name, EntryPoint = "readv", SetLastError = true)]
    private static extern nint ReadV(int fd, IoVec* vectors, int count);

    [DllImport(Name, EntryPoint = "writev", SetLastError = true)]
    private static extern nint WriteV(int fd, IoVec* vectors, int count);

    [DllImport(Name, EntryPoint = "close", SetLastError = true)]
    public static extern int Close(int fd);

    [DllImport(Name, EntryPoint = "poll", SetLastError = true)]
    public static extern int Poll(ref PollFd fds, nuint count, int timeoutMilliseconds);

    [DllImport(Name, EntryPoint = "eventfd", SetLastError = true)]
    public static extern int EventFd(uint initialValue, int flags);

    /// <summary>Moves the calling thread into the namespace <paramref name="fd"/> refers to.</summary>
    [DllImport(Name, EntryPoint = "setns", SetLastError = true)]
    public static extern int SetNs(int fd, int nsType);
}
