using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Exchanges;

/// <summary>
/// Deletes Child SAs (RFC 7296 1.4.1): the request names the sender's inbound SPIs; the response names
/// the responder's inbound SPIs of the same SAs; then both remove them from the data plane.
/// </summary>
internal sealed class ChildDeleteTask(IkeSa sa, bool initiator, ChildSa? child) : IkeTask(sa, initiator)
{
    private readonly List<ChildSa> _deleting = child is null ? [] : [child];
    private readonly List<uint> _orphans = [];

    /// <summary>
    /// Deletes a Child SA the peer installed but this side never did (our CREATE_CHILD_SA failed on the
    /// peer's response): the request names our inbound SPI of it, which is all the peer needs.
    /// </summary>
    public static ChildDeleteTask ForOrphan(IkeSa sa, uint inboundSpi)
    {
        var task = new ChildDeleteTask(sa, true, null);
        task._orphans.Add(inboundSpi);
        return task;
    }

    public override TaskType Type => TaskType.ChildDelete;

    public IReadOnlyList<ChildSa> Children => _deleting;
    public override ExchangeType Exchange => ExchangeType.Informational;

    public override TaskOutcome Build(OutgoingMessage message)
    {
        if (IsInitiator)
        {
            _deleting.RemoveAll(c => !Sa.Children.Contains(c));
            if (_deleting.Count == 0 && _orphans.Count == 0)
                return TaskOutcome.Failed;
            foreach (var c in _deleting)
                c.State = ChildSaState.Deleting;
            message.Add(new DeletePayload(ProtocolId.Esp, [.. _deleting.Select(c => c.InboundSpi), .. _orphans]));
            return TaskOutcome.NeedMore;
        }
        // RFC 7296 1.4.1: the response carries Delete payloads for the paired SAs, except for SAs this side
        // is deleting itself: "the responses MUST NOT include Delete payloads for the deleted SAs".
        var paired = _deleting.Where(c => c.State != ChildSaState.Deleting).Select(c => c.InboundSpi).ToList();
        if (paired.Count > 0)
            message.Add(new DeletePayload(ProtocolId.Esp, paired));
        foreach (var c in _deleting)
            Sa.Context.RemoveChild(Sa, c, "deleted by the peer");
        return TaskOutcome.Success;
    }

    public override TaskOutcome Process(IncomingMessage message)
    {
        if (IsInitiator)
        {
            foreach (var c in _deleting)
                Sa.Context.RemoveChild(Sa, c, "deleted");
            return TaskOutcome.Success;
        }
        foreach (var delete in message.Payloads.OfType<DeletePayload>().Where(d => d.Protocol == ProtocolId.Esp))
        {
            foreach (var spi in delete.Spis)
            {
                // The SPI in the request is the sender's inbound one: our outbound.
                var c = Sa.Children.Find(x => x.OutboundSpi == spi);
                if (c is not null && !_deleting.Contains(c))
                    _deleting.Add(c);
            }
        }
        return TaskOutcome.NeedMore;
    }
}
