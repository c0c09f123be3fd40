using System.Globalization;

namespace S2SEndpoint.Ike.Tests.Support;

/// <summary>
/// One strongSwan 5.9.8 capture from Golden/strongswan-5.9.8 (made by interop/golden/capture.sh): the
/// datagrams both peers sent, in order, and the keys charon printed at log level 4.
/// </summary>
internal sealed class GoldenCase
{
    private readonly Dictionary<string, string> _values;

    private GoldenCase(string name, Dictionary<string, string> values)
    {
        Name = name;
        _values = values;
    }

    public string Name { get; }

    public static IReadOnlyList<string> Names { get; } =
    [
        "ike-aes256-sha256-modp2048",
        "ike-aes128-sha1-modp1024",
        "ike-aes256gcm16-prfsha384-ecp384",
        "ike-chacha20poly1305-prfsha256-x25519",
        "rekey-aes256-sha256-modp2048",
    ];

    public static TheoryData<string> All => new(Names);

    public static GoldenCase Load(string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Golden", "strongswan-5.9.8", name + ".txt");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(path))
        {
            if (line.Length == 0 || line[0] == '#')
                continue;
            var eq = line.IndexOf(" = ", StringComparison.Ordinal);
            if (eq > 0)
                values[line[..eq]] = line[(eq + 3)..];
        }
        return new GoldenCase(name, values);
    }

    public string Text(string key) => _values.TryGetValue(key, out var v) ? v : throw new KeyNotFoundException($"{Name}: no '{key}'");

    public bool Has(string key) => _values.ContainsKey(key);

    public byte[] Bytes(string key) => Convert.FromHexString(Text(key));

    public int MessageCount => int.Parse(Text("msg_count"), CultureInfo.InvariantCulture);

    /// <summary>Datagram N as an IKE message: the non-ESP marker of port 4500 removed.</summary>
    public byte[] Message(int n)
    {
        var bytes = Bytes($"msg.{n}.hex");
        return Text($"msg.{n}.nonesp_marker") == "true" ? bytes[4..] : bytes;
    }

    public bool FromInitiator(int n) => Text($"msg.{n}.dir") == "i2r";
}
