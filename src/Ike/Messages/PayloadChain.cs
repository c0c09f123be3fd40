using System.Buffers.Binary;

namespace S2SEndpoint.Ike.Messages;

/// <summary>
/// Reads and writes a chain of payloads linked by their Next Payload fields (RFC 7296 section 3.2):
/// the payloads after the IKE header, and the inner payloads of a decrypted SK payload.
/// </summary>
public static class PayloadChain
{
    /// <summary>
    /// Reads payloads starting with type <paramref name="first"/> until the chain ends; the chain must
    /// fill <paramref name="data"/> exactly. <paramref name="baseOffset"/> places errors in the datagram.
    /// </summary>
    public static bool TryRead(PayloadType first, ReadOnlySpan<byte> data, int baseOffset, List<IkePayload> into, out ParseError error)
    {
        var next = first;
        var pos = 0;
        while (next != PayloadType.NoNextPayload)
        {
            var offset = baseOffset + pos;
            if (data.Length - pos < IkePayload.GenericHeaderSize)
            {
                error = ParseError.Syntax(next, offset, $"payload header needs {IkePayload.GenericHeaderSize} octets, {data.Length - pos} left");
                return false;
            }
            var following = (PayloadType)data[pos];
            var critical = (data[pos + 1] & IkePayload.CriticalBit) != 0;
            var length = BinaryPrimitives.ReadUInt16BigEndian(data[(pos + 2)..]);
            if (length < IkePayload.GenericHeaderSize || length > data.Length - pos)
            {
                error = ParseError.Syntax(next, offset + 2, $"payload length {length} outside {IkePayload.GenericHeaderSize}..{data.Length - pos}");
                return false;
            }
            var body = data.Slice(pos + IkePayload.GenericHeaderSize, length - IkePayload.GenericHeaderSize);
            var bodyOffset = offset + IkePayload.GenericHeaderSize;
            pos += length;

            if (next is PayloadType.Encrypted or PayloadType.EncryptedFragment)
            {
                // RFC 7296 3.14: "the Encrypted payload, if present in a message, MUST be the last payload in
                // the message"; its Next Payload field names the first embedded payload instead.
                if (pos != data.Length)
                {
                    error = ParseError.Syntax(next, offset, $"{data.Length - pos} octets follow the {next} payload, which must be last");
                    return false;
                }
                IkePayload encrypted;
                if (next == PayloadType.Encrypted)
                {
                    encrypted = new EncryptedPayload(following, body.ToArray()) { DatagramOffset = offset };
                }
                else
                {
                    if (!EncryptedFragmentPayload.TryRead(following, body, bodyOffset, out var fragment, out error))
                        return false;
                    encrypted = fragment;
                }
                into.Add(encrypted);
                error = default;
                return true;
            }

            if (!TryReadBody(next, body, bodyOffset, out var payload, out error))
                return false;
            if (payload is null)
            {
                // RFC 7296 3.2: the critical bit "MUST be set to one if the sender wants the recipient to
                // reject this entire message if it does not understand the payload type".
                if (critical)
                {
                    error = new ParseError(next, offset, NotifyType.UnsupportedCriticalPayload,
                        $"critical payload of unknown type {(byte)next}", [(byte)next]);
                    return false;
                }
                payload = new UnknownPayload(next, body.ToArray());
            }
            into.Add(payload);
            next = following;
        }
        if (pos != data.Length)
        {
            error = ParseError.Syntax(null, baseOffset + pos, $"{data.Length - pos} octets after the last payload");
            return false;
        }
        error = default;
        return true;
    }

    /// <summary>Reads one payload body by type; a type this build does not know gives true and null.</summary>
    private static bool TryReadBody(PayloadType type, ReadOnlySpan<byte> body, int offset, out IkePayload? payload, out ParseError error)
    {
        bool ok;
        switch (type)
        {
            case PayloadType.SecurityAssociation:
                ok = SecurityAssociationPayload.TryRead(body, offset, out var sa, out error);
                payload = sa;
                return ok;
            case PayloadType.KeyExchange:
                ok = KeyExchangePayload.TryRead(body, offset, out var ke, out error);
                payload = ke;
                return ok;
            case PayloadType.IdInitiator:
            case PayloadType.IdResponder:
                ok = IdentificationPayload.TryRead(type, body, offset, out var id, out error);
                payload = id;
                return ok;
            case PayloadType.Certificate:
            case PayloadType.CertificateRequest:
                ok = CertificatePayload.TryRead(type, body, offset, out var cert, out error);
                payload = cert;
                return ok;
            case PayloadType.Authentication:
                ok = AuthenticationPayload.TryRead(body, offset, out var auth, out error);
                payload = auth;
                return ok;
            case PayloadType.Nonce:
                ok = NoncePayload.TryRead(body, offset, out var nonce, out error);
                payload = nonce;
                return ok;
            case PayloadType.Notify:
                ok = NotifyPayload.TryRead(body, offset, out var notify, out error);
                payload = notify;
                return ok;
            case PayloadType.Delete:
                ok = DeletePayload.TryRead(body, offset, out var delete, out error);
                payload = delete;
                return ok;
            case PayloadType.VendorId:
                ok = VendorIdPayload.TryRead(body, offset, out var vendor, out error);
                payload = vendor;
                return ok;
            case PayloadType.TrafficSelectorInitiator:
            case PayloadType.TrafficSelectorResponder:
                ok = TrafficSelectorPayload.TryRead(type, body, offset, out var ts, out error);
                payload = ts;
                return ok;
            case PayloadType.Configuration:
                ok = ConfigurationPayload.TryRead(body, offset, out var cp, out error);
                payload = cp;
                return ok;
            case PayloadType.ExtensibleAuthentication:
                ok = EapPayload.TryRead(body, offset, out var eap, out error);
                payload = eap;
                return ok;
            default:
                payload = null;
                error = default;
                return true;
        }
    }

    /// <summary>The Next Payload value that announces <paramref name="payloads"/> (0 when empty).</summary>
    public static PayloadType FirstType(IReadOnlyList<IkePayload> payloads) =>
        payloads.Count == 0 ? PayloadType.NoNextPayload : payloads[0].Type;

    public static int Length(IReadOnlyList<IkePayload> payloads)
    {
        var length = 0;
        foreach (var p in payloads)
            length += p.TotalLength;
        return length;
    }

    /// <summary>Writes the payloads with their generic headers; returns the octets written.</summary>
    public static int Write(IReadOnlyList<IkePayload> payloads, Span<byte> destination)
    {
        var pos = 0;
        for (var i = 0; i < payloads.Count; i++)
        {
            var p = payloads[i];
            if (p.ChainOverride is not null && i != payloads.Count - 1)
                throw new InvalidOperationException($"{p.Type} must be the last payload of a message");
            var next = p.ChainOverride ?? (i + 1 < payloads.Count ? payloads[i + 1].Type : PayloadType.NoNextPayload);
            destination[pos] = (byte)next;
            destination[pos + 1] = p.Critical ? IkePayload.CriticalBit : (byte)0;
            BinaryPrimitives.WriteUInt16BigEndian(destination[(pos + 2)..], checked((ushort)p.TotalLength));
            p.WriteBody(destination.Slice(pos + IkePayload.GenericHeaderSize, p.BodyLength));
            pos += p.TotalLength;
        }
        return pos;
    }

    public static byte[] ToArray(IReadOnlyList<IkePayload> payloads)
    {
        var bytes = new byte[Length(payloads)];
        Write(payloads, bytes);
        return bytes;
    }
}
