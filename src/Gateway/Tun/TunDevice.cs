using System.Runtime.InteropServices;
using System.Text;
using S2SEndpoint.Esp;

namespace S2SEndpoint.Gateway.Tun;

// The LAN side of the gateway: plaintext IP packets leave the kernel through a TUN interface into Outbound and
// come back from Inbound the same way. Each open of /dev/net/tun followed by TUNSETIFF attaches one queue
// (Documentation/networking/tuntap.rst): IFF_TUN for IP packets without an Ethernet header, IFF_NO_PI for no
// 4-octet packet information in front of them, and IFF_MULTI_QUEUE when several queues share the interface, so
// that as many workers as cores each read and write their own file descriptor. The kernel spreads flows over the
// queues by their hash. The interface is not made persistent: it goes when the last queue is closed.
//
// Every descriptor is non-blocking. A read that finds no packet waits in poll(2) on its queue and on one eventfd
// that Shutdown makes readable, so that workers blocked in Read return at once when the gateway stops.
//
// With offload (as wireguard-go's tun/tun_linux.go), every queue is attached with IFF_VNET_HDR, so that each packet
// read or written carries a struct virtio_net_hdr in front (VirtioNetHeader), and TUNSETOFFLOAD tells the kernel the
// device completes checksums (TUN_F_CSUM) and segments TCP (TUN_F_TSO4, TUN_F_TSO6) and, from Linux 6.2, UDP
// (TUN_F_USO4, TUN_F_USO6): the kernel then hands over super-packets of up to 64 KiB, which ReadBatch splits
// (TsoSegmenter), and takes the ones TunWriteBatch coalesces (TcpCoalescer). A kernel that refuses gets a plain device.

/// <summary>
/// A Linux TUN interface with one or more queues: packet reads and writes that allocate nothing and return
/// a negative errno rather than throw.
/// </summary>
public sealed class TunDevice : IDisposable
{
    /// <summary>MAX_TAP_QUEUES in drivers/net/tun.c.</summary>
    public const int MaxQueues = 256;

    private const nuint TunSetIff = 0x400454CA; // _IOW('T', 202, int)
    private const nuint TunSetCarrier = 0x400454E2; // _IOW('T', 226, int), Linux 5.0
    private const short IffTun = 0x0001;
    private const short IffNoPi = 0x1000;
    private const short IffMultiQueue = 0x0100;
    private const short IffVnetHdr = 0x4000;
    private const nuint TunSetOffload = 0x400454D0; // _IOW('T', 208, unsigned int)
    private const uint TunFCsum = 0x01;
    private const uint TunFTso4 = 0x02;
    private const uint TunFTso6 = 0x04;
    private const uint TunFUso4 = 0x20;
    private const uint TunFUso6 = 0x40;
    private const int IfReqLength = 40; // struct ifreq: char ifr_name[IFNAMSIZ], then a union of 24 octets
    private const int IfNameSize = 16;
    private const int IfReqFlagsOffset = 16;

    /// <summary>The virtio-net header of a whole packet, written in front of one by <see cref="Write(int, ReadOnlySpan{byte})"/> with offload.</summary>
    private static readonly byte[] NoOffloadHeader = new byte[VirtioNetHeader.Size];

    private readonly FileDescriptor[] _queues;
    private readonly FileDescriptor _wake;
    private int _shutdown;
    private int _disposed;

    private TunDevice(string name, FileDescriptor[] queues, FileDescriptor wake, bool offload, bool udpSegmentation)
    {
        Name = name;
        _queues = queues;
        _wake = wake;
        Offload = offload;
        UdpSegmentationOffload = udpSegmentation;
    }

    /// <summary>The interface name the kernel gave, with any "%d" replaced by its number.</summary>
    public string Name { get; }

    /// <summary>Whether the queues carry a virtio-net header and TSO super-packets: asked for, and the kernel took it.</summary>
    public bool Offload { get; }

    /// <summary>Whether, with <see cref="Offload"/>, the kernel also hands over UDP super-packets (TUN_F_USO4 and TUN_F_USO6, Linux 6.2).</summary>
    public bool UdpSegmentationOffload { get; }

    /// <summary>
    /// Reads what one read of <paramref name="queue"/> gives into <paramref name="batch"/>: one packet, or with
    /// <see cref="Offload"/> the segments of a super-packet. Returns the number of packets, or what <see cref="Read(int, Span{byte}, int)"/>
    /// returns when there is none; with offload also -EBADMSG when the kernel's frame did not add up and -EMSGSIZE when
    /// its packets do not fit the batch (dropped, counted in <see cref="TunReadBatch.Dropped"/>; read on).
    /// </summary>
    public int ReadBatch(int queue, TunReadBatch batch, int timeoutMilliseconds)
    {
        ArgumentNullException.ThrowIfNull(batch);
        batch.SetCount(0);
        if (!Offload)
        {
            var buffer = batch.Buffers[0];
            var length = Read(queue, buffer.ResetForInnerPacket().Span, timeoutMilliseconds);
            if (length <= 0)
                return length;
            buffer.SetLength(length);
            batch.SetCount(1);
            return 1;
        }

        var read = ReadRaw(queue, default, batch.Frame, timeoutMilliseconds);
        if (read <= 0)
            return read;
        if (read == batch.Frame.Length)
        {
            batch.Drop(TunFrameError.TooLarge);
            return -Libc.EMsgSize;
        }
        if (!TsoSegmenter.TrySplit(batch.Frame.AsSpan(0, read), batch.Buffers, out var count, out var error))
        {
            batch.Drop(error);
            return error is TunFrameError.TooLarge or TunFrameError.TooManySegments ? -Libc.EMsgSize : -Libc.EBadMsg;
        }
        batch.SetCount(count);
        return count;
    }

    /// <summary>How many queues (file descriptors) the device has; each may be read and written by its own thread.</summary>
    public int QueueCount => _queues.Length;

    /// <summary>
    /// Creates the TUN interface <paramref name="name"/> (or attaches to a free one of that name) in the network
    /// namespace of the calling thread, with <paramref name="queueCount"/> queues.
    /// </summary>
    /// <param name="name">An interface name of at most 15 characters; one "%d" lets the kernel pick a free number.</param>
    /// <param name="queueCount">1 for a single queue; more for IFF_MULTI_QUEUE, for example one per core.</param>
    /// <exception cref="ArgumentException">The name or the queue count is not valid.</exception>
    /// <exception cref="IOException">The kernel refused: no /dev/net/tun, no CAP_NET_ADMIN, or the name is taken.</exception>
    public static TunDevice Open(string name, int queueCount = 1) => Open(name, queueCount, offload: false);

    /// <summary>
    /// As <see cref="Open(string, int)"/>; with <paramref name="offload"/>, each queue also carries a virtio-net header
    /// (IFF_VNET_HDR) and the kernel may hand over TSO super-packets and take coalesced ones (TUNSETOFFLOAD): see
    /// <see cref="Offload"/> for whether it did.
    /// </summary>
    public static TunDevice Open(string name, int queueCount, bool offload)
    {
        InterfaceName.Validate(name, nameof(name), allowPattern: true);
        if (queueCount is < 1 or > MaxQueues)
        {
            throw new ArgumentOutOfRangeException(nameof(queueCount), queueCount,
                $"A TUN device has 1 to {MaxQueues} queues, not {queueCount}.");
        }
        if (offload)
        {
            var device = TryOpenWithOffload(name, queueCount);
            if (device is not null)
                return device;
        }
        return OpenQueues(name, queueCount, vnetHeader: false, out _, out _);
    }

    /// <summary>The device with IFF_VNET_HDR and TUNSETOFFLOAD; null, with nothing left open, when the kernel refuses either.</summary>
    private static TunDevice? TryOpenWithOffload(string name, int queueCount)
    {
        TunDevice device;
        try
        {
            device = OpenQueues(name, queueCount, vnetHeader: true, out var offloaded, out _);
            if (offloaded)
                return device;
        }
        catch (IOException)
        {
            return null;
        }
        device.Dispose();
        return null;
    }

    private static TunDevice OpenQueues(string name, int queueCount, bool vnetHeader, out bool offloaded, out bool udpSegmentation)
    {
        offloaded = udpSegmentation = false;
        var queues = new FileDescriptor[queueCount];
        FileDescriptor? wake = null;
        try
        {
            var assigned = name;
            for (var i = 0; i < queues.Length; i++)
                queues[i] = Attach(assigned, queueCount > 1, vnetHeader, out assigned);
            if (vnetHeader)
            {
                // The offloads are the interface's (tun_set_offload sets its features): one queue's descriptor sets them.
                udpSegmentation = SetOffload(queues[0].Fd, TunFCsum | TunFTso4 | TunFTso6 | TunFUso4 | TunFUso6) == 0;
                offloaded = udpSegmentation || SetOffload(queues[0].Fd, TunFCsum | TunFTso4 | TunFTso6) == 0;
            }
            var fd = Libc.EventFd(0, Libc.EfdNonBlock | Libc.EfdCloExec);
            if (fd < 0)
                throw new IOException($"eventfd failed: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}.");
            wake = new FileDescriptor(fd);
            return new TunDevice(assigned, queues, wake, offloaded, udpSegmentation);
        }
        catch
        {
            foreach (var queue in queues)
                queue?.Dispose();
            wake?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// TUNSETOFFLOAD with <paramref name="flags"/>, which the request takes as its argument's value (tun.c set_offload):
    /// 0, or the errno (EINVAL for a flag the kernel does not know).
    /// </summary>
    private static int SetOffload(int fd, uint flags) =>
        Libc.Ioctl(fd, TunSetOffload, (nuint)flags) < 0 ? Marshal.GetLastPInvokeError() : 0;

    /// <summary>Reads one packet from queue 0, waiting as long as it takes; see <see cref="Read(int, Span{byte}, int)"/>.</summary>
    public int Read(Span<byte> packet) => Read(0, packet, Timeout.Infinite);

    /// <summary>
    /// Reads one IP packet from <paramref name="queue"/> into <paramref name="packet"/>, waiting up to
    /// <paramref name="timeoutMilliseconds"/> (0: do not wait; <see cref="Timeout.Infinite"/>: until a packet or
    /// <see cref="Shutdown"/>).
    /// </summary>
    /// <returns>
    /// The packet's length; 0 once the device is shut down or disposed; -EAGAIN when the time passed without a
    /// packet; -EMSGSIZE when the packet was longer than <paramref name="packet"/> (the kernel cut it; it is
    /// dropped); -EINTR when a signal interrupted the wait; another negative errno on failure (-EBADFD once the
    /// interface was deleted). With <see cref="Offload"/>, the virtio-net header is read and stripped and a checksum
    /// the kernel left to complete is completed; a TSO super-packet cannot be one packet, so it is dropped with -EMSGSIZE
    /// (use <see cref="ReadBatch"/>), and a header that does not add up gives -EBADMSG.
    /// </returns>
    public int Read(int queue, Span<byte> packet, int timeoutMilliseconds = Timeout.Infinite)
    {
        if (!Offload)
        {
            var read = ReadRaw(queue, default, packet, timeoutMilliseconds);
            return read <= 0 || read < packet.Length || !IsTruncated(packet) ? read : -Libc.EMsgSize;
        }

        Span<byte> frameHeader = stackalloc byte[VirtioNetHeader.Size];
        var framed = ReadRaw(queue, frameHeader, packet, timeoutMilliseconds);
        if (framed <= 0)
            return framed;
        var length = framed - VirtioNetHeader.Size;
        if (length <= 0)
            return -Libc.EBadMsg;
        _ = VirtioNetHeader.TryRead(frameHeader, out var header);
        if (header.GsoType != VirtioNetHeader.GsoNone || (length == packet.Length && IsTruncated(packet)))
            return -Libc.EMsgSize;
        return TsoSegmenter.TryCompleteChecksum(packet[..length], header) ? length : -Libc.EBadMsg;
    }

    /// <summary>
    /// One read(2) of <paramref name="queue"/> (readv(2) into <paramref name="header"/> and then <paramref name="packet"/>
    /// when there is a header), waiting as <see cref="Read(int, Span{byte}, int)"/> does: the octets read, or 0 or a
    /// negative errno as Read returns them.
    /// </summary>
    private int ReadRaw(int queue, Span<byte> header, Span<byte> packet, int timeoutMilliseconds)
    {
        var handle = _queues[queue];
        if (!TryAddRef(handle))
            return 0;
        try
        {
            // The reader's own wait on the device: the real clock is the one that matters here.
            var started = TimeProvider.System.GetTimestamp();
            while (Volatile.Read(ref _shutdown) == 0)
            {
                var read = header.IsEmpty
                    ? Libc.Read(handle.Fd, ref MemoryMarshal.GetReference(packet), (nuint)packet.Length)
                    : Libc.ReadV(handle.Fd, header, packet);
                if (read > 0)
                    return (int)read;
                if (read < 0)
                {
                    var errno = Marshal.GetLastPInvokeError();
                    if (errno != Libc.EAgain || timeoutMilliseconds == 0)
                        return -errno;
                    var wait = timeoutMilliseconds < 0 ? Timeout.Infinite
                        : (int)Math.Max(0, timeoutMilliseconds - TimeProvider.System.GetElapsedTime(started).TotalMilliseconds);
                    var ready = WaitReadable(handle.Fd, wait);
                    if (ready <= 0)
                        return ready;
                }
            }
            return 0;
        }
        finally
        {
            handle.DangerousRelease();
        }
    }

    /// <summary>Writes one IP packet to queue 0; see <see cref="Write(int, ReadOnlySpan{byte})"/>.</summary>
    public int Write(ReadOnlySpan<byte> packet) => Write(0, packet);

    /// <summary>
    /// Writes one IP packet (IPv4 or IPv6, from its first header octet) to <paramref name="queue"/>; with
    /// <see cref="Offload"/>, behind a zeroed virtio-net header in the same writev(2).
    /// </summary>
    /// <returns>
    /// The packet's length; a negative errno when the kernel refused it (-EINVAL for a malformed packet, -EIO when
    /// the interface is down, -EBADF once the device is disposed). A refused packet is simply lost.
    /// </returns>
    public int Write(int queue, ReadOnlySpan<byte> packet)
    {
        var handle = _queues[queue];
        if (!TryAddRef(handle))
            return -Libc.EBadF;
        try
        {
            if (!Offload)
            {
                var written = Libc.Write(handle.Fd, in MemoryMarshal.GetReference(packet), (nuint)packet.Length);
                return written >= 0 ? (int)written : -Marshal.GetLastPInvokeError();
            }
            var framed = Libc.WriteV(handle.Fd, NoOffloadHeader, packet);
            return framed >= 0 ? (int)Math.Max(0, framed - VirtioNetHeader.Size) : -Marshal.GetLastPInvokeError();
        }
        finally
        {
            handle.DangerousRelease();
        }
    }

    /// <summary>Writes a frame as it is: with <see cref="Offload"/>, a virtio-net header and its packet (TunWriteBatch).</summary>
    /// <returns>The frame's length, or a negative errno as <see cref="Write(int, ReadOnlySpan{byte})"/> returns it.</returns>
    internal int WriteFrame(int queue, ReadOnlySpan<byte> frame)
    {
        var handle = _queues[queue];
        if (!TryAddRef(handle))
            return -Libc.EBadF;
        try
        {
            var written = Libc.Write(handle.Fd, in MemoryMarshal.GetReference(frame), (nuint)frame.Length);
            return written >= 0 ? (int)written : -Marshal.GetLastPInvokeError();
        }
        finally
        {
            handle.DangerousRelease();
        }
    }

    /// <summary>
    /// Turns the interface's carrier on or off (TUNSETCARRIER, Linux 5.0; any queue's descriptor sets it for the
    /// interface): without carrier the interface is up but its operational state is down (NO-CARRIER), which routing
    /// daemons and the kernel's route lookup see at once. The kernel turns carrier on when the device is made.
    /// </summary>
    /// <returns>0; or a negative errno (-EINVAL before Linux 5.0, -EBADF once the device is disposed).</returns>
    public int SetCarrier(bool on)
    {
        var handle = _queues[0];
        if (!TryAddRef(handle))
            return -Libc.EBadF;
        try
        {
            Span<byte> value = stackalloc byte[sizeof(int)];
            MemoryMarshal.Write(value, on ? 1 : 0);
            return Libc.Ioctl(handle.Fd, TunSetCarrier, ref MemoryMarshal.GetReference(value)) < 0 ? -Marshal.GetLastPInvokeError() : 0;
        }
        finally
        {
            handle.DangerousRelease();
        }
    }

    /// <summary>Makes every Read, now blocked or later, return 0. Writes still work until Dispose.</summary>
    public void Shutdown()
    {
        if (Interlocked.Exchange(ref _shutdown, 1) != 0 || !TryAddRef(_wake))
            return;
        try
        {
            Span<byte> one = stackalloc byte[sizeof(ulong)];
            MemoryMarshal.Write(one, 1UL);
            _ = Libc.Write(_wake.Fd, in MemoryMarshal.GetReference(one), (nuint)one.Length);
        }
        finally
        {
            _wake.DangerousRelease();
        }
    }

    /// <summary>
    /// Shuts down and closes every queue; the interface disappears with the last one. A Read still running on
    /// another thread returns 0 and its queue closes when it does. A second call does nothing.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        Shutdown();
        foreach (var queue in _queues)
            queue.Dispose();
        _wake.Dispose();
    }

    /// <summary>Opens /dev/net/tun and attaches the descriptor to the interface <paramref name="name"/> with TUNSETIFF.</summary>
    private static FileDescriptor Attach(string name, bool multiQueue, bool vnetHeader, out string assigned)
    {
        var fd = Libc.Open(in MemoryMarshal.GetReference("/dev/net/tun\0"u8), Libc.ORdWr | Libc.ONonBlock | Libc.OCloExec);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"Cannot open /dev/net/tun: {Marshal.GetPInvokeErrorMessage(errno)}"
                + " (the tun module must be loaded and the device node present).");
        }
        var handle = new FileDescriptor(fd);

        Span<byte> ifreq = stackalloc byte[IfReqLength];
        ifreq.Clear();
        Encoding.ASCII.GetBytes(name, ifreq[..InterfaceName.MaxLength]);
        var flags = (short)(IffTun | IffNoPi | (multiQueue ? IffMultiQueue : 0) | (vnetHeader ? IffVnetHdr : 0));
        MemoryMarshal.Write(ifreq[IfReqFlagsOffset..], in flags);
        if (Libc.Ioctl(fd, TunSetIff, ref MemoryMarshal.GetReference(ifreq)) < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            handle.Dispose();
            throw new IOException($"TUNSETIFF for interface \"{name}\" failed: {Marshal.GetPInvokeErrorMessage(errno)}"
                + errno switch
                {
                    Libc.EPerm => " (creating a TUN interface needs CAP_NET_ADMIN).",
                    Libc.EBusy => " (an interface of that name exists and is not a free TUN queue).",
                    Libc.EInval => " (an interface of that name exists with other flags, for example single-queue).",
                    _ => ".",
                });
        }
        var nameBytes = ifreq[..IfNameSize];
        var end = nameBytes.IndexOf((byte)0);
        assigned = Encoding.ASCII.GetString(end < 0 ? nameBytes : nameBytes[..end]);
        return handle;
    }

    /// <summary>Waits for <paramref name="fd"/> to be readable: 1 when it is, 0 on Shutdown, -EAGAIN on timeout, -errno on failure.</summary>
    private int WaitReadable(int fd, int timeoutMilliseconds)
    {
        if (!TryAddRef(_wake))
            return 0;
        try
        {
            Span<Libc.PollFd> fds = stackalloc Libc.PollFd[2];
            fds[0] = new Libc.PollFd { Fd = fd, Events = Libc.PollIn };
            fds[1] = new Libc.PollFd { Fd = _wake.Fd, Events = Libc.PollIn };
            var ready = Libc.Poll(ref fds[0], (nuint)fds.Length, timeoutMilliseconds);
            if (ready < 0)
                return -Marshal.GetLastPInvokeError();
            if (ready == 0)
                return -Libc.EAgain;
            return fds[1].Revents != 0 ? 0 : 1;
        }
        finally
        {
            _wake.DangerousRelease();
        }
    }

    /// <summary>
    /// Whether a packet that filled all of <paramref name="packet"/> was cut: the kernel copies what fits and
    /// returns that count (tun_chr_read_iter), so only the length in the IP header tells.
    /// </summary>
    private static bool IsTruncated(ReadOnlySpan<byte> packet) =>
        (packet[0] >> 4) is 4 or 6 && (!IpPacket.TryReadClaimedLength(packet, out _, out var claimed) || claimed > packet.Length);

    private static bool TryAddRef(SafeHandle handle)
    {
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
        }
        return added;
    }
}
