namespace S2SEndpoint.Ike.Messages;

/// <summary>
/// A payload of a type this build does not know, whose critical bit was clear: RFC 7296 3.2 says the
/// recipient skips it. It is kept so that a message still round-trips.
/// </summary>
public sealed class UnknownPayload(PayloadType type, byte[] body) : IkePayload
{
    public byte[] Body { get; } = body;
    public override PayloadType Type { get; } = type;
    public override int BodyLength => Body.Length;
    public override void WriteBody(Span<byte> destination) => Body.CopyTo(destination);
}
