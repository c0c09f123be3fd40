using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace S2SEndpoint.Ike.Messages;

/// <summary>
/// An IKE identity: an ID type and its data (RFC 7296 section 3.5). Written and read in the text forms
/// strongSwan's swanctl.conf uses: <c>10.0.0.1</c>, <c>2001:db8::1</c>, <c>gw.example.com</c>,
/// <c>user@example.com</c>, <c>keyid:0x0102</c> or <c>keyid:text</c>, and a distinguished name <c>C=CH, O=Lab, CN=gw</c>.
/// A leading <c>fqdn:</c>, <c>email:</c>, <c>ipv4:</c>, <c>ipv6:</c> or <c>asn1dn:</c> forces the type.
/// </summary>
public sealed class Identity : IEquatable<Identity>
{
    public Identity(IdentificationType type, byte[] data)
    {
        Type = type;
        Data = data;
    }

    public IdentificationType Type { get; }
    public byte[] Data { get; }

    /// <summary>Parses an identity from configuration text; returns false with a sentence on error.</summary>
    public static bool TryParse(string text, out Identity identity, out string error)
    {
        identity = null!;
        error = string.Empty;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "an identity must not be empty";
            return false;
        }
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon > 0)
        {
            var prefix = text[..colon].ToLowerInvariant();
            var rest = text[(colon + 1)..];
            switch (prefix)
            {
                case "fqdn":
                    identity = new Identity(IdentificationType.Fqdn, Encoding.ASCII.GetBytes(rest));
                    return rest.Length > 0 || Fail("fqdn: needs a name", out error);
                case "email":
                case "rfc822":
                    identity = new Identity(IdentificationType.Rfc822Address, Encoding.ASCII.GetBytes(rest));
                    return rest.Length > 0 || Fail("email: needs an address", out error);
                case "keyid":
                    return TryParseKeyId(rest, out identity, out error);
                case "ipv4":
                case "ipv6":
                    if (IPAddress.TryParse(rest, out var forced) &&
                        forced.AddressFamily == (prefix == "ipv4" ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6))
                    {
                        identity = FromAddress(forced);
                        return true;
                    }
                    return Fail($"'{rest}' is not an {prefix} address", out error);
                case "asn1dn":
                    return TryParseDn(rest, out identity, out error);
                default:
                    break;
            }
        }
        if (AddressText.TryParse(text, out var address))
        {
            identity = FromAddress(address);
            return true;
        }
        if (text.Contains('=', StringComparison.Ordinal))
            return TryParseDn(text, out identity, out error);
        if (text.Contains('@', StringComparison.Ordinal))
        {
            // strongSwan: "@name" is an FQDN written so it is not resolved; "user@host" is RFC 822.
            identity = text[0] == '@'
                ? new Identity(IdentificationType.Fqdn, Encoding.ASCII.GetBytes(text[1..]))
                : new Identity(IdentificationType.Rfc822Address, Encoding.ASCII.GetBytes(text));
            return true;
        }
        identity = new Identity(IdentificationType.Fqdn, Encoding.ASCII.GetBytes(text));
        return true;
    }

    public static Identity Parse(string text) =>
        TryParse(text, out var identity, out var error) ? identity : throw new FormatException(error);

    public static Identity FromAddress(IPAddress address) => new(
        address.AddressFamily == AddressFamily.InterNetwork ? IdentificationType.Ipv4Address : IdentificationType.Ipv6Address,
        address.GetAddressBytes());

    private static bool TryParseKeyId(string rest, out Identity identity, out string error)
    {
        identity = null!;
        error = string.Empty;
        if (rest.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                identity = new Identity(IdentificationType.KeyId, Convert.FromHexString(rest[2..]));
                return true;
            }
            catch (FormatException)
            {
                return Fail($"keyid:'{rest}' is not an even number of hex digits after 0x", out error);
            }
        }
        identity = new Identity(IdentificationType.KeyId, Encoding.UTF8.GetBytes(rest));
        return rest.Length > 0 || Fail("keyid: needs a value", out error);
    }

    private static bool TryParseDn(string text, out Identity identity, out string error)
    {
        identity = null!;
        error = string.Empty;
        try
        {
            // strongSwan writes a DN most significant RDN first, like X.500: "C=CH, O=Lab, CN=gw", and encodes it in that
            // order. .NET keeps the text's order when a flag is given without Reversed (no flags at all reverse it).
            var dn = new X500DistinguishedName(text, X500DistinguishedNameFlags.UseCommas);
            identity = new Identity(IdentificationType.DerAsn1Dn, dn.RawData);
            return true;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return Fail($"'{text}' is not a distinguished name (write it as C=CH, O=Lab, CN=gw)", out error);
        }
    }

    private static bool Fail(string message, out string error)
    {
        error = message;
        return false;
    }

    /// <summary>The identity as strongSwan prints it; what a peer sent is escaped and cut (<see cref="SafeText"/>).</summary>
    public override string ToString() => SafeText.Clean(Text());

    private string Text()
    {
        switch (Type)
        {
            case IdentificationType.Ipv4Address when Data.Length == 4:
            case IdentificationType.Ipv6Address when Data.Length == 16:
                return new IPAddress(Data).ToString();
            case IdentificationType.Fqdn:
            case IdentificationType.Rfc822Address:
                return Encoding.ASCII.GetString(Data);
            case IdentificationType.DerAsn1Dn:
                try
                {
                    return new X500DistinguishedName(Data).Decode(X500DistinguishedNameFlags.UseCommas);
                }
                catch (System.Security.Cryptography.CryptographicException)
                {
                    return "asn1dn:0x" + Convert.ToHexStringLower(Data);
                }
            case IdentificationType.KeyId:
                return "keyid:0x" + Convert.ToHexStringLower(Data);
            default:
                return string.Create(CultureInfo.InvariantCulture, $"id{(byte)Type}:0x{Convert.ToHexStringLower(Data)}");
        }
    }

    public bool Equals(Identity? other) => other is not null && Type == other.Type && Data.AsSpan().SequenceEqual(other.Data);
    public override bool Equals(object? obj) => Equals(obj as Identity);
    public override int GetHashCode()
    {
        // Every octet: identities such as client1.example and client2.example differ in one.
        var hash = new HashCode();
        hash.Add(Type);
        hash.AddBytes(Data);
        return hash.ToHashCode();
    }
}
