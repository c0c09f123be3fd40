using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway;

/// <summary>
/// gateway.wireshark_keys (strongSwan's save-keys option by name): the keys of the SAs up now, in the two tables Wireshark
/// reads from its configuration directory, so that a capture of the WAN side shows what IKE and ESP carry.
///
///   esp_sa                  one line per ESP SA and direction (Preferences, Protocols, ESP, ESP SAs):
///                           "IPv4","192.0.2.1","192.0.2.2","0xc0ffee01","AES-GCM with 16 octet ICV [RFC4106]","0x(key)(salt)","NULL",""
///   ikev2_decryption_table  one line per IKE SA (Preferences, Protocols, ISAKMP, IKEv2 Decryption Table):
///                           SPIi,SPIr,SK_ei,SK_er,"AES-GCM-256 with 16 octet ICV [RFC5282]",SK_ai,SK_ar,"NONE [RFC4306]"
///
/// The names are Wireshark 4.0's (Debian 12). An AEAD's key is followed by its 4-octet salt (RFC 4106 8.1, RFC 5282 7.1),
/// as the key schedule hands it over. ChaCha20-Poly1305 SAs (RFC 7634) are left out: Wireshark 4.0 has no name for them
/// and would refuse the whole table for one line it does not know.
///
/// The ESP kernel adds an SA's two directions when it installs them (before it zeroes the engine's key copies) and
/// removes them when the engine removes the SA; the IKE engine reports each IKE SA it keys and each that goes
/// (<see cref="IIkeKeyLog"/>). Every change rewrites its file whole: a temporary file made 0600, then renamed over the
/// old one, so that a reader never sees half a table and nobody but the owner ever can read one. A write that fails is
/// logged and the tunnels carry on; the next change writes the whole table again. The writes happen inside the engine's
/// and kernel's calls, under the control lock: a few hundred octets per SA change, never per packet. While an SA is up
/// its keys stay here as text, which cannot be zeroed: that, like the files, is the price of turning this on.
/// </summary>
public sealed partial class WiresharkKeys : IIkeKeyLog
{
    public const string EspFileName = "esp_sa";
    public const string IkeFileName = "ikev2_decryption_table";

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyDirectory = OwnerOnly | UnixFileMode.UserExecute;

    private readonly Lock _sync = new();
    private readonly ILogger _log;
    private readonly Dictionary<(uint Spi, bool Inbound), EspEntry> _esp = [];
    private readonly Dictionary<(ulong Initiator, ulong Responder), (long Order, string Line)> _ike = [];
    private readonly HashSet<string> _leftOut = [];
    private long _order;
    private bool _failing;

    /// <summary>One direction of an ESP SA: its outer addresses (which a NAT's new mapping moves) and the rest of its line.</summary>
    private sealed record EspEntry(long Order, IPAddress Source, IPAddress Destination, string Algorithms);

    private WiresharkKeys(string directory, ILogger log)
    {
        Directory = directory;
        _log = log;
    }

    public string Directory { get; }

    /// <summary>
    /// The writer for <paramref name="directory"/>, made 0700 when missing, with both tables written empty (a table a
    /// previous run left holds no SA of this one); null when <paramref name="directory"/> is null (off). Logs the one
    /// warning that says the keys are there.
    /// </summary>
    /// <exception cref="IOException">The directory cannot be made or the tables cannot be written there; the message names the key.</exception>
    public static WiresharkKeys? Open(string? directory, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(log);
        if (directory is null)
            return null;
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("gateway.wireshark_keys: the key files need Unix file modes");
        try
        {
            System.IO.Directory.CreateDirectory(directory, OwnerOnlyDirectory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"gateway.wireshark_keys: cannot make the directory '{directory}': {e.Message}", e);
        }
        var keys = new WiresharkKeys(directory, log);
        try
        {
            keys.WriteEsp();
            keys.WriteIke();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"gateway.wireshark_keys: cannot write the key files in '{directory}': {e.Message}", e);
        }
        Log.KeysOn(log, directory);
        return keys;
    }

    // ---- ESP ----

    /// <summary>Adds both directions of a Child SA being installed; called while its keys are still there.</summary>
    public void Installed(ChildSaInstall sa)
    {
        ArgumentNullException.ThrowIfNull(sa);
        var outbound = EspAlgorithms(sa.Suite, sa.OutboundEncryptionKey, sa.OutboundIntegrityKey);
        var inbound = EspAlgorithms(sa.Suite, sa.InboundEncryptionKey, sa.InboundIntegrityKey);
        lock (_sync)
        {
            if (outbound is null || inbound is null)
            {
                LeftOut($"ESP {sa.Suite.Encryption.Algorithm}");
                return;
            }
            var (local, remote) = (sa.LocalEndpoint.Address, sa.RemoteEndpoint.Address);
            _esp[(sa.OutboundSpi, false)] = new EspEntry(++_order, local, remote, outbound);
            _esp[(sa.InboundSpi, true)] = new EspEntry(++_order, remote, local, inbound);
            Save(WriteEsp);
        }
    }

    /// <summary>Removes both directions of the Child SA with these SPIs.</summary>
    public void Removed(uint inboundSpi, uint outboundSpi)
    {
        lock (_sync)
        {
            if (_esp.Remove((inboundSpi, true)) | _esp.Remove((outboundSpi, false)))
                Save(WriteEsp);
        }
    }

    /// <summary>The Child SA's ESP now travels between other addresses (a NAT's new mapping, RFC 7296 2.23).</summary>
    public void Moved(uint inboundSpi, uint outboundSpi, IPAddress local, IPAddress remote)
    {
        lock (_sync)
        {
            var changed = false;
            if (_esp.TryGetValue((outboundSpi, false), out var o) && (!o.Source.Equals(local) || !o.Destination.Equals(remote)))
            {
                _esp[(outboundSpi, false)] = o with { Source = local, Destination = remote };
                changed = true;
            }
            if (_esp.TryGetValue((inboundSpi, true), out var i) && (!i.Source.Equals(remote) || !i.Destination.Equals(local)))
            {
                _esp[(inboundSpi, true)] = i with { Source = remote, Destination = local };
                changed = true;
            }
            if (changed)
                Save(WriteEsp);
        }
    }

    // ---- IKE ----

    public void Keyed(ulong initiatorSpi, ulong responderSpi, IkeSuite suite, ReadOnlySpan<byte> skEi, ReadOnlySpan<byte> skEr, ReadOnlySpan<byte> skAi, ReadOnlySpan<byte> skAr)
    {
        ArgumentNullException.ThrowIfNull(suite);
        var line = IkeLine(initiatorSpi, responderSpi, suite, skEi, skEr, skAi, skAr);
        lock (_sync)
        {
            if (line is null)
            {
                LeftOut($"IKE {suite.Encryption.Algorithm}");
                return;
            }
            _ike[(initiatorSpi, responderSpi)] = (++_order, line);
            Save(WriteIke);
        }
    }

    public void Forgotten(ulong initiatorSpi, ulong responderSpi)
    {
        lock (_sync)
        {
            if (_ike.Remove((initiatorSpi, responderSpi)))
                Save(WriteIke);
        }
    }

    // ---- the lines ----

    /// <summary>
    /// The encryption and authentication columns of an esp_sa line, keys as 0x hex; null for a transform Wireshark 4.0
    /// cannot decrypt (ChaCha20-Poly1305).
    /// </summary>
    internal static string? EspAlgorithms(ChildSuite suite, ReadOnlySpan<byte> encryptionKey, ReadOnlySpan<byte> integrityKey)
    {
        ArgumentNullException.ThrowIfNull(suite);
        var encryption = suite.Encryption.Algorithm switch
        {
            EncryptionAlgorithm.AesGcm16 => "AES-GCM with 16 octet ICV [RFC4106]",
            EncryptionAlgorithm.AesCbc => "AES-CBC [RFC3602]",
            EncryptionAlgorithm.Null => "NULL",
            _ => null,
        };
        // With an AEAD the ICV is the cipher's: Wireshark's authentication is then NULL.
        var authentication = suite.Integrity?.Algorithm switch
        {
            null => "NULL",
            IntegrityAlgorithm.HmacSha1_96 => "HMAC-SHA-1-96 [RFC2404]",
            IntegrityAlgorithm.HmacSha2_256_128 => "HMAC-SHA-256-128 [RFC4868]",
            IntegrityAlgorithm.HmacSha2_384_192 => "HMAC-SHA-384-192 [RFC4868]",
            IntegrityAlgorithm.HmacSha2_512_256 => "HMAC-SHA-512-256 [RFC4868]",
            _ => null,
        };
        if (encryption is null || authentication is null)
            return null;
        return $"{Quote(encryption)},{Quote(PrefixedHex(encryptionKey))},{Quote(authentication)},{Quote(PrefixedHex(integrityKey))}";
    }

    /// <summary>One esp_sa line: protocol, source and destination (the outer addresses; "*" for any), SPI, then the algorithms.</summary>
    internal static string EspLine(IPAddress source, IPAddress destination, uint spi, string algorithms)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        source = source.IsIPv4MappedToIPv6 ? source.MapToIPv4() : source;
        destination = destination.IsIPv4MappedToIPv6 ? destination.MapToIPv4() : destination;
        var protocol = source.AddressFamily == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";
        return $"{Quote(protocol)},{Quote(Address(source))},{Quote(Address(destination))},{Quote($"0x{spi:x8}")},{algorithms}";
    }

    /// <summary>One ikev2_decryption_table line; null for a transform Wireshark 4.0 cannot decrypt (ChaCha20-Poly1305).</summary>
    internal static string? IkeLine(ulong initiatorSpi, ulong responderSpi, IkeSuite suite, ReadOnlySpan<byte> skEi, ReadOnlySpan<byte> skEr, ReadOnlySpan<byte> skAi, ReadOnlySpan<byte> skAr)
    {
        ArgumentNullException.ThrowIfNull(suite);
        var bits = suite.Encryption.KeyBits.ToString(CultureInfo.InvariantCulture);
        var encryption = suite.Encryption.Algorithm switch
        {
            EncryptionAlgorithm.AesGcm16 => $"AES-GCM-{bits} with 16 octet ICV [RFC5282]",
            EncryptionAlgorithm.AesCbc => $"AES-CBC-{bits} [RFC3602]",
            _ => null,
        };
        var integrity = suite.Integrity?.Algorithm switch
        {
            null => "NONE [RFC4306]",
            IntegrityAlgorithm.HmacSha1_96 => "HMAC_SHA1_96 [RFC2404]",
            IntegrityAlgorithm.HmacSha2_256_128 => "HMAC_SHA2_256_128 [RFC4868]",
            IntegrityAlgorithm.HmacSha2_384_192 => "HMAC_SHA2_384_192 [RFC4868]",
            IntegrityAlgorithm.HmacSha2_512_256 => "HMAC_SHA2_512_256 [RFC4868]",
            _ => null,
        };
        if (encryption is null || integrity is null)
            return null;
        // SPIs and keys are byte fields, written as bare hex; the algorithms are quoted strings.
        return string.Join(',', $"{initiatorSpi:x16}", $"{responderSpi:x16}", Hex(skEi), Hex(skEr), Quote(encryption), Hex(skAi), Hex(skAr), Quote(integrity));
    }

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    private static string PrefixedHex(ReadOnlySpan<byte> bytes) => bytes.IsEmpty ? "" : "0x" + Hex(bytes);

    private static string Quote(string text) => $"\"{text}\"";

    /// <summary>Any address is Wireshark's wildcard; IPv6 fully written out, which its address parser reads without fail.</summary>
    private static string Address(IPAddress address)
    {
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
            return "*";
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
            return address.ToString();
        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out _);
        var groups = new string[8];
        for (var g = 0; g < 8; g++)
            groups[g] = Convert.ToHexStringLower(b.Slice(2 * g, 2));
        return string.Join(':', groups);
    }

    // ---- the files ----

    private void WriteEsp()
    {
        var lines = _esp.OrderBy(e => e.Value.Order).Select(e => EspLine(e.Value.Source, e.Value.Destination, e.Key.Spi, e.Value.Algorithms));
        Write(EspFileName, "ESP SAs (Wireshark: Preferences, Protocols, ESP)", lines);
    }

    private void WriteIke() =>
        Write(IkeFileName, "IKEv2 SAs (Wireshark: Preferences, Protocols, ISAKMP)", _ike.Values.OrderBy(v => v.Order).Select(v => v.Line));

    /// <summary>Writes a table whole: a fresh 0600 temporary file beside it, renamed over it.</summary>
    private void Write(string name, string what, IEnumerable<string> lines)
    {
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("gateway.wireshark_keys: the key files need Unix file modes");
        var path = Path.Combine(Directory, name);
        var temporary = Path.Combine(Directory, $".{name}.tmp");
        var text = new StringBuilder()
            .Append("# ").Append(what).Append(" up now in s2s, written by gateway.wireshark_keys; s2s rewrites this file.\n");
        foreach (var line in lines)
            text.Append(line).Append('\n');
        File.Delete(temporary);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = OwnerOnly };
        using (var stream = new FileStream(temporary, options))
        {
            stream.Write(Encoding.ASCII.GetBytes(text.ToString()));
            stream.Flush(flushToDisk: false);
        }
        File.Move(temporary, path, overwrite: true);
    }

    private void Save(Action write)
    {
        try
        {
            write();
            if (_failing)
                Log.WritesResumed(_log, Directory);
            _failing = false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Once per run of failures: the next change tries again and says when it worked.
            if (!_failing)
                Log.WriteFailed(_log, Directory, e.Message);
            _failing = true;
        }
    }

    private void LeftOut(string transform)
    {
        if (_leftOut.Add(transform))
            Log.LeftOut(_log, transform, Directory);
    }

    private static partial class Log
    {
        [LoggerMessage(3106, LogLevel.Warning, "writing IKE and ESP keys to {Directory} for Wireshark: anyone who can read them can decrypt this gateway's traffic")]
        public static partial void KeysOn(ILogger logger, string directory);

        [LoggerMessage(3107, LogLevel.Warning, "gateway.wireshark_keys: cannot write the key files in {Directory}: {Reason}; the tunnels carry on, the next change tries again")]
        public static partial void WriteFailed(ILogger logger, string directory, string reason);

        [LoggerMessage(3108, LogLevel.Information, "gateway.wireshark_keys: the key files in {Directory} are written again")]
        public static partial void WritesResumed(ILogger logger, string directory);

        [LoggerMessage(3109, LogLevel.Information, "gateway.wireshark_keys: {Transform} SAs are left out of the files in {Directory}: Wireshark 4.0 cannot decrypt them and would refuse the whole table")]
        public static partial void LeftOut(ILogger logger, string transform, string directory);
    }
}
