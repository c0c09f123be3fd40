using System.Buffers.Binary;

namespace S2SEndpoint.Ike.Messages;

// RFC 7296 section 3.3.1, Proposal Substructure:
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Last Substruc |   RESERVED    |         Proposal Length       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Proposal Num  |  Protocol ID  |    SPI Size   |Num  Transforms|
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                        SPI (variable)                         ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                        <Transforms>                           ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

/// <summary>One proposal of an SA payload: a protocol, an SPI and transforms (RFC 7296 section 3.3.1).</summary>
public sealed class Proposal
{
    public const int HeaderSize = 8;
    internal const byte LastSubstructure = 0;
    internal const byte MoreSubstructure = 2;

    public Proposal(byte number, ProtocolId protocol, byte[] spi, IReadOnlyList<Transform> transforms)
    {
        Number = number;
        Protocol = protocol;
        Spi = spi;
        Transforms = transforms;
    }

    public byte Number { get; }
    public ProtocolId Protocol { get; }
    /// <summary>Empty in an initial IKE_SA_INIT, 8 octets for an IKE SA rekey, 4 for ESP and AH.</summary>
    public byte[] Spi { get; }
    public IReadOnlyList<Transform> Transforms { get; }

    public int Length
    {
        get
        {
            var length = HeaderSize + Spi.Length;
            foreach (var t in Transforms)
                length += t.Length;
            return length;
        }
    }

    public IEnumerable<Transform> OfType(TransformType type) => Transforms.Where(t => t.Type == type);

    public Proposal With(byte number, byte[] spi) => new(number, Protocol, spi, Transforms);

    internal void Write(Span<byte> destination, bool last)
    {
        destination[0] = last ? LastSubstructure : MoreSubstructure;
        destination[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], checked((ushort)Length));
        destination[4] = Number;
        destination[5] = (byte)Protocol;
        destination[6] = checked((byte)Spi.Length);
        destination[7] = checked((byte)Transforms.Count);
        Spi.CopyTo(destination[HeaderSize..]);
        var pos = HeaderSize + Spi.Length;
        for (var i = 0; i < Transforms.Count; i++)
        {
            Transforms[i].Write(destination[pos..], i == Transforms.Count - 1);
            pos += Transforms[i].Length;
        }
    }

    internal static bool TryRead(ReadOnlySpan<byte> data, int offset, out Proposal proposal, out int length, out bool last, out ParseError error)
    {
        proposal = null!;
        length = 0;
        last = false;
        if (data.Length < HeaderSize)
        {
            error = ParseError.Syntax(PayloadType.SecurityAssociation, offset, $"proposal header needs {HeaderSize} octets, {data.Length} left");
            return false;
        }
        var marker = data[0];
        // RFC 7296 3.3.1: "This field has a value of 0 if this was the last Proposal Substructure, and a
        // value of 2 if there are more Proposal Substructures."
        if (marker != LastSubstructure && marker != MoreSubstructure)
        {
            error = ParseError.Syntax(PayloadType.SecurityAssociation, offset, $"proposal Last Substruc is {marker}, must be 0 or 2");
            return false;
        }
        last = marker == LastSubstructure;
        length = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
        if (length < HeaderSize || length > data.Length)
        {
            error = ParseError.Syntax(PayloadType.SecurityAssociation, offset + 2, $"proposal length {length} outside {HeaderSize}..{data.Length}");
            return false;
        }
        var number = data[4];
        var protocol = (ProtocolId)data[5];
        var spiSize = data[6];
        var transformCount = data[7];
        if (HeaderSize + spiSize > length)
        {
            error = ParseError.Syntax(PayloadType.SecurityAssociation, offset + 6, $"SPI size {spiSize} runs past the proposal of {length} octets");
            return false;
        }
        var spi = data.Slice(HeaderSize, spiSize).ToArray();
        var transforms = new List<Transform>(transformCount);
        var pos = HeaderSize + spiSize;
        var sawLast = transformCount == 0;
        while (pos < length)
        {
            if (sawLast)
            {
                error = ParseError.Syntax(PayloadType.SecurityAssociation, offset + pos, "data after the last transform of the proposal");
                return false;
            }
            if (!Transform.TryRead(data[pos..length], offset + pos, out var transform, out var used, out var isLast, out error))
                return false;
            transforms.Add(transform);
            pos += used;
            sawLast = isLast;
        }
        // RFC 7296 3.3: "an implementation MUST check that the total Payload Length is consistent with the
        // payload's internal lengths and counts."
        if (!sawLast || transforms.Count != transformCount)
        {
            error = ParseError.Syntax(PayloadType.SecurityAssociation, offset + 7,
                $"proposal {number} announces {transformCount} transforms and holds {transforms.Count}");
            return false;
        }
        proposal = new Proposal(number, protocol, spi, transforms);
        error = default;
        return true;
    }

    public override string ToString() =>
        $"#{Number} {Protocol}: {string.Join("/", Transforms.Select(t => $"{t.Type}:{t.Id}{(t.KeyLength is { } k ? "_" + k : "")}"))}";
}
