using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;
using S2SEndpoint.TestSupport;

namespace S2SEndpoint.Gateway.Tests.Core;

/// <summary>
/// gateway.wireshark_keys: the lines are Wireshark 4.0's esp_sa and ikev2_decryption_table formats (the names as
/// Debian 12's tshark 4.0.17 takes them; interop scenario 12 decrypts a real capture with them), the files are 0600 and
/// follow the SAs, and nothing is written while the key is off.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class WiresharkKeysTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("s2s-wireshark-keys-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static byte[] Counting(int length, int from = 0) => [.. Enumerable.Range(from, length).Select(i => (byte)i)];

    private static ChildSuite Esp(string keywords)
    {
        Assert.True(ProposalKeywords.TryParse(keywords, ProtocolId.Esp, out var proposal, out var error), error);
        Assert.True(ChildSuite.TryFromProposal(proposal, out var suite, out error), error);
        return suite;
    }

    private static IkeSuite Ike(string keywords)
    {
        Assert.True(ProposalKeywords.TryParse(keywords, ProtocolId.Ike, out var proposal, out var error), error);
        Assert.True(IkeSuite.TryFromProposal(proposal, out var suite, out error), error);
        return suite;
    }

    // ---- the lines ----

    [Theory]
    [InlineData("aes128gcm16", 20, "0x000102030405060708090a0b0c0d0e0f10111213")]
    [InlineData("aes256gcm16", 36, "0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223")]
    public void EspAlgorithms_AesGcm_KeyFollowedByItsSaltAndNullAuthentication(string keywords, int keyMaterial, string key)
    {
        var suite = Esp(keywords);
        Assert.Equal(keyMaterial, suite.EncryptionKeySize);

        var columns = WiresharkKeys.EspAlgorithms(suite, Counting(keyMaterial), []);

        Assert.Equal($"\"AES-GCM with 16 octet ICV [RFC4106]\",\"{key}\",\"NULL\",\"\"", columns);
    }

    [Theory]
    [InlineData("aes256-sha256", "HMAC-SHA-256-128 [RFC4868]", 32, 32)]
    [InlineData("aes128-sha1", "HMAC-SHA-1-96 [RFC2404]", 16, 20)]
    [InlineData("aes256-sha384", "HMAC-SHA-384-192 [RFC4868]", 32, 48)]
    [InlineData("aes256-sha512", "HMAC-SHA-512-256 [RFC4868]", 32, 64)]
    public void EspAlgorithms_AesCbcWithHmac_NamesBothWithBothKeys(string keywords, string authentication, int keySize, int integrityKeySize)
    {
        var suite = Esp(keywords);
        var key = Counting(keySize);
        var integrityKey = Counting(integrityKeySize, 0x80);

        var columns = WiresharkKeys.EspAlgorithms(suite, key, integrityKey);

        Assert.Equal($"\"AES-CBC [RFC3602]\",\"0x{Convert.ToHexStringLower(key)}\",\"{authentication}\",\"0x{Convert.ToHexStringLower(integrityKey)}\"", columns);
    }

    [Fact]
    public void EspAlgorithms_NullEncryption_HasAnEmptyKey() =>
        Assert.Equal("\"NULL\",\"\",\"HMAC-SHA-256-128 [RFC4868]\",\"0x0001\"", WiresharkKeys.EspAlgorithms(Esp("null-sha256"), [], [0, 1]));

    [Fact]
    public void EspAlgorithms_ChaCha20Poly1305_IsLeftOutBecauseWireshark40CannotDecryptIt() =>
        Assert.Null(WiresharkKeys.EspAlgorithms(Esp("chacha20poly1305"), Counting(36), []));

    [Fact]
    public void EspLine_IPv4_QuotesEveryColumnAndWritesTheSpiAsEightHexDigits()
    {
        var line = WiresharkKeys.EspLine(IPAddress.Parse("192.0.2.1"), IPAddress.Parse("192.0.2.2"), 0x0000c0de, "\"AES-CBC [RFC3602]\",\"0x00\",\"NULL\",\"\"");

        Assert.Equal("\"IPv4\",\"192.0.2.1\",\"192.0.2.2\",\"0x0000c0de\",\"AES-CBC [RFC3602]\",\"0x00\",\"NULL\",\"\"", line);
    }

    [Fact]
    public void EspLine_IPv6IsWrittenOutInFull_MappedIPv4IsIPv4_AnyIsTheWildcard()
    {
        const string Algorithms = "\"NULL\",\"\",\"NULL\",\"\"";

        Assert.Equal("\"IPv6\",\"2001:0db8:0000:0000:0000:0000:0000:0001\",\"*\",\"0x00001000\"," + Algorithms,
            WiresharkKeys.EspLine(IPAddress.Parse("2001:db8::1"), IPAddress.IPv6Any, 0x1000, Algorithms));
        Assert.Equal("\"IPv4\",\"192.0.2.1\",\"*\",\"0xffffffff\"," + Algorithms,
            WiresharkKeys.EspLine(IPAddress.Parse("::ffff:192.0.2.1"), IPAddress.Any, 0xffffffff, Algorithms));
    }

    [Fact]
    public void IkeLine_AesGcm256_SpisAndKeysWithTheirSaltAsBareHex_NoIntegrity()
    {
        var suite = Ike("aes256gcm16-prfsha384-ecp384");
        Assert.Equal(36, suite.EncryptionKeySize);

        var line = WiresharkKeys.IkeLine(0x0102030405060708, 0x00000000000000ff, suite, Counting(36), Counting(36, 0x40), [], []);

        Assert.Equal("0102030405060708,00000000000000ff,"
            + "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223,"
            + "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60616263,"
            + "\"AES-GCM-256 with 16 octet ICV [RFC5282]\",,,\"NONE [RFC4306]\"", line);
    }

    [Theory]
    [InlineData("aes256-sha256-modp2048", "AES-CBC-256 [RFC3602]", "HMAC_SHA2_256_128 [RFC4868]", 32, 32)]
    [InlineData("aes128-sha1-modp1024", "AES-CBC-128 [RFC3602]", "HMAC_SHA1_96 [RFC2404]", 16, 20)]
    [InlineData("aes192-sha384-ecp384", "AES-CBC-192 [RFC3602]", "HMAC_SHA2_384_192 [RFC4868]", 24, 48)]
    [InlineData("aes256-sha512-ecp521", "AES-CBC-256 [RFC3602]", "HMAC_SHA2_512_256 [RFC4868]", 32, 64)]
    public void IkeLine_AesCbcWithHmac_NamesBothWithAllFourKeys(string keywords, string encryption, string integrity, int keySize, int integrityKeySize)
    {
        var suite = Ike(keywords);
        var (ei, er, ai, ar) = (Counting(keySize), Counting(keySize, 0x40), Counting(integrityKeySize, 0x80), Counting(integrityKeySize, 0xc0));

        var line = WiresharkKeys.IkeLine(1, 2, suite, ei, er, ai, ar);

        Assert.Equal(string.Join(',', "0000000000000001", "0000000000000002", Convert.ToHexStringLower(ei), Convert.ToHexStringLower(er),
            $"\"{encryption}\"", Convert.ToHexStringLower(ai), Convert.ToHexStringLower(ar), $"\"{integrity}\""), line);
    }

    [Fact]
    public void IkeLine_ChaCha20Poly1305_IsLeftOut() =>
        Assert.Null(WiresharkKeys.IkeLine(1, 2, Ike("chacha20poly1305-prfsha256-x25519"), Counting(36), Counting(36), [], []));

    // ---- the files ----

    private static string[] Entries(string file) => [.. File.ReadAllLines(file).Where(l => !l.StartsWith('#'))];

    private static UnixFileMode Mode(string path) => File.GetUnixFileMode(path);

    private static ChildSaInstall Install(ChildSuite suite, uint inbound, uint outbound) =>
        new("gw", "net", 1, inbound, outbound, suite, Counting(36), [], Counting(36, 0x40), [], [], [],
            new IPEndPoint(IPAddress.Parse("192.0.2.1"), 4500), new IPEndPoint(IPAddress.Parse("192.0.2.2"), 4500), true, 0, 0);

    [Fact]
    public void Open_MakesTheDirectoryOwnerOnly_WritesBothTablesEmpty0600_AndWarnsOnce()
    {
        var dir = Path.Combine(_root, "keys");
        var log = new LineLog();

        var keys = WiresharkKeys.Open(dir, log);

        Assert.NotNull(keys);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, Mode(dir));
        Assert.Equal(["esp_sa", "ikev2_decryption_table"], Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var file in Directory.GetFiles(dir))
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, Mode(file));
            Assert.Empty(Entries(file));
        }
        var warning = Assert.Single(log.Lines);
        Assert.Equal($"Warning: writing IKE and ESP keys to {dir} for Wireshark: anyone who can read them can decrypt this gateway's traffic", warning);
    }

    [Fact]
    public void Open_OldTablesFromAnEarlierRun_AreReplacedEmpty()
    {
        File.WriteAllText(Path.Combine(_root, "esp_sa"), "\"IPv4\",\"*\",\"*\",\"0x00001000\",\"NULL\",\"\",\"NULL\",\"\"\n");

        WiresharkKeys.Open(_root, new LineLog());

        Assert.Empty(Entries(Path.Combine(_root, "esp_sa")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, Mode(Path.Combine(_root, "esp_sa")));
    }

    [Fact]
    public void Open_Off_GivesNoWriterAndWritesNothing()
    {
        Assert.Null(WiresharkKeys.Open(null, new LineLog()));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root));
    }

    [Fact]
    public void Open_DirectoryCannotBeMade_SaysWhichKeyAndWhere()
    {
        var file = Path.Combine(_root, "a-file");
        File.WriteAllText(file, "");

        var e = Assert.Throws<IOException>(() => WiresharkKeys.Open(Path.Combine(file, "keys"), new LineLog()));

        Assert.StartsWith($"gateway.wireshark_keys: cannot make the directory '{Path.Combine(file, "keys")}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InstalledThenRemoved_TheFileHoldsBothDirectionsThenNone_Staying0600()
    {
        var keys = WiresharkKeys.Open(_root, new LineLog())!;
        var esp = Path.Combine(_root, "esp_sa");

        keys.Installed(Install(Esp("aes256gcm16"), inbound: 0xc1000001, outbound: 0xc2000002));

        Assert.Equal(
        [
            "\"IPv4\",\"192.0.2.1\",\"192.0.2.2\",\"0xc2000002\",\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60616263\",\"NULL\",\"\"",
            "\"IPv4\",\"192.0.2.2\",\"192.0.2.1\",\"0xc1000001\",\"AES-GCM with 16 octet ICV [RFC4106]\",\"0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223\",\"NULL\",\"\"",
        ], Entries(esp));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, Mode(esp));

        keys.Removed(0xc1000001, 0xc2000002);

        Assert.Empty(Entries(esp));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, Mode(esp));
        Assert.Equal(["esp_sa", "ikev2_decryption_table"], Directory.GetFiles(_root).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Moved_TheSasLinesFollowTheNewAddresses()
    {
        var keys = WiresharkKeys.Open(_root, new LineLog())!;
        keys.Installed(Install(Esp("aes256gcm16"), inbound: 0x1001, outbound: 0x2002));

        keys.Moved(0x1001, 0x2002, IPAddress.Parse("192.0.2.1"), IPAddress.Parse("198.51.100.7"));

        Assert.Equal(["\"IPv4\",\"192.0.2.1\",\"198.51.100.7\",\"0x00002002\"", "\"IPv4\",\"198.51.100.7\",\"192.0.2.1\",\"0x00001001\""],
            Entries(Path.Combine(_root, "esp_sa")).Select(l => string.Join(',', l.Split(',').Take(4))));
    }

    [Fact]
    public void KeyedThenForgotten_TheIkeTableFollowsTheSa()
    {
        var keys = WiresharkKeys.Open(_root, new LineLog())!;
        var ike = Path.Combine(_root, "ikev2_decryption_table");
        var suite = Ike("aes256-sha256-modp2048");

        keys.Keyed(0x11, 0x22, suite, Counting(32), Counting(32), Counting(32), Counting(32));
        keys.Keyed(0x33, 0x44, suite, Counting(32), Counting(32), Counting(32), Counting(32));
        keys.Forgotten(0x11, 0x22);

        var line = Assert.Single(Entries(ike));
        Assert.StartsWith("0000000000000033,0000000000000044,", line, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, Mode(ike));
    }

    [Fact]
    public void ChaCha20Poly1305Sa_IsLeftOutWithOneLineSayingWhy()
    {
        var log = new LineLog();
        var keys = WiresharkKeys.Open(_root, log)!;

        keys.Installed(Install(Esp("chacha20poly1305"), 0x1001, 0x2002));
        keys.Installed(Install(Esp("chacha20poly1305"), 0x1003, 0x2004));

        Assert.Empty(Entries(Path.Combine(_root, "esp_sa")));
        Assert.Single(log.Lines, l => l.Contains("Wireshark 4.0 cannot decrypt them", StringComparison.Ordinal));
    }

    [Fact]
    public void WriteFails_TheTunnelCarriesOn_OneWarning_AndTheNextChangeWritesAgain()
    {
        var dir = Path.Combine(_root, "keys");
        var log = new LineLog();
        var keys = WiresharkKeys.Open(dir, log)!;
        Directory.Delete(dir, recursive: true);

        keys.Installed(Install(Esp("aes256gcm16"), 0x1001, 0x2002));
        keys.Installed(Install(Esp("aes256gcm16"), 0x1003, 0x2004));
        Directory.CreateDirectory(dir);
        keys.Removed(0x1001, 0x2002);

        Assert.Single(log.Lines, l => l.Contains("cannot write the key files", StringComparison.Ordinal));
        Assert.Single(log.Lines, l => l.Contains("written again", StringComparison.Ordinal));
        Assert.Equal(2, Entries(Path.Combine(dir, "esp_sa")).Length);
    }

    // ---- in the gateway ----

    private static string GatewayConfig(string name, string local, string remote, string localId, string remoteId, string start, string gatewayExtra) => $$"""
        {
          "gateway": { "tun_name": "s2s0" {{gatewayExtra}} },
          "connections": {
            "{{name}}": {
              "local_addrs": "{{local}}", "remote_addrs": "{{remote}}",
              "proposals": "aes256gcm16-prfsha384-ecp384",
              "local": { "auth": "psk", "id": "{{localId}}" }, "remote": { "auth": "psk", "id": "{{remoteId}}" },
              "children": { "net": { "local_ts": "{{(name == "moon" ? "10.1.0.0/24" : "10.2.0.0/24")}}", "remote_ts": "{{(name == "moon" ? "10.2.0.0/24" : "10.1.0.0/24")}}",
                                     "esp_proposals": "aes256gcm16", "start_action": "{{start}}" } }
            }
          },
          "secrets": { "ike-{{name}}": { "id": "{{remoteId}}", "secret": "wireshark-keys-test-psk" } }
        }
        """;

    /// <summary>Two gateways in memory, moon's keys in <see cref="_root"/>; every datagram moon sends is kept.</summary>
    private sealed class Tunnel
    {
        private readonly GatewayHost _moon;

        public Tunnel(string? moonKeys)
        {
            var extra = moonKeys is null ? "" : $", \"wireshark_keys\": \"{moonKeys}\"";
            Moon = new GatewayCore(TestConfig.Load(GatewayConfig("moon", "192.0.2.1", "192.0.2.2", "moon", "sun", "start", extra)), MoonIo, Clock, new SeededRandom(1));
            Sun = new GatewayCore(TestConfig.Load(GatewayConfig("sun", "192.0.2.2", "192.0.2.1", "sun", "moon", "none", "")), SunIo, Clock, new SeededRandom(2));
            _moon = Net.Add("192.0.2.1", Moon, MoonIo);
            Net.Add("192.0.2.2", Sun, SunIo);
        }

        public FakeClock Clock { get; } = new();
        public MemoryNetwork<GatewayHost> Net { get; } = new();
        public FakeIo MoonIo { get; } = new();
        public FakeIo SunIo { get; } = new();
        public GatewayCore Moon { get; }
        public GatewayCore Sun { get; }

        /// <summary>What moon sent, in order.</summary>
        public IEnumerable<byte[]> SentByMoon => Net.Wire.Where(w => w.From == _moon).Select(w => w.Datagram.Data);

        public void Pump() => Net.Pump();
    }

    [Fact]
    public void Gateway_KeysOn_TheFilesOpenWhatItSent_EspByItsKeyAndSalt_IkeAuthBySkEi()
    {
        var dir = Path.Combine(_root, "moon");
        var t = new Tunnel(dir);
        t.Moon.Start();
        t.Pump();
        var ping = InProcessGatewayTests.Ping("10.1.0.5", "10.2.0.7");
        var tun = new PacketBuffer(2048);
        tun.Load(ping);
        t.Moon.OnTun("s2s0", tun);
        t.Pump();
        Assert.Single(t.SunIo.Tun);

        // ESP in UDP (RFC 3948): SPI, sequence number, 8-octet IV, ciphertext, 16-octet ICV. RFC 4106: the nonce is the
        // salt (the key material's last 4 octets) and the IV; the AAD is SPI and sequence number.
        var esp = t.SentByMoon.Last();
        var spi = BinaryPrimitives.ReadUInt32BigEndian(esp);
        var line = Assert.Single(Entries(Path.Combine(dir, "esp_sa")), l => l.Contains($"\"0x{spi:x8}\"", StringComparison.Ordinal));
        Assert.StartsWith("\"IPv4\",\"192.0.2.1\",\"192.0.2.2\",", line, StringComparison.Ordinal);
        var keyMaterial = Convert.FromHexString(line.Split(',')[5].Trim('"')[2..]);
        var opened = OpenGcm(keyMaterial, nonceIv: esp.AsSpan(8, 8), aad: esp.AsSpan(0, 8), sealedData: esp.AsSpan(16));
        // The inner packet as it left the TUN, but for the TTL and header checksum a router changes: addresses and ICMP.
        Assert.Equal(ping.AsSpan(12, 8).ToArray(), opened.AsSpan(12, 8).ToArray());
        Assert.Equal(ping.AsSpan(20).ToArray(), opened.AsSpan(20, ping.Length - 20).ToArray());

        // IKE_AUTH, moon's first message on 4500 (after the 4-octet non-ESP marker): RFC 5282 5.1, the AAD is the IKE
        // header and the SK payload's generic header; the nonce the salt (SK_ei's last 4 octets) and the IV.
        var sa = t.Moon.Inspect(c => Assert.Single(c.Engine.Sas));
        var ikeLine = Assert.Single(Entries(Path.Combine(dir, "ikev2_decryption_table")));
        var columns = ikeLine.Split(',');
        Assert.Equal([$"{sa.InitiatorSpi:x16}", $"{sa.ResponderSpi:x16}"], columns[..2]);
        var auth = t.SentByMoon.First(d => d.Length > 4 && BinaryPrimitives.ReadUInt32BigEndian(d) == 0)[4..];
        Assert.Equal((byte)ExchangeType.IkeAuth, auth[18]);
        var plain = OpenGcm(Convert.FromHexString(columns[2]), nonceIv: auth.AsSpan(32, 8), aad: auth.AsSpan(0, 32), sealedData: auth.AsSpan(40));
        Assert.Contains("moon", Encoding.ASCII.GetString(plain), StringComparison.Ordinal);
        Assert.Equal("\"AES-GCM-256 with 16 octet ICV [RFC5282]\"", columns[4]);
    }

    private static byte[] OpenGcm(byte[] keyMaterial, ReadOnlySpan<byte> nonceIv, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> sealedData)
    {
        Assert.Equal(36, keyMaterial.Length);
        var nonce = keyMaterial.AsSpan(32, 4).ToArray().Concat(nonceIv.ToArray()).ToArray();
        var ciphertext = sealedData[..^16];
        var plain = new byte[ciphertext.Length];
        using var gcm = new AesGcm(keyMaterial.AsSpan(0, 32), 16);
        gcm.Decrypt(nonce, ciphertext, sealedData[^16..], plain, aad);
        return plain;
    }

    [Fact]
    public void Gateway_TunnelGoes_TheFilesHoldNoKey()
    {
        var dir = Path.Combine(_root, "moon");
        var t = new Tunnel(dir);
        t.Moon.Start();
        t.Pump();
        Assert.Equal(2, Entries(Path.Combine(dir, "esp_sa")).Length);
        Assert.Single(Entries(Path.Combine(dir, "ikev2_decryption_table")));

        t.Moon.Terminate("moon");
        t.Pump();

        Assert.Empty(Entries(Path.Combine(dir, "esp_sa")));
        Assert.Empty(Entries(Path.Combine(dir, "ikev2_decryption_table")));
    }

    [Fact]
    public void Gateway_KeysOff_TheEngineHasNoKeyLog()
    {
        var t = new Tunnel(moonKeys: null);
        t.Moon.Start();
        t.Pump();

        Assert.Null(t.Moon.Engine.Options.KeyLog);
        Assert.Null(t.Moon.Config.Settings.WiresharkKeys);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root));
    }

    // ---- configuration ----

    private static string WithKeys(string value) =>
        GatewayConfig("moon", "192.0.2.1", "192.0.2.2", "moon", "sun", "none", $", \"wireshark_keys\": \"{value}\"");

    [Fact]
    public void Config_MissingDirectoryWhoseParentExists_IsTakenAndNotMadeByTheCheck()
    {
        var dir = Path.Combine(_root, "later");

        Assert.True(ConfigLoader.TryParse(WithKeys(dir), ".", out var config, out var problems), string.Join('\n', problems));

        Assert.Equal(dir, config.Settings.WiresharkKeys);
        Assert.False(Directory.Exists(dir));
    }

    [Fact]
    public void Config_EmptyIsOff()
    {
        Assert.True(ConfigLoader.TryParse(WithKeys(""), ".", out var config, out var problems), string.Join('\n', problems));
        Assert.Null(config.Settings.WiresharkKeys);
    }

    [Fact]
    public void Config_UnusableDirectory_OneLineNamingTheKeyAndValue()
    {
        var file = Path.Combine(_root, "a-file");
        File.WriteAllText(file, "");
        var orphan = Path.Combine(_root, "no", "such", "keys");

        foreach (var (value, why) in new[]
        {
            ("keys/wireshark", "is not an absolute path"),
            (file, "is a file, not a directory"),
            (orphan, $"does not exist and cannot be made: its parent {Path.Combine(_root, "no", "such")} is not a directory"),
        })
        {
            Assert.False(ConfigLoader.TryParse(WithKeys(value), ".", out _, out var problems));
            Assert.StartsWith($"gateway.wireshark_keys: '{value}' {why}", Assert.Single(problems), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Config_ChangedWireshark_keys_NeedsARestart()
    {
        var old = TestConfig.Load(WithKeys(""));
        var next = TestConfig.Load(WithKeys(_root));

        Assert.Equal(["gateway.wireshark_keys"], ConfigDiff.Between(old, next).NeedRestart);
    }

    /// <summary>Keeps each log line as "Level: message".</summary>
    private sealed class LineLog : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add($"{logLevel}: {formatter(state, exception)}");
    }
}
