using System.Net;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Exchanges;

/// <summary>A received request or response: its header, its payloads (decrypted), and where it came from.</summary>
internal sealed class IncomingMessage(IkeHeader header, IReadOnlyList<IkePayload> payloads, ReadOnlyMemory<byte> raw, IPEndPoint local, IPEndPoint remote)
{
    public IkeHeader Header { get; } = header;
    public IReadOnlyList<IkePayload> Payloads { get; } = payloads;

    /// <summary>The datagram as received; for IKE_SA_INIT it is the "RealMessage" that AUTH signs.</summary>
    public ReadOnlyMemory<byte> Raw { get; } = raw;

    public IPEndPoint Local { get; } = local;
    public IPEndPoint Remote { get; } = remote;

    public T? Find<T>() where T : IkePayload
    {
        foreach (var p in Payloads)
        {
            if (p is T t)
                return t;
        }
        return null;
    }

    public TrafficSelectorPayload? FindTs(bool initiator) =>
        Payloads.OfType<TrafficSelectorPayload>().FirstOrDefault(t => t.IsInitiator == initiator);

    public IdentificationPayload? FindId(bool initiator) =>
        Payloads.OfType<IdentificationPayload>().FirstOrDefault(t => t.IsInitiator == initiator);

    public NotifyPayload? FindNotify(NotifyType type) =>
        Payloads.OfType<NotifyPayload>().FirstOrDefault(n => n.NotifyType == type);

    /// <summary>The first error notify (type below 16384), if any.</summary>
    public NotifyPayload? FirstError() =>
        Payloads.OfType<NotifyPayload>().FirstOrDefault(n => n.NotifyType.IsError());
}
