using System.Net;
using S2SEndpoint.Esp;

namespace S2SEndpoint.Gateway.Tracing;

/// <summary>
/// The data path's side of `s2s trace`: the sessions tracing now, as one immutable object that the data path reads
/// through a single field (<see cref="DataPath.Tracer"/>), null while nobody traces, when the data path does nothing
/// more for tracing than read that field. With sessions, each packet is offered to them once its connection is known
/// (or once it is dropped before that): a session takes it when its filter holds and its count and rate allow, and
/// only a packet some session took costs a record (allocations, decoding); any other goes on as it would untraced.
///
/// A packet the data path cannot put to a child (no policy holds it, an unknown SPI, a keepalive) belongs to a
/// connection's trace when it came from that connection's device (outbound) or from its peer's address (inbound).
/// </summary>
internal sealed class PacketTracer(TraceSession[] sessions, TimeProvider time)
{
    /// <summary>Traces at once; more are refused.</summary>
    public const int MaxSessions = 4;

    public IReadOnlyList<TraceSession> Sessions => sessions;

    /// <summary>
    /// An outbound packet from <paramref name="device"/>'s <paramref name="queue"/>, of <paramref name="route"/>'s child
    /// (null: the data path found none): its trace when a session takes it, else null. Call before the seal.
    /// </summary>
    public OutboundTrace? Outbound(DataPathSnapshot snapshot, string device, int queue, ChildRoute? route, ReadOnlySpan<byte> inner)
    {
        var taken = Take(TraceDirection.Outbound, snapshot, route, device, null);
        if (taken is null)
            return null;
        try
        {
            return new OutboundTrace(taken, time.GetUtcNow(), snapshot, device, queue, route, inner);
        }
#pragma warning disable CA1031 // Tracing must never take a packet down with it.
        catch (Exception e) when (e is not OutOfMemoryException)
#pragma warning restore CA1031
        {
            Abandon(taken);
            return null;
        }
    }

    /// <summary>
    /// A datagram on port 4500 from <paramref name="remote"/> whose payload is of <paramref name="kind"/> (IKE is not
    /// traced): its trace when a session takes it, else null. For ESP, call before the open.
    /// </summary>
    public InboundTrace? Inbound(DataPathSnapshot snapshot, SaTable table, IPEndPoint local, IPEndPoint remote, UdpPayloadKind kind, PacketBuffer buffer)
    {
        EspSa? sa = null;
        ChildRoute? route = null;
        if (kind == UdpPayloadKind.Esp && table.TryGetInbound(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(buffer.Data), out sa))
            snapshot.Routes.TryGetValue(sa.ReqId, out route);
        var taken = Take(TraceDirection.Inbound, snapshot, route, null, remote.Address);
        if (taken is null)
            return null;
        try
        {
            return new InboundTrace(taken, time.GetUtcNow(), local, remote, kind, buffer, sa, route);
        }
#pragma warning disable CA1031 // Tracing must never take a packet down with it.
        catch (Exception e) when (e is not OutOfMemoryException)
#pragma warning restore CA1031
        {
            Abandon(taken);
            return null;
        }
    }

    /// <summary>The sessions that take this packet, with its number in each; null when none does (nothing allocated then).</summary>
    private TakenBy[]? Take(TraceDirection direction, DataPathSnapshot snapshot, ChildRoute? route, string? device, IPAddress? peer)
    {
        TakenBy[]? taken = null;
        var count = 0;
        foreach (var session in sessions)
        {
            if (!session.Follows(direction) || !Covers(session, snapshot, route, device, peer) || !session.TryTake(out var packet))
                continue;
            taken ??= new TakenBy[sessions.Length];
            taken[count++] = new TakenBy(session, packet);
        }
        return taken is null || count == taken.Length ? taken : taken[..count];
    }

    /// <summary>Whether <paramref name="session"/>'s filter holds the packet of <paramref name="route"/>, or without one, from that device or peer.</summary>
    private static bool Covers(TraceSession session, DataPathSnapshot snapshot, ChildRoute? route, string? device, IPAddress? peer)
    {
        if (session.Connection is null)
            return true;
        if (route is not null)
            return session.Covers(route.Connection, route.Child);
        foreach (var r in snapshot.Routes.Values)
        {
            if (!session.Covers(r.Connection, r.Child))
                continue;
            if (device is not null && r.Device == device)
                return true;
            if (peer is not null && r.Remote is { } remote && remote.Address.Equals(peer))
                return true;
        }
        return false;
    }

    private static void Abandon(TakenBy[] taken)
    {
        foreach (var t in taken)
            t.Session.Abandon();
    }
}
