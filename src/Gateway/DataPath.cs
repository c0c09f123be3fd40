using System.Buffers.Binary;
using System.Net;
using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Net;
using S2SEndpoint.Gateway.Tracing;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway;

/// <summary>
/// The gateway's data path, in packet order, over one <see cref="DataPathSnapshot"/> and the ESP SA table. Any number
/// of workers run it at once; it takes no lock and allocates nothing per packet (the ESP library gives each worker its
/// own cipher context per SA, and its replay window is lock-free). The control plane publishes the snapshots; what the data path
/// cannot finish alone it hands to the control plane: IKE messages, and a trapped child's request for its SA.
///
///   UDP in:  port 500, or 4500 with the non-ESP marker (RFC 3948 2.2): IKE, pre-filtered (one of our SPIs, or a new
///            IKE SA request from an accepted peer within its source's rate limit), to the control plane;
///            0xFF on 4500: a NAT keepalive, counted; else ESP: SPI lookup and open (the ESP library), the child's route,
///            a SYN's MSS clamped to the child's mss_clamp, its device.
///   TUN in:  the device's child (route-based) or the first policy that holds the packet (policy-based), the child's
///            route: a SYN's MSS clamped to the child's mss_clamp, its current outbound SA and endpoints, seal, UDP to
///            the peer's 4500; without an SA, a trap holds the packet, anything else is counted and dropped, never sent
///            in clear.
///
/// `s2s trace` sees each step through <see cref="Tracer"/>: null while nobody traces, and then reading it is all the
/// tracing a packet costs; with sessions, a packet one of them takes carries a trace (<see cref="PacketTrace"/>) that
/// each step and drop below tells what it did.
/// </summary>
internal sealed class DataPath(ControlPlane control, IGatewayIo io, SaTable table, GatewayCounters counters, SourceRateLimiter newSaLimit, TimeProvider time)
{
    private readonly Lock _traceSync = new();
    private DataPathSnapshot _snapshot = DataPathSnapshot.Empty;
    private PacketTracer? _tracer;

    /// <summary>What the data path reads now.</summary>
    public DataPathSnapshot Snapshot => Volatile.Read(ref _snapshot);

    /// <summary>Makes <paramref name="next"/> what every worker reads from its next packet on. Control plane only.</summary>
    public void Publish(DataPathSnapshot next) => Volatile.Write(ref _snapshot, next);

    /// <summary>The traces running now; null while there is none.</summary>
    public PacketTracer? Tracer => Volatile.Read(ref _tracer);

    /// <summary>
    /// Starts `s2s trace` with this filter; null when <see cref="PacketTracer.MaxSessions"/> run already. Disposing the
    /// session stops it, and the last one to stop leaves the data path as it was before any.
    /// </summary>
    public TraceSession? StartTrace(string? connection, string? child, TraceDirection direction, int count)
    {
        lock (_traceSync)
        {
            var running = _tracer?.Sessions ?? [];
            if (running.Count >= PacketTracer.MaxSessions)
                return null;
            var session = new TraceSession(connection, child, direction, count, time, StopTrace);
            Volatile.Write(ref _tracer, new PacketTracer([.. running, session], time));
            return session;
        }
    }

    private void StopTrace(TraceSession session)
    {
        lock (_traceSync)
        {
            if (_tracer is not { } tracer)
                return;
            TraceSession[] left = [.. tracer.Sessions.Where(s => s != session)];
            Volatile.Write(ref _tracer, left.Length == 0 ? null : new PacketTracer(left, time));
        }
    }

    // ---- UDP to TUN ----

    /// <summary>
    /// One UDP datagram received on <paramref name="local"/> from <paramref name="remote"/>, in <paramref name="buffer"/>'s
    /// window; what it opens to goes to <paramref name="sink"/>, or at once through the I/O without one.
    /// </summary>
    public void OnUdp(IPEndPoint local, IPEndPoint remote, PacketBuffer buffer, IPacketSink? sink = null)
    {
        var payload = buffer.Data;
        if (local.Port != UdpEncapsulation.Port)
        {
            ReceiveIke(local, remote, payload);
            return;
        }
        switch (UdpEncapsulation.Classify(payload))
        {
            case UdpPayloadKind.Ike:
                // RFC 3948 2.2: the non-ESP marker says an IKE message follows.
                ReceiveIke(local, remote, payload[UdpEncapsulation.NonEspMarkerSize..]);
                return;
            case UdpPayloadKind.NatKeepalive:
                counters.CountKeepalive();
                Tracer?.Inbound(Snapshot, table, local, remote, UdpPayloadKind.NatKeepalive, buffer)?.NotEsp(UdpPayloadKind.NatKeepalive);
                return;
            case UdpPayloadKind.Esp:
                ReceiveEsp(local, remote, buffer, sink);
                return;
            default:
                counters.Count(GatewayDropReason.MalformedUdp);
                Tracer?.Inbound(Snapshot, table, local, remote, UdpPayloadKind.Malformed, buffer)?.NotEsp(UdpPayloadKind.Malformed);
                return;
        }
    }

    private void ReceiveIke(IPEndPoint local, IPEndPoint remote, ReadOnlySpan<byte> message)
    {
        // Before the control lock: a message for one of our IKE SAs (one of its SPIs is ours) goes on; a
        // request for a new IKE SA goes on when a connection accepts its source and that source's rate limit
        // allows; anything else (a spoofed or stale SPI) is dropped here. A flood therefore cannot starve the
        // rekeys and liveness checks of established SAs, nor cost more than a lookup. Behind the lock the engine
        // asks for cookies under load and keeps at most a few half-open SAs per source.
        if (message.Length < IkeHeader.Size)
        {
            counters.Count(GatewayDropReason.MalformedUdp);
            return;
        }
        var snapshot = Snapshot;
        if (!snapshot.KnownIkeSpis.Contains(BinaryPrimitives.ReadUInt64BigEndian(message[IkeHeader.InitiatorSpiOffset..])) &&
            !snapshot.KnownIkeSpis.Contains(BinaryPrimitives.ReadUInt64BigEndian(message[IkeHeader.ResponderSpiOffset..])))
        {
            if (!IsNewSaRequest(message))
            {
                counters.Count(GatewayDropReason.UnknownIkeSpi);
                return;
            }
            // No connection takes this peer: nothing of its request may count against those that do.
            if (snapshot.AcceptedPeers is { } accepted && !accepted.Contains(remote.Address))
            {
                counters.Count(GatewayDropReason.UnknownPeer);
                return;
            }
            if (!newSaLimit.TryTake(remote.Address))
            {
                counters.Count(GatewayDropReason.NewSaRateLimited);
                return;
            }
        }
        control.Receive(new Datagram(local, remote, message.ToArray()));
    }

    /// <summary>An IKE_SA_INIT request from an initiator with a zero responder SPI (RFC 7296 3.1): somebody asks for a new IKE SA.</summary>
    private static bool IsNewSaRequest(ReadOnlySpan<byte> message) =>
        message[IkeHeader.ExchangeOffset] == (byte)ExchangeType.IkeSaInit &&
        ((HeaderFlags)message[IkeHeader.FlagsOffset] & (HeaderFlags.Initiator | HeaderFlags.Response)) == HeaderFlags.Initiator &&
        BinaryPrimitives.ReadUInt64BigEndian(message[IkeHeader.ResponderSpiOffset..]) == 0;

    private void ReceiveEsp(IPEndPoint local, IPEndPoint remote, PacketBuffer buffer, IPacketSink? sink)
    {
        var trace = Tracer?.Inbound(Snapshot, table, local, remote, UdpPayloadKind.Esp, buffer);
        var reason = Inbound.Open(table, buffer, out var sa);
        if (reason != DropReason.None || sa is null)
        {
            counters.Count(GatewayDropReason.OpenFailed);
            trace?.OpenFailed(reason);
            return;
        }
        if (!Snapshot.Routes.TryGetValue(sa.ReqId, out var route))
        {
            counters.Count(GatewayDropReason.NoRoute);
            trace?.Opened(sa, buffer, null);
            return;
        }
        if (route.MssClamp != 0)
            ClampMss(route, buffer, trace);
        // A traced packet's record is made before it goes on, so that no answer to it can be recorded first.
        trace?.Opened(sa, buffer, route.Device);
        if (sink is null)
            io.WriteTun(route.Device, buffer.Data);
        else
            sink.WriteTun(route.Device, buffer);
    }

    // ---- TUN to UDP ----

    /// <summary>
    /// One inner packet read from queue <paramref name="queue"/> of tunnel device <paramref name="device"/>, in
    /// <paramref name="buffer"/>'s window; its ESP datagram goes to <paramref name="sink"/>, or at once through the I/O
    /// without one.
    /// </summary>
    public void OnTun(string device, int queue, PacketBuffer buffer, IPacketSink? sink = null)
    {
        var snapshot = Snapshot;
        if (!snapshot.ReqIdOfDevice.TryGetValue(device, out var reqId) && !snapshot.Policies.TryLookup(buffer.Data, out reqId))
        {
            counters.Count(GatewayDropReason.NoPolicy);
            Tracer?.Outbound(snapshot, device, queue, null, buffer.Data)?.Drop(GatewayDropReason.NoPolicy);
            return;
        }
        if (!snapshot.Routes.TryGetValue(reqId, out var route))
        {
            counters.Count(GatewayDropReason.NoSa);
            Tracer?.Outbound(snapshot, device, queue, null, buffer.Data)?.Drop(GatewayDropReason.NoSa);
            return;
        }
        var trace = Tracer?.Outbound(snapshot, device, queue, route, buffer.Data);
        // Before a trap holds it too: the first packet of a connection is its SYN.
        if (route.MssClamp != 0)
            ClampMss(route, buffer, trace);
        if (route.Outbound is not { } sa)
        {
            if (route.Trap is not null)
            {
                Hold(route, buffer.Data);
                trace?.Held();
            }
            else
            {
                counters.Count(GatewayDropReason.NoSa);
                trace?.Drop(GatewayDropReason.NoSa);
            }
            return;
        }
        Send(route, sa, buffer, trace, sink);
    }

    /// <summary>
    /// Seals the inner packet in <paramref name="buffer"/> with <paramref name="sa"/> and sends it to the route's peer;
    /// <paramref name="trace"/>, when the packet is traced, is told the outcome; the datagram goes to <paramref name="sink"/>,
    /// or at once through the I/O without one.
    /// </summary>
    public void Send(ChildRoute route, EspSa sa, PacketBuffer buffer, OutboundTrace? trace = null, IPacketSink? sink = null)
    {
        if (!sa.IsUdpEncapsulated || route.Local is not { } local || route.Remote is not { } remote)
        {
            counters.Count(GatewayDropReason.NotEncapsulated);
            trace?.Drop(GatewayDropReason.NotEncapsulated, sa);
            return;
        }
        var reason = Outbound.Seal(sa, buffer);
        if (reason != DropReason.None)
        {
            counters.Count(GatewayDropReason.SealFailed);
            trace?.SealFailed(sa, reason);
            return;
        }
        trace?.Sent(sa, buffer.Data, local, remote);
        if (sink is null)
            io.SendUdp(local, remote, buffer.Data);
        else
            sink.SendEsp(local, remote, buffer);
    }

    /// <summary>
    /// children.NAME.mss_clamp: the MSS option of a SYN or SYN-ACK in <paramref name="buffer"/> lowered to the route's
    /// maximum where it offers more (the ESP library's <see cref="TcpMss"/>), counted, and told to the trace.
    /// </summary>
    private void ClampMss(ChildRoute route, PacketBuffer buffer, PacketTrace? trace)
    {
        // mss_clamp is IPv4's (Azure's 1350); an IPv6 header is 20 octets longer, so an IPv6 SYN gets 20 less and its
        // segments fill packets of the same size.
        var data = buffer.Data;
        var maximum = data.Length > 0 && data[0] >> 4 == 6 ? (ushort)(route.MssClamp - TcpMss.Ipv6HeaderGrowth) : route.MssClamp;
        if (!TcpMss.Clamp(data, maximum, out var previous))
            return;
        counters.CountMssClamped();
        trace?.MssClamped(previous, maximum);
    }

    /// <summary>
    /// A packet for a trapped child without an SA: held, and the SA asked for when the queue says so, or when the
    /// route has an SA by now (published between the lookup and the queueing): the control plane then sends what
    /// waits, this packet with it.
    /// </summary>
    private void Hold(ChildRoute route, ReadOnlySpan<byte> packet)
    {
        var trigger = route.Trap!.Hold(packet);
        var installed = Snapshot.Routes.TryGetValue(route.ReqId, out var now) && now.Outbound is not null;
        if (trigger || installed)
            control.OnTrapped(route);
    }
}
