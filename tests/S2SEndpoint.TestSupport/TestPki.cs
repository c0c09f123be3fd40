using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using S2SEndpoint.Ike.Crypto;

namespace S2SEndpoint.TestSupport;

/// <summary>
/// Certificates for tests, made with .NET's CertificateRequest: a root or intermediate CA (<see cref="Ca"/>) and
/// end-entity certificates with subjectAltNames, valid around the fake clock's start unless told otherwise.
/// </summary>
public static class TestPki
{
    public static readonly DateTimeOffset From = FakeClock.Start2026.AddDays(-30);
    public static readonly DateTimeOffset To = FakeClock.Start2026.AddDays(365);
    private static long _serial = 1;

    /// <summary>A CA: self-signed, or issued by <paramref name="issuer"/> (an intermediate).</summary>
    public static Ca CreateCa(string dn, SigningKeyType type = SigningKeyType.EcdsaP256, int keyIndex = 0, Ca? issuer = null,
        DateTimeOffset? from = null, DateTimeOffset? to = null)
    {
        var key = TestKey.Get(type, 100 + keyIndex);
        var request = new CertificateRequest(Name(dn), key.PublicKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var signer = issuer?.Key ?? key;
        var issuerName = issuer?.Certificate.SubjectName ?? Name(dn);
        if (issuer is not null)
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer.Certificate, true, false));
        var certificate = request.Create(issuerName, signer.Generator, (from ?? From).UtcDateTime, (to ?? To).UtcDateTime, Serial());
        return new Ca(certificate, key);
    }

    /// <summary>An end-entity certificate issued by <paramref name="ca"/>, with the subjectAltNames given.</summary>
    public static X509Certificate2 Issue(Ca ca, string dn, TestKey key, string[]? dns = null, IPAddress[]? ips = null, string[]? emails = null,
        DateTimeOffset? from = null, DateTimeOffset? to = null, X509KeyUsageFlags usage = X509KeyUsageFlags.DigitalSignature)
    {
        ArgumentNullException.ThrowIfNull(ca);
        ArgumentNullException.ThrowIfNull(key);
        var request = new CertificateRequest(Name(dn), key.PublicKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        if (usage != X509KeyUsageFlags.None)
            request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
        if (dns is not null || ips is not null || emails is not null)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var d in dns ?? [])
                san.AddDnsName(d);
            foreach (var ip in ips ?? [])
                san.AddIpAddress(ip);
            foreach (var e in emails ?? [])
                san.AddEmailAddress(e);
            request.CertificateExtensions.Add(san.Build());
        }
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca.Certificate, true, false));
        return request.Create(ca.Certificate.SubjectName, ca.Key.Generator, (from ?? From).UtcDateTime, (to ?? To).UtcDateTime, Serial());
    }

    /// <summary>A DN written as strongSwan writes it, most significant RDN first: "C=CH, O=Lab, CN=gw".</summary>
    public static X500DistinguishedName Name(string dn) => new(dn, X500DistinguishedNameFlags.UseCommas);

    private static byte[] Serial() => [0x01, .. BitConverter.GetBytes(Interlocked.Increment(ref _serial))];

    /// <summary>A CA's certificate and key.</summary>
    public sealed record Ca(X509Certificate2 Certificate, TestKey Key);
}
