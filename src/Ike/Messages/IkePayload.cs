namespace S2SEndpoint.Ike.Messages;

// RFC 7296 section 3.2, the generic payload header that starts every payload:
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

/// <summary>
/// One payload of an IKE message: its body, without the generic header. The header (next payload,
/// critical bit, length) is derived when the message is written.
/// </summary>
public abstract class IkePayload
{
    public const int GenericHeaderSize = 4;
    internal const byte CriticalBit = 0x80;

    public abstract PayloadType Type { get; }

    /// <summary>Length of the body, without the generic header.</summary>
    public abstract int BodyLength { get; }

    public abstract void WriteBody(Span<byte> destination);

    /// <summary>
    /// RFC 7296 3.2: the critical bit "MUST be set to zero for payload types defined in this document";
    /// only an unknown payload kept for forwarding carries it.
    /// </summary>
    public virtual bool Critical => false;

    public int TotalLength => GenericHeaderSize + BodyLength;

    /// <summary>For a payload whose Next Payload field names something other than its successor (SK, SKF).</summary>
    internal virtual PayloadType? ChainOverride => null;

    public byte[] BodyToArray()
    {
        var bytes = new byte[BodyLength];
        WriteBody(bytes);
        return bytes;
    }
}
