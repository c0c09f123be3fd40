using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace S2SEndpoint.Ike.Messages;

/// <summary>
/// Whether a certificate speaks for an identity, as strongSwan's x509 has_subject(): an ID_DER_ASN1_DN is the
/// subject DN (compared by <see cref="IdentityMatch.DistinguishedNamesMatch"/>), an FQDN, RFC 822 address or IP
/// address one of the subjectAltNames of that kind (dNSName, rfc822Name, iPAddress; RFC 5280 4.2.1.6), names
/// without regard to ASCII case. Other ID types are in no certificate.
/// </summary>
public static class CertificateIdentity
{
    private const string SubjectAltNameOid = "2.5.29.17";

    public static bool Contains(X509Certificate2 certificate, Identity id)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(id);
        switch (id.Type)
        {
            case IdentificationType.DerAsn1Dn:
                // The subject is what the CA vouched for: a '*' in it is no wildcard.
                return IdentityMatch.DistinguishedNamesMatch(certificate.SubjectName.RawData, id.Data, wildcards: false);
            case IdentificationType.Fqdn:
            case IdentificationType.Rfc822Address:
            case IdentificationType.Ipv4Address:
            case IdentificationType.Ipv6Address:
                foreach (var (kind, value) in AltNames(certificate))
                {
                    if (kind != id.Type)
                        continue;
                    if (kind is IdentificationType.Fqdn or IdentificationType.Rfc822Address ? Ascii.EqualsIgnoreCase(value, id.Data) : value.AsSpan().SequenceEqual(id.Data))
                        return true;
                }
                return false;
            default:
                return false;
        }
    }

    /// <summary>GeneralNames ::= SEQUENCE OF GeneralName: rfc822Name [1], dNSName [2], iPAddress [7]; the rest skipped.</summary>
    private static List<(IdentificationType Kind, byte[] Value)> AltNames(X509Certificate2 certificate)
    {
        var names = new List<(IdentificationType, byte[])>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != SubjectAltNameOid)
                continue;
            try
            {
                var seq = new AsnReader(extension.RawData, AsnEncodingRules.DER).ReadSequence();
                while (seq.HasData)
                {
                    var tag = seq.PeekTag();
                    if (tag.TagClass != TagClass.ContextSpecific || tag.IsConstructed)
                    {
                        seq.ReadEncodedValue();
                        continue;
                    }
                    switch (tag.TagValue)
                    {
                        case 1:
                            names.Add((IdentificationType.Rfc822Address, Encoding.ASCII.GetBytes(seq.ReadCharacterString(UniversalTagNumber.IA5String, tag))));
                            break;
                        case 2:
                            names.Add((IdentificationType.Fqdn, Encoding.ASCII.GetBytes(seq.ReadCharacterString(UniversalTagNumber.IA5String, tag))));
                            break;
                        case 7:
                            var ip = seq.ReadOctetString(tag);
                            if (ip.Length is 4 or 16)
                                names.Add((ip.Length == 4 ? IdentificationType.Ipv4Address : IdentificationType.Ipv6Address, ip));
                            break;
                        default:
                            seq.ReadEncodedValue();
                            break;
                    }
                }
            }
            catch (AsnContentException)
            {
                // A subjectAltName that does not parse names nothing.
            }
        }
        return names;
    }
}
