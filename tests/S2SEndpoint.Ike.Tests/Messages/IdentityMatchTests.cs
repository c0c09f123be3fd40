using System.Formats.Asn1;
using System.Net;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Tests.Messages;

/// <summary>Identities compared as strongSwan compares them, and found in certificates as its has_subject() finds them.</summary>
public sealed class IdentityMatchTests
{
    [Theory]
    [InlineData("C=CH, O=Lab, CN=gw", "C=CH, O=Lab, CN=gw", true)]
    // PrintableString values compare without regard to case.
    [InlineData("C=CH, O=Lab, CN=gw", "c=ch, o=LAB, cn=GW", true)]
    // RDN by RDN: order and count matter, and attribute types.
    [InlineData("C=CH, O=Lab, CN=gw", "O=Lab, C=CH, CN=gw", false)]
    [InlineData("C=CH, O=Lab, CN=gw", "C=CH, O=Lab, OU=Net, CN=gw", false)]
    [InlineData("C=CH, O=Lab, CN=gw", "C=CH, OU=Lab, CN=gw", false)]
    [InlineData("C=CH, O=Lab, CN=gw", "C=CH, O=Lab, CN=gw2", false)]
    // A configured "*" matches any value of its attribute.
    [InlineData("C=CH, O=Lab, CN=*", "C=CH, O=Lab, CN=anything", true)]
    public void DistinguishedNamesMatch_AsStrongSwan(string configured, string sent, bool match) =>
        Assert.Equal(match, IdentityMatch.Matches(Identity.Parse(configured), Identity.Parse(sent)));

    [Fact]
    public void DistinguishedNamesMatch_Utf8AndPrintableStringOfTheSameText_Match()
    {
        var printable = Identity.Parse("C=CH, O=Lab, CN=gw");
        var utf8 = new Identity(IdentificationType.DerAsn1Dn, Dn(("2.5.4.6", UniversalTagNumber.PrintableString, "CH"),
            ("2.5.4.10", UniversalTagNumber.UTF8String, "Lab"), ("2.5.4.3", UniversalTagNumber.UTF8String, "gw")));
        Assert.NotEqual(printable, utf8);
        Assert.True(IdentityMatch.Matches(printable, utf8));
        // UTF8String values compare exactly.
        var upper = new Identity(IdentificationType.DerAsn1Dn, Dn(("2.5.4.6", UniversalTagNumber.PrintableString, "CH"),
            ("2.5.4.10", UniversalTagNumber.UTF8String, "Lab"), ("2.5.4.3", UniversalTagNumber.UTF8String, "GW")));
        Assert.False(IdentityMatch.Matches(utf8, upper));
    }

    [Theory]
    [InlineData("gw.example.com", "GW.Example.com", true)]
    [InlineData("user@example.com", "USER@example.com", true)]
    [InlineData("10.0.0.1", "10.0.0.1", true)]
    [InlineData("10.0.0.1", "10.0.0.2", false)]
    [InlineData("gw.example.com", "10.0.0.1", false)]
    public void Matches_OtherTypes(string configured, string sent, bool match) =>
        Assert.Equal(match, IdentityMatch.Matches(Identity.Parse(configured), Identity.Parse(sent)));

    /// <summary>strongSwan encodes "C=CH, O=Lab, CN=gw" in the order written: the country is the first RDN on the wire.</summary>
    [Fact]
    public void Parse_DistinguishedName_EncodesRdnsInTheOrderWritten()
    {
        var id = Identity.Parse("C=CH, O=Lab, CN=gw");
        Assert.Equal(Dn(("2.5.4.6", UniversalTagNumber.PrintableString, "CH"), ("2.5.4.10", UniversalTagNumber.PrintableString, "Lab"),
            ("2.5.4.3", UniversalTagNumber.PrintableString, "gw")), id.Data);
        Assert.Equal("C=CH, O=Lab, CN=gw", id.ToString());
    }

    [Fact]
    public void DistinguishedNamesMatch_Garbage_NeverMatches() =>
        Assert.False(IdentityMatch.DistinguishedNamesMatch([0x30, 0x03, 0x31, 0x01], [0x30, 0x03, 0x31, 0x02]));

    [Theory]
    [InlineData("C=CH, O=Lab, CN=gw", true)]
    [InlineData("gw.example.com", true)]
    [InlineData("GW.EXAMPLE.COM", true)]
    [InlineData("vpn.example.com", true)]
    [InlineData("gw@example.com", true)]
    [InlineData("192.0.2.1", true)]
    [InlineData("2001:db8::1", true)]
    [InlineData("other.example.com", false)]
    [InlineData("192.0.2.2", false)]
    [InlineData("C=CH, O=Lab, CN=other", false)]
    [InlineData("keyid:0x0102", false)]
    public void CertificateIdentity_SubjectOrSubjectAltName(string id, bool contained)
    {
        var ca = TestPki.CreateCa("C=CH, O=Lab, CN=SAN CA");
        var certificate = TestPki.Issue(ca, "C=CH, O=Lab, CN=gw", TestKey.Get(SigningKeyType.EcdsaP256, 1),
            dns: ["gw.example.com", "vpn.example.com"], ips: [IPAddress.Parse("192.0.2.1"), IPAddress.Parse("2001:db8::1")], emails: ["gw@example.com"]);
        Assert.Equal(contained, CertificateIdentity.Contains(certificate, Identity.Parse(id)));
    }

    private static byte[] Dn(params (string Oid, UniversalTagNumber Type, string Value)[] attributes)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        using (w.PushSequence())
        {
            foreach (var (oid, type, value) in attributes)
            {
                using (w.PushSetOf())
                using (w.PushSequence())
                {
                    w.WriteObjectIdentifier(oid);
                    w.WriteCharacterString(type, value);
                }
            }
        }
        return w.Encode();
    }

    /// <summary>A '*' in a certificate's subject is what the CA wrote, no wildcard: it vouches for no other name.</summary>
    [Fact]
    public void CertificateIdentity_StarInTheSubject_IsNoWildcard()
    {
        var ca = TestPki.CreateCa("C=CH, O=Lab, CN=Star CA");
        var certificate = TestPki.Issue(ca, "C=CH, O=Lab, CN=*", TestKey.Get(SigningKeyType.EcdsaP256, 1));
        Assert.False(CertificateIdentity.Contains(certificate, Identity.Parse("C=CH, O=Lab, CN=gw")));
        Assert.True(CertificateIdentity.Contains(certificate, Identity.Parse("C=CH, O=Lab, CN=*")));
    }
}
