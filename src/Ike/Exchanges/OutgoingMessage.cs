using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Exchanges;

/// <summary>A request or response being built by the tasks of one exchange.</summary>
internal sealed class OutgoingMessage(ExchangeType exchange, bool isResponse)
{
    public ExchangeType Exchange { get; } = exchange;
    public bool IsResponse { get; } = isResponse;
    public List<IkePayload> Payloads { get; } = [];

    public void Add(IkePayload payload) => Payloads.Add(payload);

    public void AddNotify(NotifyType type, byte[]? data = null) => Payloads.Add(NotifyPayload.Status(type, data));
}
