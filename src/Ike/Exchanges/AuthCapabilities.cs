using System.Buffers.Binary;
using System.Security.Cryptography;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Exchanges;

/// <summary>
/// What IKE_SA_INIT says about signature authentication: SIGNATURE_HASH_ALGORITHMS (RFC 7427 4), sent when either
/// side of the connection signs and read from the peer, and the responder's CERTREQ (RFC 7296 3.7), whose
/// counterpart the initiator sends in IKE_AUTH.
/// </summary>
internal static class AuthCapabilities
{
    /// <summary>The hashes we verify and sign with under RFC 7427, in our order of preference (Identity: RFC 8420).</summary>
    public static readonly SignatureHashAlgorithm[] Supported =
        [SignatureHashAlgorithm.Sha256, SignatureHashAlgorithm.Sha384, SignatureHashAlgorithm.Sha512, SignatureHashAlgorithm.Identity];

    public static void AddToInit(IkeSa sa, OutgoingMessage message, bool initiator)
    {
        if (!sa.Config.UsesSignatures)
            return;
        // RFC 7427 4: "the Notification Data field contains the list of 16-bit hash algorithm identifiers".
        var data = new byte[Supported.Length * 2];
        for (var i = 0; i < Supported.Length; i++)
            BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(2 * i), (ushort)Supported[i]);
        message.AddNotify(NotifyType.SignatureHashAlgorithms, data);
        if (!initiator && CertificateRequest(sa.Config) is { } request)
            message.Add(request);
    }

    /// <summary>Reads the peer's SIGNATURE_HASH_ALGORITHMS and CERTREQ payloads from its IKE_SA_INIT message.</summary>
    public static void ReadInit(IkeSa sa, IncomingMessage message)
    {
        if (message.FindNotify(NotifyType.SignatureHashAlgorithms) is { } notify)
        {
            var hashes = new List<SignatureHashAlgorithm>(notify.Data.Length / 2);
            for (var i = 0; i + 1 < notify.Data.Length; i += 2)
                hashes.Add((SignatureHashAlgorithm)BinaryPrimitives.ReadUInt16BigEndian(notify.Data.AsSpan(i)));
            sa.PeerSignatureHashes = hashes;
        }
        ReadCertificateRequests(sa, message);
    }

    /// <summary>Remembers the CA key hashes of the peer's X.509 CERTREQ payloads (RFC 7296 3.7); other encodings are ignored.</summary>
    public static void ReadCertificateRequests(IkeSa sa, IncomingMessage message)
    {
        foreach (var request in message.Payloads.OfType<CertificatePayload>())
        {
            if (!request.IsRequest || request.Encoding != CertificateEncoding.X509Signature)
                continue;
            for (var i = 0; i + CertificatePayload.CaKeyHashSize <= request.Data.Length; i += CertificatePayload.CaKeyHashSize)
                sa.PeerCaKeyHashes.Add(request.Data[i..(i + CertificatePayload.CaKeyHashSize)]);
        }
    }

    /// <summary>
    /// RFC 7296 3.7: "The Certification Authority value is a concatenated list of SHA-1 hashes of the public keys of
    /// trusted Certification Authorities (CAs). Each is encoded as the SHA-1 hash of the Subject Public Key Info
    /// element". Ours names the trust anchors of this connection; none when the peer does not sign.
    /// </summary>
    public static CertificatePayload? CertificateRequest(IkeSaConfig config)
    {
        if (config.RemoteAuth != AuthClass.PublicKey || config.TrustAnchors.Count == 0)
            return null;
        var data = new byte[config.TrustAnchors.Count * CertificatePayload.CaKeyHashSize];
        for (var i = 0; i < config.TrustAnchors.Count; i++)
#pragma warning disable CA5350 // RFC 7296 3.7 names CAs by the SHA-1 hash of their key; it identifies, it does not protect.
            SHA1.HashData(config.TrustAnchors[i].PublicKey.ExportSubjectPublicKeyInfo(), data.AsSpan(i * CertificatePayload.CaKeyHashSize));
#pragma warning restore CA5350
        return new CertificatePayload(true, CertificateEncoding.X509Signature, data);
    }
}
