using System.Net;
using S2SEndpoint.Esp;

namespace S2SEndpoint.Gateway.Net;

/// <summary>
/// One worker's outgoing ESP datagrams, sent together at <see cref="Flush"/>: with offload, runs of datagrams of one size
/// from one local endpoint to one peer leave as one UDP GSO send, and the runs of a batch in one sendmmsg; without, one
/// send each. Not shareable: one per worker thread.
/// </summary>
public sealed class UdpSendBatch
{
    /// <summary>
    /// Queues <paramref name="datagram"/>'s window for <paramref name="remote"/> from <paramref name="local"/>. Its octets
    /// must stay where they are until <see cref="Flush"/>; a full batch flushes first.
    /// </summary>
    public void Add(IPEndPoint local, IPEndPoint remote, PacketBuffer datagram) => throw new NotImplementedException();

    /// <summary>Sends what was queued, in order; the queued buffers are their owners' again.</summary>
    public void Flush() => throw new NotImplementedException();
}
