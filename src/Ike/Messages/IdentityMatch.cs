using System.Formats.Asn1;
using System.Text;

namespace S2SEndpoint.Ike.Messages;

/// <summary>
/// Whether an identity a peer sent is the one configured, as strongSwan's identification_t equals() decides it:
/// FQDNs and RFC 822 addresses without regard to ASCII case, addresses and key IDs octet for octet, and
/// distinguished names RDN by RDN (<see cref="DistinguishedNamesMatch"/>).
/// </summary>
public static class IdentityMatch
{
    /// <summary><paramref name="configured"/> (remote.id, or our own) against what the peer sent.</summary>
    public static bool Matches(Identity configured, Identity sent)
    {
        ArgumentNullException.ThrowIfNull(configured);
        ArgumentNullException.ThrowIfNull(sent);
        if (configured.Type != sent.Type)
            return false;
        return configured.Type switch
        {
            IdentificationType.DerAsn1Dn => DistinguishedNamesMatch(configured.Data, sent.Data),
            IdentificationType.Fqdn or IdentificationType.Rfc822Address => Ascii.EqualsIgnoreCase(configured.Data, sent.Data),
            _ => configured.Equals(sent),
        };
    }

    /// <summary>
    /// Two DER distinguished names are the same when their encodings are, or else when they hold the same number of
    /// attributes, in the same order (RDN by RDN; not sorted), each of the same attribute type with the same value.
    /// As strongSwan: a value may be of another string type (a PrintableString "gw" equals a UTF8String "gw"); a
    /// PrintableString, and an emailAddress, compare without regard to ASCII case, other strings exactly; a
    /// <paramref name="configured"/> value of "*" matches any value. Names that do not parse never match.
    /// </summary>
    public static bool DistinguishedNamesMatch(ReadOnlySpan<byte> configured, ReadOnlySpan<byte> sent) => DistinguishedNamesMatch(configured, sent, wildcards: true);

    /// <summary>
    /// As above; with <paramref name="wildcards"/> false a '*' in <paramref name="configured"/> is a value like any
    /// other: a certificate's subject is matched that way, so that a '*' a CA put in it vouches for no other name.
    /// </summary>
    public static bool DistinguishedNamesMatch(ReadOnlySpan<byte> configured, ReadOnlySpan<byte> sent, bool wildcards)
    {
        if (configured.SequenceEqual(sent))
            return true;
        if (!TryReadAttributes(configured, out var want) || !TryReadAttributes(sent, out var got) || want.Count != got.Count)
            return false;
        for (var i = 0; i < want.Count; i++)
        {
            var (wantOid, wantValue, wantPrintable) = want[i];
            var (gotOid, gotValue, gotPrintable) = got[i];
            if (wantOid != gotOid)
                return false;
            if (wildcards && wantValue == "*")
                continue;
            var caseless = wantOid == EmailAddressOid || (wantPrintable && gotPrintable);
            if (!string.Equals(wantValue, gotValue, caseless ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal))
                return false;
        }
        return true;
    }

    private const string EmailAddressOid = "1.2.840.113549.1.9.1";

    /// <summary>Name ::= SEQUENCE OF SET OF SEQUENCE { type OID, value } (RFC 5280 4.1.2.4), flattened in order.</summary>
    private static bool TryReadAttributes(ReadOnlySpan<byte> der, out List<(string Oid, string Value, bool Printable)> attributes)
    {
        attributes = [];
        try
        {
            var reader = new AsnReader(der.ToArray(), AsnEncodingRules.DER);
            var name = reader.ReadSequence();
            if (reader.HasData)
                return false;
            while (name.HasData)
            {
                var rdn = name.ReadSetOf();
                while (rdn.HasData)
                {
                    var atv = rdn.ReadSequence();
                    var oid = atv.ReadObjectIdentifier();
                    var tag = atv.PeekTag();
                    string value;
                    var printable = false;
                    if (tag.TagClass == TagClass.Universal && IsString((UniversalTagNumber)tag.TagValue))
                    {
                        value = atv.ReadCharacterString((UniversalTagNumber)tag.TagValue);
                        printable = tag.TagValue == (int)UniversalTagNumber.PrintableString;
                    }
                    else
                    {
                        value = "#" + Convert.ToHexString(atv.ReadEncodedValue().Span);
                    }
                    if (atv.HasData)
                        return false;
                    attributes.Add((oid, value, printable));
                }
            }
            return true;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    private static bool IsString(UniversalTagNumber tag) => tag is UniversalTagNumber.PrintableString or UniversalTagNumber.UTF8String
        or UniversalTagNumber.IA5String or UniversalTagNumber.T61String or UniversalTagNumber.BMPString or UniversalTagNumber.UniversalString
        or UniversalTagNumber.NumericString or UniversalTagNumber.VisibleString;
}
