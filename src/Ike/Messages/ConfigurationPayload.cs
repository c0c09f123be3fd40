using System.Buffers.Binary;

namespace S2SEndpoint.Ike.Messages;

// RFC 7296 section 3.15, Configuration payload (CP), and 3.15.1, its attributes:
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C| RESERVED    |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |   CFG Type    |                    RESERVED                   |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                   Configuration Attributes                    ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// |R|         Attribute Type      |            Length             |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                             Value                             ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

/// <summary>CFG types (RFC 7296 section 3.15).</summary>
public enum ConfigurationType : byte
{
    Request = 1,
    Reply = 2,
    Set = 3,
    Ack = 4,
}

/// <summary>Configuration attribute types (RFC 7296 section 3.15.1).</summary>
public enum ConfigurationAttributeType : ushort
{
    InternalIp4Address = 1,
    InternalIp4Netmask = 2,
    InternalIp4Dns = 3,
    InternalIp4Nbns = 4,
    InternalIp4Dhcp = 6,
    ApplicationVersion = 7,
    InternalIp6Address = 8,
    InternalIp6Dns = 10,
    InternalIp6Dhcp = 12,
    InternalIp4Subnet = 13,
    SupportedAttributes = 14,
    InternalIp6Subnet = 15,
}

/// <summary>One configuration attribute; an empty value asks for one in a CFG_REQUEST.</summary>
public sealed record ConfigurationAttribute(ConfigurationAttributeType AttributeType, byte[] Value);

/// <summary>The CP payload (RFC 7296 section 3.15).</summary>
public sealed class ConfigurationPayload(ConfigurationType configurationType, IReadOnlyList<ConfigurationAttribute> attributes) : IkePayload
{
    private const int FixedSize = 4;
    private const int AttributeHeaderSize = 4;
    private const ushort ReservedBit = 0x8000;

    public ConfigurationType ConfigurationType { get; } = configurationType;
    public IReadOnlyList<ConfigurationAttribute> Attributes { get; } = attributes;

    public override PayloadType Type => PayloadType.Configuration;
    public override int BodyLength => FixedSize + Attributes.Sum(a => AttributeHeaderSize + a.Value.Length);

    public override void WriteBody(Span<byte> destination)
    {
        destination[0] = (byte)ConfigurationType;
        destination[1..FixedSize].Clear();
        var pos = FixedSize;
        foreach (var a in Attributes)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination[pos..], (ushort)a.AttributeType);
            BinaryPrimitives.WriteUInt16BigEndian(destination[(pos + 2)..], checked((ushort)a.Value.Length));
            a.Value.CopyTo(destination[(pos + AttributeHeaderSize)..]);
            pos += AttributeHeaderSize + a.Value.Length;
        }
    }

    public static bool TryRead(ReadOnlySpan<byte> body, int offset, out ConfigurationPayload payload, out ParseError error)
    {
        payload = null!;
        if (body.Length < FixedSize)
        {
            error = ParseError.Syntax(PayloadType.Configuration, offset, $"CP body of {body.Length} octets is shorter than {FixedSize}");
            return false;
        }
        var attributes = new List<ConfigurationAttribute>();
        var pos = FixedSize;
        while (pos < body.Length)
        {
            if (body.Length - pos < AttributeHeaderSize)
            {
                error = ParseError.Syntax(PayloadType.Configuration, offset + pos, "configuration attribute shorter than its 4-octet header");
                return false;
            }
            // RFC 7296 3.15.1: "Reserved (1 bit) - This bit MUST be set to zero and MUST be ignored on receipt."
            var type = (ConfigurationAttributeType)(BinaryPrimitives.ReadUInt16BigEndian(body[pos..]) & ~ReservedBit);
            var length = BinaryPrimitives.ReadUInt16BigEndian(body[(pos + 2)..]);
            if (length > body.Length - pos - AttributeHeaderSize)
            {
                error = ParseError.Syntax(PayloadType.Configuration, offset + pos + 2, $"attribute length {length} runs past the CP payload");
                return false;
            }
            attributes.Add(new ConfigurationAttribute(type, body.Slice(pos + AttributeHeaderSize, length).ToArray()));
            pos += AttributeHeaderSize + length;
        }
        payload = new ConfigurationPayload((ConfigurationType)body[0], attributes);
        error = default;
        return true;
    }
}
