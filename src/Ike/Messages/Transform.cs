using System.Buffers.Binary;

namespace S2SEndpoint.Ike.Messages;

// RFC 7296 section 3.3.2, Transform Substructure:
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Last Substruc |   RESERVED    |        Transform Length       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |Transform Type |   RESERVED    |          Transform ID         |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                      Transform Attributes                     ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// RFC 7296 section 3.3.5, Transform Attributes:
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |A|       Attribute Type        |    AF=0  Attribute Length     |
// |F|                             |    AF=1  Attribute Value      |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |                   AF=0  Attribute Value                       |
// |                   AF=1  Not Transmitted                       |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

/// <summary>A transform attribute other than Key Length, kept so that a proposal carrying it can be refused.</summary>
public sealed record TransformAttribute(ushort AttributeType, bool IsShortForm, ushort ShortValue, byte[] LongValue);

/// <summary>One transform of a proposal (RFC 7296 section 3.3.2).</summary>
public sealed record Transform(TransformType Type, ushort Id, ushort? KeyLength = null)
{
    public const int HeaderSize = 8;
    internal const byte LastSubstructure = 0;
    internal const byte MoreSubstructure = 3;
    /// <summary>RFC 7296 3.3.5: attribute type 14, Key Length in bits, always in the short (TV) form.</summary>
    public const ushort KeyLengthAttribute = 14;
    private const ushort ShortFormBit = 0x8000;

    public IReadOnlyList<TransformAttribute> OtherAttributes { get; init; } = [];

    public int Length
    {
        get
        {
            var length = HeaderSize + (KeyLength is null ? 0 : 4);
            foreach (var a in OtherAttributes)
                length += a.IsShortForm ? 4 : 4 + a.LongValue.Length;
            return length;
        }
    }

    internal void Write(Span<byte> destination, bool last)
    {
        destination[0] = last ? LastSubstructure : MoreSubstructure;
        destination[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[2..], checked((ushort)Length));
        destination[4] = (byte)Type;
        destination[5] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[6..], Id);
        var pos = HeaderSize;
        if (KeyLength is { } keyLength)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination[pos..], ShortFormBit | KeyLengthAttribute);
            BinaryPrimitives.WriteUInt16BigEndian(destination[(pos + 2)..], keyLength);
            pos += 4;
        }
        foreach (var a in OtherAttributes)
        {
            if (a.IsShortForm)
            {
                BinaryPrimitives.WriteUInt16BigEndian(destination[pos..], (ushort)(ShortFormBit | a.AttributeType));
                BinaryPrimitives.WriteUInt16BigEndian(destination[(pos + 2)..], a.ShortValue);
                pos += 4;
            }
            else
            {
                BinaryPrimitives.WriteUInt16BigEndian(destination[pos..], a.AttributeType);
                BinaryPrimitives.WriteUInt16BigEndian(destination[(pos + 2)..], checked((ushort)a.LongValue.Length));
                a.LongValue.CopyTo(destination[(pos + 4)..]);
                pos += 4 + a.LongValue.Length;
            }
        }
    }

    /// <summary>Reads one transform at the start of <paramref name="data"/>; <paramref name="length"/> is what it used.</summary>
    internal static bool TryRead(ReadOnlySpan<byte> data, int offset, out Transform transform, out int length, out bool last, out ParseError error)
    {
        transform = null!;
        length = 0;
        last = false;
        if (data.Length < HeaderSize)
        {
            error = ParseError.Syntax(PayloadType.SecurityAssociation, offset, $"transform header needs {HeaderSize} octets, {data.Length} left");
            return false;
        }
        var marker = data[0];
        if (marker != LastSubstructure && marker != MoreSubstructure)
        {
            // RFC 7296 3.3.2: "This field has a value of 0 if this was the last Transform Substructure,
            // and a value of 3 if there are more Transform Substructures."
            error = ParseError.Syntax(PayloadType.SecurityAssociation, offset, $"transform Last Substruc is {marker}, must be 0 or 3");
            return false;
        }
        last = marker == LastSubstructure;
        length = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
        if (length < HeaderSize || length > data.Length)
        {
            error = ParseError.Syntax(PayloadType.SecurityAssociation, offset + 2, $"transform length {length} outside {HeaderSize}..{data.Length}");
            return false;
        }
        var type = (TransformType)data[4];
        var id = BinaryPrimitives.ReadUInt16BigEndian(data[6..]);
        ushort? keyLength = null;
        List<TransformAttribute>? others = null;
        var pos = HeaderSize;
        while (pos < length)
        {
            if (length - pos < 4)
            {
                error = ParseError.Syntax(PayloadType.SecurityAssociation, offset + pos, "transform attribute shorter than 4 octets");
                return false;
            }
            var typeField = BinaryPrimitives.ReadUInt16BigEndian(data[pos..]);
            var value = BinaryPrimitives.ReadUInt16BigEndian(data[(pos + 2)..]);
            var attributeType = (ushort)(typeField & ~ShortFormBit);
            if ((typeField & ShortFormBit) != 0)
            {
                if (attributeType == KeyLengthAttribute && keyLength is null)
                    keyLength = value;
                else
                    (others ??= []).Add(new TransformAttribute(attributeType, true, value, []));
                pos += 4;
            }
            else
            {
                if (value > length - pos - 4)
                {
                    error = ParseError.Syntax(PayloadType.SecurityAssociation, offset + pos + 2, $"attribute length {value} runs past the transform");
                    return false;
                }
                (others ??= []).Add(new TransformAttribute(attributeType, false, 0, data.Slice(pos + 4, value).ToArray()));
                pos += 4 + value;
            }
        }
        transform = new Transform(type, id, keyLength) { OtherAttributes = others ?? (IReadOnlyList<TransformAttribute>)[] };
        error = default;
        return true;
    }

    public bool Equals(Transform? other) =>
        other is not null && Type == other.Type && Id == other.Id && KeyLength == other.KeyLength &&
        OtherAttributes.Count == other.OtherAttributes.Count &&
        OtherAttributes.Zip(other.OtherAttributes).All(p => p.First.AttributeType == p.Second.AttributeType &&
            p.First.IsShortForm == p.Second.IsShortForm && p.First.ShortValue == p.Second.ShortValue &&
            p.First.LongValue.AsSpan().SequenceEqual(p.Second.LongValue));

    public override int GetHashCode() => HashCode.Combine(Type, Id, KeyLength, OtherAttributes.Count);
}
