using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway.Tests.Config;

/// <summary>
/// local.auth / remote.auth pubkey with swanctl's names: local.certs, remote.cacerts, secrets.private-NAME { file, secret };
/// each key format loads, and each mistake is one line naming the key, the file and what is wrong, never key material.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CertificateConfigTests : IDisposable
{
    // The loader checks validity against the real clock: these certificates are valid around today.
    private static readonly DateTimeOffset From = DateTimeOffset.UtcNow.AddDays(-1);
    private static readonly DateTimeOffset To = DateTimeOffset.UtcNow.AddDays(30);
    private static readonly TestPki.Ca Ca = TestPki.CreateCa("C=CH, O=Lab, CN=Lab CA", from: From, to: To);

    private readonly string _dir = Directory.CreateTempSubdirectory("s2s-certs-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private void Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    private static string Pem(X509Certificate2 c) => PemEncoding.WriteString("CERTIFICATE", c.RawData);

    private X509Certificate2 WriteGateway(TestKey key, string keyPem, DateTimeOffset? to = null)
    {
        var gw = TestPki.Issue(Ca, "C=CH, O=Lab, CN=gw", key, dns: ["gw.example.com"], from: From, to: to ?? To);
        Write("gw.crt", Pem(gw));
        Write("gw.key", keyPem);
        Write("ca.crt", Pem(Ca.Certificate));
        return gw;
    }

    private static string Config(string local = "\"auth\": \"pubkey\", \"certs\": [\"gw.crt\"]",
        string remote = "\"auth\": \"pubkey\", \"cacerts\": [\"ca.crt\"], \"id\": \"C=CH, O=Lab, CN=peer\"",
        string secrets = "\"private-gw\": { \"file\": \"gw.key\" }") => $$"""
        {
          "connections": {
            "c": {
              "remote_addrs": "192.0.2.2", "local": { {{local}} }, "remote": { {{remote}} },
              "children": { "net": { "local_ts": "10.1.0.0/24", "remote_ts": "10.2.0.0/24" } }
            }
          },
          "secrets": { {{secrets}} }
        }
        """;

    private (bool Ok, GatewayConfig Config, IReadOnlyList<string> Problems) Parse(string json)
    {
        var ok = ConfigLoader.TryParse(json, _dir, out var config, out var problems);
        return (ok, config, problems);
    }

    public static TheoryData<string> KeyFormats => ["rsa-pkcs8", "rsa-pkcs1", "rsa-pkcs8-encrypted", "ec-pkcs8", "ec-sec1", "ec-pkcs8-encrypted", "p521-der", "ed25519-pkcs8"];

    [Theory]
    [MemberData(nameof(KeyFormats))]
    public void Parse_PubkeyWithEachKeyFormat_LoadsCertificateKeyAndAnchors(string format)
    {
        var type = format.StartsWith("rsa", StringComparison.Ordinal) ? SigningKeyType.Rsa : format.StartsWith("p521", StringComparison.Ordinal) ? SigningKeyType.EcdsaP521
            : format.StartsWith("ed", StringComparison.Ordinal) ? SigningKeyType.Ed25519 : SigningKeyType.EcdsaP256;
        var key = TestKey.Get(type, 5);
        var pbe = new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 1000);
        var secret = "";
        string pem;
        switch (format)
        {
            case "rsa-pkcs1":
                pem = ((RSA)key.DotNet!).ExportRSAPrivateKeyPem();
                break;
            case "ec-sec1":
                pem = ((ECDsa)key.DotNet!).ExportECPrivateKeyPem();
                break;
            case "rsa-pkcs8-encrypted":
            case "ec-pkcs8-encrypted":
                pem = key.DotNet!.ExportEncryptedPkcs8PrivateKeyPem("a passphrase", pbe);
                secret = ", \"secret\": \"a passphrase\"";
                break;
            case "p521-der":
                pem = "";
                break;
            default:
                pem = PemEncoding.WriteString("PRIVATE KEY", key.ExportPkcs8());
                break;
        }
        var gw = WriteGateway(key, pem);
        if (format == "p521-der")
            File.WriteAllBytes(Path.Combine(_dir, "gw.key"), key.ExportPkcs8());
        var (ok, config, problems) = Parse(Config(secrets: $"\"private-gw\": {{ \"file\": \"gw.key\"{secret} }}"));
        Assert.True(ok, string.Join("\n", problems));
        var c = Assert.Single(config.Connections);
        Assert.Equal(AuthClass.PublicKey, c.LocalAuth);
        Assert.Equal(AuthClass.PublicKey, c.RemoteAuth);
        Assert.Equal(gw.RawData, c.LocalCredential!.Certificate.RawData);
        Assert.Equal(type, c.LocalCredential.Key.Type);
        Assert.True(c.LocalCredential.Key.Matches(gw));
        // Without local.id, our identity is the certificate's subject DN.
        Assert.Equal(IdentificationType.DerAsn1Dn, c.LocalId.Type);
        Assert.Equal("C=CH, O=Lab, CN=gw", c.LocalId.ToString());
        Assert.Equal(Ca.Certificate.RawData, Assert.Single(c.TrustAnchors).RawData);
        Assert.Equal("C=CH, O=Lab, CN=peer", c.RemoteId!.ToString());
    }

    [Fact]
    public void Parse_IntermediateFirstInCerts_EndEntityFoundByKey()
    {
        var key = TestKey.Get(SigningKeyType.EcdsaP256, 5);
        var intermediate = TestPki.CreateCa("C=CH, O=Lab, CN=Sub CA", keyIndex: 3, issuer: Ca, from: From, to: To);
        var gw = TestPki.Issue(intermediate, "C=CH, O=Lab, CN=gw", key, dns: ["gw.example.com"], from: From, to: To);
        Write("chain.pem", Pem(intermediate.Certificate) + Pem(gw));
        Write("gw.key", PemEncoding.WriteString("PRIVATE KEY", key.ExportPkcs8()));
        Write("ca.crt", Pem(Ca.Certificate));
        var (ok, config, problems) = Parse(Config(local: "\"auth\": \"pubkey\", \"certs\": [\"chain.pem\"], \"id\": \"gw.example.com\""));
        Assert.True(ok, string.Join("\n", problems));
        var c = config.Connections[0];
        Assert.Equal(gw.RawData, c.LocalCredential!.Certificate.RawData);
        Assert.Equal(intermediate.Certificate.RawData, Assert.Single(c.LocalCredential.Intermediates).RawData);
        Assert.Equal(Identity.Parse("gw.example.com"), c.LocalId);
    }

    [Fact]
    public void Parse_PskLocallyPubkeyRemotely_NeedsThePskAndTheAnchors()
    {
        Write("ca.crt", Pem(Ca.Certificate));
        var (ok, config, problems) = Parse(Config(local: "\"auth\": \"psk\", \"id\": \"moon\"",
            secrets: "\"ike-c\": { \"secret\": \"a-pre-shared-key-of-26-chars\" }"));
        Assert.True(ok, string.Join("\n", problems));
        Assert.Equal(AuthClass.Psk, config.Connections[0].LocalAuth);
        Assert.Equal(AuthClass.PublicKey, config.Connections[0].RemoteAuth);
        Assert.Equal("a-pre-shared-key-of-26-chars"u8.ToArray(), config.Connections[0].PreSharedKey);
    }

    [Theory]
    [InlineData("missing-cert", "connections.c.local.certs: 'gw.crt' is unreadable")]
    [InlineData("not-a-cert", "connections.c.local.certs: 'gw.crt' is not a certificate")]
    [InlineData("other-key", "connections.c.local.certs: 'gw.crt': key does not match the certificate: none of the private keys (secrets.private-gw 'gw.key') is the key of 'C=CH, O=Lab, CN=gw'")]
    [InlineData("no-key", "connections.c.local.certs: 'gw.crt': no key for local.certs")]
    [InlineData("expired", "connections.c.local.certs: 'gw.crt': certificate 'C=CH, O=Lab, CN=gw' expired on")]
    [InlineData("wrong-passphrase", "secrets.private-gw.file: 'gw.key' cannot be decrypted with its secret")]
    [InlineData("no-passphrase", "secrets.private-gw.file: 'gw.key' is encrypted; give its passphrase as secret")]
    [InlineData("garbage-key", "secrets.private-gw.file: 'gw.key' is not a private key")]
    [InlineData("id-not-in-cert", "connections.c.local.id: 'vpn.example.com' is neither the subject ('C=CH, O=Lab, CN=gw') nor a subjectAltName of 'gw.crt'")]
    [InlineData("no-cacerts", "connections.c.remote.cacerts: missing; remote.auth pubkey needs the CA certificates")]
    [InlineData("bad-auth", "connections.c.local.auth: 'eap' is not supported; valid: psk, pubkey")]
    public void Parse_Mistake_OneLineNamingKeyFileAndWhat(string mistake, string line)
    {
        var key = TestKey.Get(SigningKeyType.EcdsaP256, 5);
        var keyPem = mistake switch
        {
            "other-key" => PemEncoding.WriteString("PRIVATE KEY", TestKey.Get(SigningKeyType.EcdsaP256, 6).ExportPkcs8()),
            "wrong-passphrase" or "no-passphrase" => key.DotNet!.ExportEncryptedPkcs8PrivateKeyPem("right", new PbeParameters(PbeEncryptionAlgorithm.Aes128Cbc, HashAlgorithmName.SHA256, 1000)),
            "garbage-key" => "this is no key",
            _ => PemEncoding.WriteString("PRIVATE KEY", key.ExportPkcs8()),
        };
        WriteGateway(key, keyPem, mistake == "expired" ? DateTimeOffset.UtcNow.AddDays(-1) : null);
        if (mistake == "missing-cert")
            File.Delete(Path.Combine(_dir, "gw.crt"));
        if (mistake == "not-a-cert")
            Write("gw.crt", "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n");
        var json = mistake switch
        {
            "no-key" => Config(secrets: ""),
            "wrong-passphrase" => Config(secrets: "\"private-gw\": { \"file\": \"gw.key\", \"secret\": \"wrong\" }"),
            "id-not-in-cert" => Config(local: "\"auth\": \"pubkey\", \"certs\": [\"gw.crt\"], \"id\": \"vpn.example.com\""),
            "no-cacerts" => Config(remote: "\"auth\": \"pubkey\""),
            "bad-auth" => Config(local: "\"auth\": \"eap\""),
            _ => Config(),
        };
        var (ok, _, problems) = Parse(json);
        Assert.False(ok);
        var problem = Assert.Single(problems, l => l.StartsWith(line, StringComparison.Ordinal));
        Assert.DoesNotContain("BEGIN", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_Pubkey_ShowsCertificateAndAnchorsNeverTheKey()
    {
        var key = TestKey.Get(SigningKeyType.Rsa, 5);
        var keyPem = ((RSA)key.DotNet!).ExportRSAPrivateKeyPem();
        WriteGateway(key, keyPem);
        Write("s2s.json", Config(local: "\"auth\": \"rsa/pss\", \"certs\": [\"gw.crt\"]"));
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = Program.Check(Path.Combine(_dir, "s2s.json"), output, error);
        Assert.True(exit == 0, error.ToString());
        var text = output.ToString();
        Assert.Contains("connections.c.local.certs: 'C=CH, O=Lab, CN=gw' (Rsa, RSASSA-PSS), issued by 'C=CH, O=Lab, CN=Lab CA'", text, StringComparison.Ordinal);
        Assert.Contains("id 'C=CH, O=Lab, CN=gw'", text, StringComparison.Ordinal);
        Assert.Contains("connections.c.remote.cacerts: 'C=CH, O=Lab, CN=Lab CA'", text, StringComparison.Ordinal);
        var body = keyPem.Split('\n')[1];
        Assert.DoesNotContain(body, text + error, StringComparison.Ordinal);
    }
}
