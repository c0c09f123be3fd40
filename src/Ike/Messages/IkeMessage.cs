namespace S2SEndpoint.Ike.Messages;

/// <summary>
/// An IKE message: the header and its payloads in wire order (RFC 7296 section 3). Read from a datagram
/// it keeps the datagram, which the SK payload's integrity check and the AUTH computation need.
/// </summary>
public sealed class IkeMessage
{
    public IkeMessage(IkeHeader header, IReadOnlyList<IkePayload> payloads)
    {
        Header = header;
        Payloads = payloads;
    }

    public IkeHeader Header { get; }
    public IReadOnlyList<IkePayload> Payloads { get; }

    /// <summary>The datagram this message was read from; empty for a message built locally.</summary>
    public ReadOnlyMemory<byte> Raw { get; private init; }

    public T? Find<T>() where T : IkePayload => Payloads.OfType<T>().FirstOrDefault();

    public NotifyPayload? FindNotify(NotifyType type) => Payloads.OfType<NotifyPayload>().FirstOrDefault(n => n.NotifyType == type);

    /// <summary>Reads a whole datagram (without a non-ESP marker). Never throws on its content.</summary>
    public static bool TryParse(ReadOnlyMemory<byte> datagram, out IkeMessage message, out ParseError error)
    {
        message = null!;
        var span = datagram.Span;
        if (!IkeHeader.TryRead(span, out var header, out error))
            return false;
        // RFC 7296 3.1: "Length (4 octets, unsigned integer) - Length of the total message (header + payloads) in octets."
        if (header.Length != span.Length)
        {
            error = ParseError.Syntax(null, 24, $"header length {header.Length} differs from the datagram's {span.Length} octets");
            return false;
        }
        var payloads = new List<IkePayload>();
        if (!PayloadChain.TryRead(header.NextPayload, span[IkeHeader.Size..], IkeHeader.Size, payloads, out error))
            return false;
        message = new IkeMessage(header, payloads) { Raw = datagram };
        return true;
    }

    public int Length => IkeHeader.Size + PayloadChain.Length(Payloads);

    /// <summary>Writes the message; the header's Next Payload and Length are derived from the payloads.</summary>
    public byte[] ToArray()
    {
        var bytes = new byte[Length];
        var header = Header with { NextPayload = PayloadChain.FirstType(Payloads), Length = (uint)bytes.Length };
        header.Write(bytes);
        PayloadChain.Write(Payloads, bytes.AsSpan(IkeHeader.Size));
        return bytes;
    }
}
