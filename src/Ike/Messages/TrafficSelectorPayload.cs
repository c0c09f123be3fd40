namespace S2SEndpoint.Ike.Messages;

// RFC 7296 section 3.13, Traffic Selector payload (TSi and TSr):
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Number of TSs |                 RESERVED                      |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                       <Traffic Selectors>                     ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

/// <summary>TSi or TSr (RFC 7296 section 3.13).</summary>
public sealed class TrafficSelectorPayload(bool initiator, IReadOnlyList<TrafficSelector> selectors) : IkePayload
{
    private const int FixedSize = 4;

    public bool IsInitiator { get; } = initiator;
    public IReadOnlyList<TrafficSelector> Selectors { get; } = selectors;

    public override PayloadType Type => IsInitiator ? PayloadType.TrafficSelectorInitiator : PayloadType.TrafficSelectorResponder;
    public override int BodyLength => FixedSize + Selectors.Sum(s => s.Length);

    public override void WriteBody(Span<byte> destination)
    {
        destination[0] = checked((byte)Selectors.Count);
        destination[1..FixedSize].Clear();
        var pos = FixedSize;
        foreach (var s in Selectors)
        {
            s.Write(destination[pos..]);
            pos += s.Length;
        }
    }

    public static bool TryRead(PayloadType type, ReadOnlySpan<byte> body, int offset, out TrafficSelectorPayload payload, out ParseError error)
    {
        payload = null!;
        if (body.Length < FixedSize)
        {
            error = ParseError.Syntax(type, offset, $"TS body of {body.Length} octets is shorter than {FixedSize}");
            return false;
        }
        var count = body[0];
        if (count == 0)
        {
            error = ParseError.Syntax(type, offset, "a TS payload must carry at least one selector");
            return false;
        }
        var selectors = new List<TrafficSelector>(count);
        var pos = FixedSize;
        for (var i = 0; i < count; i++)
        {
            if (!TrafficSelector.TryRead(body[pos..], type, offset + pos, out var selector, out var used, out error))
                return false;
            selectors.Add(selector);
            pos += used;
        }
        if (pos != body.Length)
        {
            error = ParseError.Syntax(type, offset + pos, $"{body.Length - pos} octets after the {count} announced selectors");
            return false;
        }
        payload = new TrafficSelectorPayload(type == PayloadType.TrafficSelectorInitiator, selectors);
        error = default;
        return true;
    }
}
