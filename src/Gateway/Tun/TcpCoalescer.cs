using System.Buffers.Binary;
using S2SEndpoint.Esp;

namespace S2SEndpoint.Gateway.Tun;

// The write side of the TUN offloads (GRO in software, as the kernel's tcp_gro_receive and wireguard-go's
// tun/offload_linux.go do it): Inbound decrypts a burst of ESP packets, and the TCP segments among them that continue
// one another are handed to the kernel as one super-packet with a virtio-net header (GSO TCPV4 or TCPV6, NEEDS_CSUM),
// so that the stack above the TUN interface handles one packet where it would have handled dozens.
//
// Segments coalesce when they are of one flow (version, addresses, ports) and every header field the super-packet
// cannot carry per segment agrees: IPv4 without options or fragmentation, with one TOS, TTL and set of flags, and
// (without DF) Identifications one apart; IPv6 with one first word (traffic class, flow label) and hop limit, TCP
// straight after the fixed header; TCP with one header length, acknowledgment number, window, urgent pointer and
// options, flags ACK (and PSH on the last segment only), sequence numbers that continue, payloads of one size of
// which only the last may be shorter, and at most 65535 octets in the IPv4 Total Length or IPv6 Payload Length.
// Anything else is written as it is, with a zeroed header in the 10 octets before its window (one write, no copy).
//
// Order: a super-packet is written where its first segment was. A packet of a flow that cannot join the flow's open
// super-packet closes it, so that nothing later of that flow joins it and overtakes the packet; a packet whose flow
// cannot be read (IPv6 extension headers, a later IPv4 fragment, garbage) closes every open super-packet.

/// <summary>
/// One batch of packets for a TUN queue with offload: queued by reference, grouped into super-packets of one TCP flow,
/// then each group built into a frame (virtio-net header and packet) to write. Not thread-safe.
/// </summary>
public sealed class TcpCoalescer
{
    /// <summary>The largest IPv4 Total Length, IPv6 Payload Length.</summary>
    public const int MaxIpLength = 65535;

    private const int TcpHeaderSize = 20;
    private const int TcpMaxHeaderSize = 60;
    private const int TcpSequenceOffset = 4;
    private const int TcpAcknowledgmentOffset = 8;
    private const int TcpDataOffsetOffset = 12;
    private const int TcpFlagsOffset = 13;
    private const int TcpWindowOffset = 14;
    private const int TcpUrgentOffset = 18;
    private const int Ipv4IdentificationOffset = 4;
    private const byte TcpAck = 0x10;
    private const byte TcpPsh = 0x08;
    private const byte Ipv4FlagBits = 0xE0;

    private Entry[] _entries;
    private int[] _frames;
    private int[] _open;
    private int _frameCount;
    private int _openCount;
    private readonly byte[] _buffer = GC.AllocateArray<byte>(VirtioNetHeader.Size + IpPacket.Ipv6HeaderSize + MaxIpLength, pinned: true);

    /// <param name="capacity">How many packets a batch holds before it grows.</param>
    public TcpCoalescer(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _entries = new Entry[capacity];
        _frames = new int[capacity];
        _open = new int[capacity];
    }

    private enum Kind : byte
    {
        /// <summary>Not TCP: no flow to keep in order with.</summary>
        NotTcp,

        /// <summary>A flow that cannot be read: it might be any open flow's.</summary>
        Unknown,

        /// <summary>TCP of a known flow that cannot coalesce.</summary>
        TcpFlow,

        /// <summary>A TCP segment that may coalesce.</summary>
        Candidate,
    }

    /// <summary>How many packets are queued.</summary>
    public int Count { get; private set; }

    /// <summary>Queues the packet at <paramref name="array"/>[<paramref name="offset"/>, +<paramref name="length"/>), by reference.</summary>
    public void Add(byte[] array, int offset, int length)
    {
        ArgumentNullException.ThrowIfNull(array);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, array.Length - offset);
        if (Count == _entries.Length)
            Grow();
        _entries[Count++] = new Entry { Array = array, Offset = offset, Length = length };
    }

    /// <summary>Packet <paramref name="index"/> as it was queued.</summary>
    public ReadOnlySpan<byte> Packet(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
        ref readonly var entry = ref _entries[index];
        return entry.Array.AsSpan(entry.Offset, entry.Length);
    }

    /// <summary>Forgets every queued packet.</summary>
    public void Clear()
    {
        System.Array.Clear(_entries, 0, Count);
        Count = 0;
        _frameCount = 0;
        _openCount = 0;
    }

    /// <summary>Groups the queued packets into frames; returns how many, in the order they are to be written.</summary>
    public int Group()
    {
        _frameCount = 0;
        _openCount = 0;
        for (var i = 0; i < Count; i++)
        {
            ref var entry = ref _entries[i];
            entry.Next = -1;
            entry.Tail = i;
            entry.Segments = 1;
            entry.Payload = 0;
            entry.Push = false;
            var packet = entry.Array.AsSpan(entry.Offset, entry.Length);
            entry.Kind = Classify(packet, ref entry);
            entry.GroupPayload = entry.Payload;
            if (entry.Kind == Kind.Unknown)
                _openCount = 0;
            if (entry.Kind is Kind.TcpFlow or Kind.Candidate)
            {
                var open = FindOpen(packet, entry);
                if (open >= 0)
                {
                    var head = _open[open];
                    if (entry.Kind == Kind.Candidate && CanAppend(ref _entries[head], packet, entry))
                    {
                        Append(ref _entries[head], i);
                        if (entry.Push || entry.Payload < _entries[head].Payload)
                            RemoveOpen(open);
                        continue;
                    }
                    RemoveOpen(open);
                }
                if (entry.Kind == Kind.Candidate && !entry.Push)
                    _open[_openCount++] = i;
            }
            _frames[_frameCount++] = i;
        }
        return _frameCount;
    }

    /// <summary>How many queued packets frame <paramref name="frame"/> of the last <see cref="Group"/> carries.</summary>
    public int Segments(int frame) => _entries[FrameHead(frame)].Segments;

    /// <summary>The index (for <see cref="Packet"/>) of frame <paramref name="frame"/>'s first packet.</summary>
    public int FirstPacket(int frame) => FrameHead(frame);

    /// <summary>The index of the packet after <paramref name="index"/> in its frame; -1 after the last.</summary>
    public int NextPacket(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)Count, nameof(index));
        return _entries[index].Next;
    }

    /// <summary>
    /// Frame <paramref name="frame"/> of the last <see cref="Group"/>, ready to write: a zeroed virtio-net header in the
    /// octets before a lone packet's window (or, when there are not 10 of them, a copy), or a super-packet built in
    /// the coalescer's own buffer. Valid until the next call.
    /// </summary>
    public ReadOnlySpan<byte> BuildFrame(int frame)
    {
        var index = FrameHead(frame);
        ref readonly var head = ref _entries[index];
        if (head.Segments == 1)
        {
            if (head.Offset >= VirtioNetHeader.Size)
            {
                var span = head.Array.AsSpan(head.Offset - VirtioNetHeader.Size, VirtioNetHeader.Size + head.Length);
                VirtioNetHeader.WriteNone(span);
                return span;
            }
            if (head.Length > _buffer.Length - VirtioNetHeader.Size)
                return default;
            VirtioNetHeader.WriteNone(_buffer);
            head.Array.AsSpan(head.Offset, head.Length).CopyTo(_buffer.AsSpan(VirtioNetHeader.Size));
            return _buffer.AsSpan(0, VirtioNetHeader.Size + head.Length);
        }
        return BuildSuperPacket(index);
    }

    private ReadOnlySpan<byte> BuildSuperPacket(int index)
    {
        ref readonly var head = ref _entries[index];
        var headersLength = head.IpHeaderLength + head.TcpHeaderLength;
        var total = headersLength + head.GroupPayload;
        var packet = _buffer.AsSpan(VirtioNetHeader.Size, total);
        head.Array.AsSpan(head.Offset, headersLength).CopyTo(packet);
        var at = headersLength;
        for (var i = index; i >= 0; i = _entries[i].Next)
        {
            ref readonly var segment = ref _entries[i];
            segment.Array.AsSpan(segment.Offset + headersLength, segment.Payload).CopyTo(packet[at..]);
            at += segment.Payload;
        }

        byte gsoType;
        ReadOnlySpan<byte> source, destination;
        if (head.Ipv6)
        {
            gsoType = VirtioNetHeader.GsoTcpV6;
            BinaryPrimitives.WriteUInt16BigEndian(packet[IpPacket.Ipv6PayloadLengthOffset..], (ushort)(total - IpPacket.Ipv6HeaderSize));
            source = packet.Slice(IpPacket.Ipv6SourceOffset, 16);
            destination = packet.Slice(IpPacket.Ipv6DestinationOffset, 16);
        }
        else
        {
            gsoType = VirtioNetHeader.GsoTcpV4;
            BinaryPrimitives.WriteUInt16BigEndian(packet[IpPacket.Ipv4TotalLengthOffset..], (ushort)total);
            BinaryPrimitives.WriteUInt16BigEndian(packet[IpPacket.Ipv4ChecksumOffset..], 0);
            BinaryPrimitives.WriteUInt16BigEndian(packet[IpPacket.Ipv4ChecksumOffset..], Checksum.Compute(packet[..head.IpHeaderLength]));
            source = packet.Slice(IpPacket.Ipv4SourceOffset, 4);
            destination = packet.Slice(IpPacket.Ipv4DestinationOffset, 4);
        }
        var tcp = packet[head.IpHeaderLength..];
        if (_entries[head.Tail].Push)
            tcp[TcpFlagsOffset] |= TcpPsh;
        // CHECKSUM_PARTIAL: the field holds the pseudo-header sum, folded and not complemented, which the kernel adds
        // the header and payload to (the form tcp_v4_send_check and tcp_v6_send_check leave for a device).
        var pseudo = Checksum.Fold(Checksum.AddPseudoHeader(0, source, destination, IpProtocol.Tcp, tcp.Length));
        BinaryPrimitives.WriteUInt16BigEndian(tcp[VirtioNetHeader.TcpChecksumOffset..], pseudo);

        new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, gsoType, (ushort)headersLength, (ushort)head.Payload,
            (ushort)head.IpHeaderLength, VirtioNetHeader.TcpChecksumOffset).Write(_buffer);
        return _buffer.AsSpan(0, VirtioNetHeader.Size + total);
    }

    private int FrameHead(int frame)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)frame, (uint)_frameCount, nameof(frame));
        return _frames[frame];
    }

    /// <summary>What the packet is to the coalescer; for TCP, its header lengths, payload, sequence number and PSH.</summary>
    private static Kind Classify(ReadOnlySpan<byte> packet, ref Entry entry)
    {
        if (packet.IsEmpty)
            return Kind.Unknown;
        var version = packet[0] >> 4;
        int ipHeaderLength;
        bool whole;
        if (version == 4)
        {
            if (packet.Length < IpPacket.Ipv4HeaderSize)
                return Kind.Unknown;
            ipHeaderLength = IpPacket.HeaderLengthV4(packet);
            if (ipHeaderLength < IpPacket.Ipv4HeaderSize || ipHeaderLength > packet.Length)
                return Kind.Unknown;
            if (packet[IpPacket.Ipv4ProtocolOffset] != IpProtocol.Tcp)
                return Kind.NotTcp;
            var fragment = BinaryPrimitives.ReadUInt16BigEndian(packet[IpPacket.Ipv4FlagsOffset..]) & IpPacket.Ipv4FragmentFields;
            if ((fragment & IpPacket.Ipv4FragmentOffset) != 0 || packet.Length < ipHeaderLength + 2 * sizeof(ushort))
                return Kind.Unknown;
            whole = fragment == 0 && ipHeaderLength == IpPacket.Ipv4HeaderSize
                && BinaryPrimitives.ReadUInt16BigEndian(packet[IpPacket.Ipv4TotalLengthOffset..]) == packet.Length;
        }
        else if (version == 6)
        {
            if (packet.Length < IpPacket.Ipv6HeaderSize)
                return Kind.Unknown;
            switch (packet[IpPacket.Ipv6NextHeaderOffset])
            {
                case IpProtocol.Tcp:
                    break;
                case IpProtocol.HopByHop or IpProtocol.Ipv6Routing or IpProtocol.Ipv6DestinationOptions or IpProtocol.Ipv6Fragment or IpProtocol.Ah:
                    return Kind.Unknown;
                default:
                    return Kind.NotTcp;
            }
            ipHeaderLength = IpPacket.Ipv6HeaderSize;
            if (packet.Length < ipHeaderLength + 2 * sizeof(ushort))
                return Kind.Unknown;
            whole = IpPacket.Ipv6HeaderSize + BinaryPrimitives.ReadUInt16BigEndian(packet[IpPacket.Ipv6PayloadLengthOffset..]) == packet.Length;
        }
        else
        {
            return Kind.Unknown;
        }

        entry.Ipv6 = version == 6;
        entry.IpHeaderLength = ipHeaderLength;
        if (!whole || packet.Length < ipHeaderLength + TcpHeaderSize)
            return Kind.TcpFlow;
        var tcp = packet[ipHeaderLength..];
        var tcpHeaderLength = (tcp[TcpDataOffsetOffset] >> 4) * 4;
        if (tcpHeaderLength is < TcpHeaderSize or > TcpMaxHeaderSize || tcpHeaderLength >= tcp.Length)
            return Kind.TcpFlow;
        var flags = tcp[TcpFlagsOffset];
        if (flags is not (TcpAck or TcpAck | TcpPsh))
            return Kind.TcpFlow;
        // The kernel takes a super-packet's checksum on trust (CHECKSUM_PARTIAL, finished only when it forwards), so a
        // segment joins one only when its own checksums are right; one corrupted before the peer sealed it is written
        // alone, for the kernel to check and drop (wireguard-go's tcp_offload_linux.go checks the same).
        if (!ChecksumsValid(packet, tcp, version == 6, ipHeaderLength))
            return Kind.TcpFlow;
        entry.TcpHeaderLength = tcpHeaderLength;
        entry.Payload = tcp.Length - tcpHeaderLength;
        entry.Sequence = BinaryPrimitives.ReadUInt32BigEndian(tcp[TcpSequenceOffset..]);
        entry.Push = flags == (TcpAck | TcpPsh);
        return Kind.Candidate;
    }

    /// <summary>Whether the IPv4 header checksum and the TCP checksum (RFC 9293 3.1, with the pseudo-header) add up.</summary>
    private static bool ChecksumsValid(ReadOnlySpan<byte> packet, ReadOnlySpan<byte> tcp, bool ipv6, int ipHeaderLength)
    {
        ReadOnlySpan<byte> source, destination;
        if (ipv6)
        {
            source = packet.Slice(IpPacket.Ipv6SourceOffset, 16);
            destination = packet.Slice(IpPacket.Ipv6DestinationOffset, 16);
        }
        else
        {
            if (Checksum.Compute(packet[..ipHeaderLength]) != 0)
                return false;
            source = packet.Slice(IpPacket.Ipv4SourceOffset, 4);
            destination = packet.Slice(IpPacket.Ipv4DestinationOffset, 4);
        }
        return Checksum.Fold(Checksum.AddPseudoHeader(Checksum.Add(0, tcp), source, destination, IpProtocol.Tcp, tcp.Length)) == 0xFFFF;
    }

    /// <summary>The open group of <paramref name="packet"/>'s flow (version, addresses, ports), as an index into the open list; -1 when none.</summary>
    private int FindOpen(ReadOnlySpan<byte> packet, in Entry entry)
    {
        var addresses = entry.Ipv6 ? packet.Slice(IpPacket.Ipv6SourceOffset, 32) : packet.Slice(IpPacket.Ipv4SourceOffset, 8);
        var ports = packet.Slice(entry.IpHeaderLength, 2 * sizeof(ushort));
        for (var i = 0; i < _openCount; i++)
        {
            ref readonly var head = ref _entries[_open[i]];
            if (head.Ipv6 != entry.Ipv6)
                continue;
            var other = head.Array.AsSpan(head.Offset, head.Length);
            var otherAddresses = head.Ipv6 ? other.Slice(IpPacket.Ipv6SourceOffset, 32) : other.Slice(IpPacket.Ipv4SourceOffset, 8);
            if (addresses.SequenceEqual(otherAddresses) && ports.SequenceEqual(other.Slice(head.IpHeaderLength, 2 * sizeof(ushort))))
                return i;
        }
        return -1;
    }

    /// <summary>Whether the candidate <paramref name="packet"/> continues the open group that starts with <paramref name="head"/>.</summary>
    private static bool CanAppend(ref Entry head, ReadOnlySpan<byte> packet, in Entry entry)
    {
        if (entry.TcpHeaderLength != head.TcpHeaderLength || entry.Payload > head.Payload
            || entry.Sequence != unchecked(head.Sequence + (uint)head.GroupPayload))
        {
            return false;
        }
        var limit = head.Ipv6 ? MaxIpLength : MaxIpLength - IpPacket.Ipv4HeaderSize;
        if (head.TcpHeaderLength + head.GroupPayload + entry.Payload > limit)
            return false;
        var first = head.Array.AsSpan(head.Offset, head.Length);
        if (head.Ipv6)
        {
            if (!packet[..4].SequenceEqual(first[..4]) || packet[IpPacket.Ipv6HopLimitOffset] != first[IpPacket.Ipv6HopLimitOffset])
                return false;
        }
        else
        {
            if (packet[1] != first[1] || packet[IpPacket.Ipv4TtlOffset] != first[IpPacket.Ipv4TtlOffset]
                || (packet[IpPacket.Ipv4FlagsOffset] & Ipv4FlagBits) != (first[IpPacket.Ipv4FlagsOffset] & Ipv4FlagBits))
            {
                return false;
            }
            // Without DF the Identification tells the segments apart; they must be what splitting the super-packet
            // again would give them. With DF (RFC 6864 4.1, atomic datagrams) it carries nothing.
            if ((first[IpPacket.Ipv4FlagsOffset] & IpPacket.DontFragment) == 0
                && BinaryPrimitives.ReadUInt16BigEndian(packet[Ipv4IdentificationOffset..])
                    != unchecked((ushort)(BinaryPrimitives.ReadUInt16BigEndian(first[Ipv4IdentificationOffset..]) + head.Segments)))
            {
                return false;
            }
        }
        var tcp = packet[head.IpHeaderLength..];
        var firstTcp = first[head.IpHeaderLength..];
        return tcp.Slice(TcpAcknowledgmentOffset, 4).SequenceEqual(firstTcp.Slice(TcpAcknowledgmentOffset, 4))
            && tcp[TcpDataOffsetOffset] == firstTcp[TcpDataOffsetOffset]
            && tcp.Slice(TcpWindowOffset, 2).SequenceEqual(firstTcp.Slice(TcpWindowOffset, 2))
            && tcp.Slice(TcpUrgentOffset, 2).SequenceEqual(firstTcp.Slice(TcpUrgentOffset, 2))
            && tcp[TcpHeaderSize..head.TcpHeaderLength].SequenceEqual(firstTcp[TcpHeaderSize..head.TcpHeaderLength]);
    }

    private void Append(ref Entry head, int index)
    {
        _entries[head.Tail].Next = index;
        head.Tail = index;
        head.Segments++;
        head.GroupPayload += _entries[index].Payload;
    }

    private void RemoveOpen(int open) => _open[open] = _open[--_openCount];

    private void Grow()
    {
        var capacity = _entries.Length * 2;
        System.Array.Resize(ref _entries, capacity);
        _frames = new int[capacity];
        _open = new int[capacity];
    }

    /// <summary>A queued packet and, after <see cref="Group"/>, what it is and, for the first of a group, the group.</summary>
    private struct Entry
    {
        public byte[] Array;
        public int Offset;
        public int Length;
        public Kind Kind;
        public bool Ipv6;
        public bool Push;
        public int IpHeaderLength;
        public int TcpHeaderLength;
        public int Payload;
        public uint Sequence;

        /// <summary>The next packet of the group, -1 for the last.</summary>
        public int Next;

        /// <summary>For the first of a group: its last packet, its number of packets and their payload together.</summary>
        public int Tail;
        public int Segments;
        public int GroupPayload;
    }
}
