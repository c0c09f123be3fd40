namespace S2SEndpoint.Ike.Sa;

/// <summary>
/// What the engine counts beside its drops, for metrics: IKE datagrams in and out, retransmitted requests, and rekeys.
/// Changed by the engine's one consumer; read under the same lock (the gateway's control plane).
/// </summary>
public sealed class IkeStatistics
{
    /// <summary>IKE datagrams handed to <see cref="IkeEngine.Receive"/>, whatever became of them.</summary>
    public long Received { get; private set; }

    /// <summary>IKE datagrams the engine gave out to send, retransmissions and cookies included.</summary>
    public long Sent { get; private set; }

    /// <summary>Requests sent again for want of an answer (RFC 7296 2.1).</summary>
    public long Retransmits { get; private set; }

    /// <summary>IKE SAs replaced by a rekey (RFC 7296 2.18).</summary>
    public long IkeRekeys { get; private set; }

    /// <summary>Child SAs replaced by a rekey (RFC 7296 1.3.3).</summary>
    public long ChildRekeys { get; private set; }

    /// <summary>IKE SAs replaced by a reauthentication (RFC 7296 2.8.3): a new SA up with its Child SAs, the old one deleted.</summary>
    public long IkeReauths { get; private set; }

    internal void CountReceived() => Received++;
    internal void CountSent(int datagrams) => Sent += datagrams;
    internal void CountRetransmit() => Retransmits++;
    internal void CountIkeRekey() => IkeRekeys++;
    internal void CountChildRekey() => ChildRekeys++;
    internal void CountIkeReauth() => IkeReauths++;
}
