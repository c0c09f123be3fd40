using System.Net;
using S2SEndpoint.Esp;

namespace S2SEndpoint.Gateway;

/// <summary>
/// Where one child's packets go, as the data path sees it in a <see cref="DataPathSnapshot"/>: its tunnel device, the
/// ESP SA that carries its outbound traffic now (none before its first SA and after its last) with that SA's UDP
/// endpoints, for start_action trap the queue its packets wait in, and the largest TCP MSS its SYNs may carry
/// (children.NAME.mss_clamp). Immutable: a rekey or a NAT's new mapping publishes a new route, so that a worker never
/// sees a new SA with old endpoints or half of a move.
/// </summary>
internal sealed class ChildRoute(uint reqId, string connection, string child, string device, EspSa? outbound, IPEndPoint? local, IPEndPoint? remote, TrapQueue? trap,
    ushort mssClamp = 0)
{
    public uint ReqId { get; } = reqId;
    public string Connection { get; } = connection;
    public string Child { get; } = child;
    public string Device { get; } = device;
    public EspSa? Outbound { get; } = outbound;
    public IPEndPoint? Local { get; } = local;
    public IPEndPoint? Remote { get; } = remote;
    public TrapQueue? Trap { get; } = trap;

    /// <summary>The largest MSS a SYN through the child may carry, each way (<see cref="TcpMss"/>); 0: not clamped.</summary>
    public ushort MssClamp { get; } = mssClamp;
}
