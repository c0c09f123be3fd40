using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Exchanges;

/// <summary>
/// Path validation of a peer's certificate (RFC 5280 6) against the trust anchors of its connection only: an
/// X509Chain in CustomRootTrust mode with the anchors as its CustomTrustStore (never the system store), the
/// peer's intermediates as extra certificates, the engine's time as the verification time, no revocation
/// checks and no downloads (the engine does no I/O). Then keyUsage (RFC 5280 4.2.1.3): when present it must
/// allow digitalSignature, as an IKE_AUTH signature is one.
/// </summary>
internal static class CertificateValidation
{
    public static bool TryValidate(X509Certificate2 endEntity, IReadOnlyList<X509Certificate2> intermediates, IReadOnlyList<X509Certificate2> anchors,
        DateTimeOffset now, out string reason)
    {
        var subject = Name(endEntity);
        if (anchors.Count == 0)
            return No("no trust anchor is configured for this peer (remote.cacerts)", out reason);
        if (now.UtcDateTime < endEntity.NotBefore.ToUniversalTime())
            return No($"certificate '{subject}' is not valid before {Time(endEntity.NotBefore)}", out reason);
        if (now.UtcDateTime > endEntity.NotAfter.ToUniversalTime())
            return No($"certificate '{subject}' expired on {Time(endEntity.NotAfter)}", out reason);

        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        policy.CustomTrustStore.AddRange(anchors.ToArray());
        policy.ExtraStore.AddRange(intermediates.ToArray());
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.DisableCertificateDownloads = true;
        policy.VerificationTimeIgnored = false;
        policy.VerificationTime = now.UtcDateTime;
        if (!chain.Build(endEntity))
        {
            reason = Describe(chain, endEntity, anchors);
            return false;
        }
        foreach (var extension in endEntity.Extensions)
        {
            if (extension is X509KeyUsageExtension usage && (usage.KeyUsages & X509KeyUsageFlags.DigitalSignature) == 0)
                return No($"certificate '{subject}' has a keyUsage without digitalSignature ({usage.KeyUsages})", out reason);
        }
        reason = string.Empty;
        return true;
    }

    private static string Describe(X509Chain chain, X509Certificate2 endEntity, IReadOnlyList<X509Certificate2> anchors)
    {
        foreach (var element in chain.ChainElements)
        {
            foreach (var status in element.ChainElementStatus)
            {
                var name = Name(element.Certificate);
                switch (status.Status)
                {
                    case X509ChainStatusFlags.NotTimeValid:
                        return element.Certificate.NotAfter.ToUniversalTime() < chain.ChainPolicy.VerificationTime.ToUniversalTime()
                            ? $"CA certificate '{name}' in the chain of '{Name(endEntity)}' expired on {Time(element.Certificate.NotAfter)}"
                            : $"CA certificate '{name}' in the chain of '{Name(endEntity)}' is not valid before {Time(element.Certificate.NotBefore)}";
                    case X509ChainStatusFlags.NotSignatureValid:
                        return $"the signature on certificate '{name}' does not verify";
                    case X509ChainStatusFlags.UntrustedRoot:
                    case X509ChainStatusFlags.PartialChain:
                        return $"certificate '{Name(endEntity)}' (issuer '{SafeText.Clean(endEntity.IssuerName.Decode(DnFlags))}') does not chain to a trusted CA of this connection (remote.cacerts: {string.Join("; ", anchors.Select(Name))})";
                    default:
                        break;
                }
            }
        }
        var problems = chain.ChainStatus.Select(s => s.Status.ToString()).Distinct();
        return $"certificate '{Name(endEntity)}' is not valid: {string.Join(", ", problems)}";
    }

    private const X500DistinguishedNameFlags DnFlags = X500DistinguishedNameFlags.UseCommas;

    /// <summary>A certificate's subject as strongSwan prints it (C=CH, O=Lab, CN=gw), escaped: the peer wrote it.</summary>
    public static string Name(X509Certificate2 certificate) => SafeText.Clean(certificate.SubjectName.Decode(DnFlags));

    private static string Time(DateTime time) => time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    private static bool No(string why, out string reason)
    {
        reason = why;
        return false;
    }
}
