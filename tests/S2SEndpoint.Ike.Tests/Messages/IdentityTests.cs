using System.Text;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Tests.Messages;

/// <summary>Identities in swanctl.conf's text forms (RFC 7296 3.5 ID types).</summary>
public sealed class IdentityTests
{
    [Theory]
    [InlineData("10.1.0.1", IdentificationType.Ipv4Address, "0a010001")]
    [InlineData("2001:db8::1", IdentificationType.Ipv6Address, "20010db8000000000000000000000001")]
    [InlineData("gw.example.com", IdentificationType.Fqdn, "67772e6578616d706c652e636f6d")]
    [InlineData("@gw", IdentificationType.Fqdn, "6777")]
    [InlineData("vpn@example.com", IdentificationType.Rfc822Address, "76706e406578616d706c652e636f6d")]
    [InlineData("keyid:0x0102ff", IdentificationType.KeyId, "0102ff")]
    [InlineData("keyid:azure", IdentificationType.KeyId, "617a757265")]
    [InlineData("fqdn:10.1.0.1", IdentificationType.Fqdn, "31302e312e302e31")]
    public void Parse_TextForm_GivesTypeAndData(string text, IdentificationType type, string dataHex)
    {
        Assert.True(Identity.TryParse(text, out var id, out var error), error);
        Assert.Equal(type, id.Type);
        Assert.Equal(dataHex, Convert.ToHexStringLower(id.Data));
    }

    [Fact]
    public void Parse_DistinguishedName_IsDerAndPrintsBackInStrongSwanOrder()
    {
        Assert.True(Identity.TryParse("C=CH, O=strongSwan, CN=moon.strongswan.org", out var id, out var error), error);
        Assert.Equal(IdentificationType.DerAsn1Dn, id.Type);
        Assert.Equal(0x30, id.Data[0]);
        Assert.Equal("C=CH, O=strongSwan, CN=moon.strongswan.org", id.ToString());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("ipv4:2001:db8::1", "not an ipv4 address")]
    [InlineData("keyid:0xabc", "hex digits")]
    [InlineData("fqdn:", "needs a name")]
    public void Parse_BadText_SaysWhy(string text, string expected)
    {
        Assert.False(Identity.TryParse(text, out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void IdentificationPayload_Body_IsRestOfIdPayloadForAuth()
    {
        // RFC 7296 2.15: RestOfInitIDPayload is ID Type, three reserved octets and the data.
        var payload = new IdentificationPayload(true, Identity.Parse("moon.s2s.test"));
        Assert.Equal([2, 0, 0, 0, .. Encoding.ASCII.GetBytes("moon.s2s.test")], payload.BodyToArray());
    }
}
