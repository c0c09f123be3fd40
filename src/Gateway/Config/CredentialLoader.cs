using System.Formats.Asn1;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Org.BouncyCastle.Asn1.Pkcs;
using Org.BouncyCastle.Pkcs;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway.Config;

/// <summary>
/// Certificates and private keys for local.auth / remote.auth = pubkey, with swanctl's names: local.certs (our
/// certificate and its intermediates, PEM or DER), remote.cacerts (the peer's trust anchors), and the private keys
/// of secrets.private-NAME { file, secret } (PKCS#8, encrypted with the passphrase secret or not; PKCS#1 RSA; SEC1
/// EC; PEM or DER). Files are relative to the configuration's directory. Every mistake is one line naming the key,
/// the file and what is wrong; no key material is ever printed.
/// </summary>
internal sealed class CredentialLoader
{
    private const string RsaOid = "1.2.840.113549.1.1.1";
    private const string EcOid = "1.2.840.10045.2.1";

    private readonly string _baseDirectory;
    private readonly List<(string Secret, string File, SigningKey Signing)> _keys = [];

    private CredentialLoader(string baseDirectory) => _baseDirectory = baseDirectory;

    /// <summary>The time certificates are checked against when the configuration is loaded.</summary>
    public DateTimeOffset Now { get; init; } = TimeProvider.System.GetUtcNow();

    /// <summary>Reads the private keys of secrets.private-NAME; ike-NAME secrets are the pre-shared keys' loader's.</summary>
    public static CredentialLoader Read(JsonElement root, string baseDirectory, ConfigProblems p)
    {
        var loader = new CredentialLoader(baseDirectory);
        if (!root.TryGetProperty("secrets", out var secrets) || secrets.ValueKind != JsonValueKind.Object)
            return loader;
        foreach (var s in secrets.EnumerateObject())
        {
            if (!IsPrivateKeySecret(s.Name) || s.Value.ValueKind != JsonValueKind.Object)
                continue;
            var path = $"secrets.{s.Name}";
            foreach (var key in s.Value.EnumerateObject())
            {
                if (key.Name is not ("file" or "secret"))
                    p.Add($"{path}.{key.Name}", "is not a key of a private key secret; valid: file, secret (its passphrase)");
            }
            var file = s.Value.TryGetProperty("file", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
            var passphrase = s.Value.TryGetProperty("secret", out var pw) && pw.ValueKind == JsonValueKind.String ? pw.GetString() : null;
            if (file is null)
            {
                p.Add($"{path}.file", "missing; name the private key file (PKCS#8, PKCS#1 RSA or SEC1 EC; PEM or DER)");
                continue;
            }
            if (loader.ReadFile($"{path}.file", file, out var full, out var data, p)
                && TryReadKey($"{path}.file", file, data, passphrase, p) is { } signing)
            {
                loader._keys.Add((path, file, signing));
                CheckMode($"{path}.file", full, p);
            }
        }
        return loader;
    }

    /// <summary>swanctl's private key sections: private, or private followed by a name (private-gw).</summary>
    public static bool IsPrivateKeySecret(string name) => name.StartsWith("private", StringComparison.Ordinal);

    /// <summary>
    /// local.certs: the end-entity certificate is the one whose key is in secrets (else the first), the others are its
    /// intermediates in the order given; <paramref name="id"/> must be its subject or a subjectAltName, and is its
    /// subject DN when omitted.
    /// </summary>
    public (LocalCredential Credential, Identity Id)? Local(string where, IReadOnlyList<string> files, Identity? id, bool pss, ConfigProblems p)
    {
        var key = $"{where}.certs";
        if (files.Count == 0)
        {
            p.Add(key, "missing; local.auth pubkey needs our certificate (and its intermediates): \"certs\": [\"gw.crt\"]");
            return null;
        }
        var certificates = new List<(string File, X509Certificate2 Certificate)>();
        foreach (var file in files)
        {
            foreach (var c in Certificates(key, file, p))
                certificates.Add((file, c));
        }
        if (certificates.Count == 0)
            return null;
        var found = certificates.FindIndex(c => _keys.Exists(k => k.Signing.Matches(c.Certificate)));
        if (found < 0)
        {
            var (file, first) = certificates[0];
            p.Add(key, _keys.Count == 0
                ? $"'{file}': no key for local.certs: add its private key as secrets.private-NAME {{ \"file\": \"gw.key\" }}"
                : $"'{file}': key does not match the certificate: none of the private keys ({string.Join(", ", _keys.Select(k => $"{k.Secret} '{k.File}'"))}) is the key of '{Name(first)}'");
            return null;
        }
        var (eeFile, endEntity) = certificates[found];
        var signing = _keys.First(k => k.Signing.Matches(endEntity)).Signing;
        if (!CheckValidity(key, eeFile, endEntity, p))
            return null;
        foreach (var (file, c) in certificates.Where((_, i) => i != found))
            CheckValidity(key, file, c, p);
        if (pss && signing.Type != SigningKeyType.Rsa)
            p.Add($"{where}.auth", $"'rsa/pss' needs an RSA key; the key of '{eeFile}' is {signing.Type}; use pubkey");
        if (id is null)
            id = new Identity(IdentificationType.DerAsn1Dn, endEntity.SubjectName.RawData);
        else if (!CertificateIdentity.Contains(endEntity, id))
            p.Add($"{where}.id", $"'{id}' is neither the subject ('{Name(endEntity)}') nor a subjectAltName of '{eeFile}'; leave id out to use the subject, or use one of its subjectAltNames");
        var intermediates = certificates.Where((_, i) => i != found).Select(c => c.Certificate).ToList();
        return (new LocalCredential(endEntity, intermediates, signing) { RsaPss = pss }, id);
    }

    /// <summary>remote.cacerts: the trust anchors the peer's certificate must chain to.</summary>
    public List<X509Certificate2> Anchors(string where, IReadOnlyList<string> files, ConfigProblems p)
    {
        var key = $"{where}.cacerts";
        if (files.Count == 0)
        {
            p.Add(key, "missing; remote.auth pubkey needs the CA certificates the peer's certificate is issued under: \"cacerts\": [\"ca.crt\"]");
            return [];
        }
        var anchors = new List<X509Certificate2>();
        foreach (var file in files)
        {
            foreach (var c in Certificates(key, file, p))
            {
                if (CheckValidity(key, file, c, p))
                    anchors.Add(c);
            }
        }
        return anchors;
    }

    private bool CheckValidity(string key, string file, X509Certificate2 certificate, ConfigProblems p)
    {
        if (Now.UtcDateTime > certificate.NotAfter.ToUniversalTime())
        {
            p.Add(key, $"'{file}': certificate '{Name(certificate)}' expired on {Time(certificate.NotAfter)}");
            return false;
        }
        if (Now.UtcDateTime < certificate.NotBefore.ToUniversalTime())
        {
            p.Add(key, $"'{file}': certificate '{Name(certificate)}' is not valid before {Time(certificate.NotBefore)}");
            return false;
        }
        return true;
    }

    /// <summary>The certificates of one file: PEM (one or more CERTIFICATE blocks) or DER.</summary>
    private List<X509Certificate2> Certificates(string key, string file, ConfigProblems p)
    {
        if (!ReadFile(key, file, out _, out var data, p))
            return [];
        var list = new List<X509Certificate2>();
        try
        {
            var text = Encoding.ASCII.GetString(data);
            if (text.Contains("-----BEGIN", StringComparison.Ordinal))
            {
                foreach (var block in PemBlocks(text))
                {
                    if (block.Label == "CERTIFICATE")
                        list.Add(X509CertificateLoader.LoadCertificate(block.Der));
                }
                if (list.Count == 0)
                    p.Add(key, $"'{file}' is not a certificate (a PEM file without a CERTIFICATE block)");
                return list;
            }
            list.Add(X509CertificateLoader.LoadCertificate(data));
            return list;
        }
        catch (Exception e) when (e is CryptographicException or FormatException)
        {
            p.Add(key, $"'{file}' is not a certificate (neither a PEM CERTIFICATE nor DER X.509: {e.Message})");
            return [];
        }
    }

    private bool ReadFile(string key, string file, out string full, out byte[] data, ConfigProblems p)
    {
        data = [];
        full = file;
        if (file.Contains('\0', StringComparison.Ordinal))
        {
            p.Add(key, $"'{file.Replace("\0", "\\0", StringComparison.Ordinal)}' holds a NUL character, which no file name can");
            return false;
        }
        full = Path.IsPathFullyQualified(file) ? file : Path.Combine(_baseDirectory, file);
        try
        {
            data = File.ReadAllBytes(full);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            p.Add(key, $"'{file}' is unreadable ({e.Message})");
            return false;
        }
    }

    /// <summary>A private key file: PEM with its label, or DER tried as PKCS#8, PKCS#1 RSA and SEC1 EC in turn.</summary>
    private static SigningKey? TryReadKey(string key, string file, byte[] data, string? passphrase, ConfigProblems p)
    {
        try
        {
            var text = Encoding.ASCII.GetString(data);
            if (!text.Contains("-----BEGIN", StringComparison.Ordinal))
                return FromDer(data, passphrase) ?? Bad("is not a private key (neither PEM nor DER PKCS#8, PKCS#1 or SEC1)");
            var blocks = PemBlocks(text).Where(b => b.Label.EndsWith("PRIVATE KEY", StringComparison.Ordinal)).ToList();
            if (blocks.Count != 1)
                return Bad(blocks.Count == 0 ? "is not a private key (no PRIVATE KEY block)" : "holds more than one private key");
            var block = blocks[0];
            if (block.Encrypted)
                return Bad("is encrypted the legacy PEM way (Proc-Type), which is not supported; convert it with 'openssl pkcs8 -topk8' to encrypted PKCS#8");
            return block.Label switch
            {
                "PRIVATE KEY" => FromPkcs8(block.Der),
                "ENCRYPTED PRIVATE KEY" => passphrase is null ? Bad("is encrypted; give its passphrase as secret") : FromEncryptedPkcs8(block.Der, passphrase),
                "RSA PRIVATE KEY" => FromRsa(block.Der),
                "EC PRIVATE KEY" => FromEc(block.Der),
                _ => Bad($"holds a {block.Label}; valid: PRIVATE KEY, ENCRYPTED PRIVATE KEY, RSA PRIVATE KEY, EC PRIVATE KEY"),
            };
        }
        catch (Exception e) when (e is CryptographicException or AsnContentException or FormatException)
        {
            return Bad($"is not a valid private key ({e.Message})");
        }
        catch (ArgumentException e)
        {
            return Bad(e.Message);
        }

        SigningKey? Bad(string why)
        {
            p.Add(key, $"'{file}' {why}");
            return null;
        }

        SigningKey? FromEncryptedPkcs8(byte[] der, string pass)
        {
            byte[] plain;
            try
            {
                var info = PrivateKeyInfoFactory.CreatePrivateKeyInfo(pass.ToCharArray(), EncryptedPrivateKeyInfo.GetInstance(der));
                plain = info.GetEncoded();
            }
            catch (Exception e) when (e is Org.BouncyCastle.Crypto.InvalidCipherTextException or Org.BouncyCastle.Crypto.DataLengthException
                or Org.BouncyCastle.Security.SecurityUtilityException or InvalidOperationException or IOException or ArgumentException)
            {
                return Bad("cannot be decrypted with its secret (wrong passphrase, or an unknown encryption)");
            }
            try
            {
                return FromPkcs8(plain);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(plain);
            }
        }
    }

    private static SigningKey? FromDer(byte[] der, string? passphrase)
    {
        _ = passphrase;
        foreach (var read in new Func<byte[], SigningKey>[] { FromPkcs8, FromRsa, FromEc })
        {
            try
            {
                return read(der);
            }
            catch (Exception e) when (e is CryptographicException or AsnContentException)
            {
                // Not this format; try the next.
            }
        }
        return null;
    }

    /// <summary>PKCS#8 (RFC 5208 5): its algorithm decides the key type; Ed25519's key is an OCTET STRING in the OCTET STRING (RFC 8410 7).</summary>
    private static SigningKey FromPkcs8(byte[] der)
    {
        var info = new AsnReader(der, AsnEncodingRules.BER).ReadSequence();
        info.ReadInteger();
        var algorithm = info.ReadSequence().ReadObjectIdentifier();
        switch (algorithm)
        {
            case RsaOid:
                var rsa = RSA.Create();
                rsa.ImportPkcs8PrivateKey(der, out _);
                return SigningKey.FromRsa(rsa);
            case EcOid:
                var ecdsa = ECDsa.Create();
                ecdsa.ImportPkcs8PrivateKey(der, out _);
                return SigningKey.FromEcdsa(ecdsa);
            case SigningKey.Ed25519Oid:
                var inner = new AsnReader(info.ReadOctetString(), AsnEncodingRules.BER).ReadOctetString();
                try
                {
                    return SigningKey.FromEd25519(inner);
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(inner);
                }
            default:
                throw new ArgumentException($"holds a key of algorithm {algorithm}; valid: RSA, ECDSA (P-256, P-384, P-521), Ed25519");
        }
    }

    private static SigningKey FromRsa(byte[] der)
    {
        var rsa = RSA.Create();
        rsa.ImportRSAPrivateKey(der, out _);
        return SigningKey.FromRsa(rsa);
    }

    private static SigningKey FromEc(byte[] der)
    {
        var ecdsa = ECDsa.Create();
        ecdsa.ImportECPrivateKey(der, out _);
        return SigningKey.FromEcdsa(ecdsa);
    }

    private sealed record PemBlock(string Label, byte[] Der, bool Encrypted);

    /// <summary>RFC 7468's textual encoding: each -----BEGIN LABEL----- ... -----END LABEL----- block, headers noted.</summary>
    private static List<PemBlock> PemBlocks(string text)
    {
        var blocks = new List<PemBlock>();
        var at = 0;
        while ((at = text.IndexOf("-----BEGIN ", at, StringComparison.Ordinal)) >= 0)
        {
            var labelEnd = text.IndexOf("-----", at + 11, StringComparison.Ordinal);
            if (labelEnd < 0)
                break;
            var label = text[(at + 11)..labelEnd];
            var end = text.IndexOf($"-----END {label}-----", labelEnd, StringComparison.Ordinal);
            if (end < 0)
                throw new FormatException($"the PEM block {label} has no END line");
            var body = text[(labelEnd + 5)..end];
            var encrypted = body.Contains("Proc-Type:", StringComparison.Ordinal);
            var base64 = string.Concat(body.Split('\n').Where(l => !l.Contains(':', StringComparison.Ordinal)).Select(l => l.Trim()));
            blocks.Add(new PemBlock(label, encrypted ? [] : Convert.FromBase64String(base64), encrypted));
            at = end + 1;
        }
        return blocks;
    }

    private static void CheckMode(string key, string file, ConfigProblems p)
    {
        if (OperatingSystem.IsWindows())
            return;
        try
        {
            var mode = File.GetUnixFileMode(file);
            if ((mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite)) != 0)
                p.Warn(key, $"'{file}' holds a private key and has mode {Convert.ToString((int)mode & 0xFFF, 8).PadLeft(4, '0')}: others than its owner can reach it; chmod 600 {file}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The file was read a moment ago; a failing stat adds nothing to say.
        }
    }

    public static string Name(X509Certificate2 certificate) => certificate.SubjectName.Decode(X500DistinguishedNameFlags.UseCommas);

    public static string Time(DateTime time) => time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}
