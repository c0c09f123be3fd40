using System.Buffers.Binary;

namespace S2SEndpoint.Ike.Messages;

// RFC 7296 section 3.1, the IKE header:
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                       IKE SA Initiator's SPI                  |
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                       IKE SA Responder's SPI                  |
// |                                                               |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |  Next Payload | MjVer | MnVer | Exchange Type |     Flags     |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                          Message ID                           |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                            Length                             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

/// <summary>The fixed 28-octet IKE header (RFC 7296 section 3.1).</summary>
public readonly record struct IkeHeader(
    ulong InitiatorSpi,
    ulong ResponderSpi,
    PayloadType NextPayload,
    ExchangeType Exchange,
    HeaderFlags Flags,
    uint MessageId,
    uint Length,
    byte MajorVersion = IkeHeader.SupportedMajorVersion,
    byte MinorVersion = 0)
{
    public const int Size = 28;
    public const byte SupportedMajorVersion = 2;
    public const int InitiatorSpiOffset = 0;
    public const int ResponderSpiOffset = 8;
    public const int NextPayloadOffset = 16;
    public const int VersionOffset = 17;
    public const int ExchangeOffset = 18;
    public const int FlagsOffset = 19;
    public const int MessageIdOffset = 20;
    public const int LengthOffset = 24;

    public bool IsResponse => (Flags & HeaderFlags.Response) != 0;
    public bool IsFromInitiator => (Flags & HeaderFlags.Initiator) != 0;

    /// <summary>Reads the header; checks only what the header alone can tell.</summary>
    public static bool TryRead(ReadOnlySpan<byte> datagram, out IkeHeader header, out ParseError error)
    {
        header = default;
        if (datagram.Length < Size)
        {
            error = ParseError.Syntax(null, 0, $"datagram of {datagram.Length} octets is shorter than the {Size}-octet IKE header");
            return false;
        }
        var version = datagram[VersionOffset];
        header = new IkeHeader(
            BinaryPrimitives.ReadUInt64BigEndian(datagram[InitiatorSpiOffset..]),
            BinaryPrimitives.ReadUInt64BigEndian(datagram[ResponderSpiOffset..]),
            (PayloadType)datagram[NextPayloadOffset],
            (ExchangeType)datagram[ExchangeOffset],
            (HeaderFlags)datagram[FlagsOffset],
            BinaryPrimitives.ReadUInt32BigEndian(datagram[MessageIdOffset..]),
            BinaryPrimitives.ReadUInt32BigEndian(datagram[LengthOffset..]),
            (byte)(version >> 4),
            (byte)(version & 0x0F));

        // RFC 7296 3.1: "Implementations based on this version of IKE MUST set the major version to 2
        // and MUST drop the messages with a higher major version number." 3.10.1: for INVALID_MAJOR_VERSION
        // "the closest version number that the recipient can support will be in the reply header".
        if (header.MajorVersion != SupportedMajorVersion)
        {
            error = new ParseError(null, VersionOffset, NotifyType.InvalidMajorVersion,
                $"major version {header.MajorVersion}, this implementation speaks 2");
            return false;
        }
        error = default;
        return true;
    }

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination[InitiatorSpiOffset..], InitiatorSpi);
        BinaryPrimitives.WriteUInt64BigEndian(destination[ResponderSpiOffset..], ResponderSpi);
        destination[NextPayloadOffset] = (byte)NextPayload;
        destination[VersionOffset] = (byte)((MajorVersion << 4) | (MinorVersion & 0x0F));
        destination[ExchangeOffset] = (byte)Exchange;
        destination[FlagsOffset] = (byte)Flags;
        BinaryPrimitives.WriteUInt32BigEndian(destination[MessageIdOffset..], MessageId);
        BinaryPrimitives.WriteUInt32BigEndian(destination[LengthOffset..], Length);
    }
}
