using S2SEndpoint.Gateway.Config;

namespace S2SEndpoint.Gateway.Tests.Config;

/// <summary>
/// children.NAME.mss_clamp: a whole number from 536 to 65495 is the child's TCP MSS maximum; 0 or no key turns the clamp
/// off; anything else is refused with one line naming the key, the value and what is valid.
/// </summary>
public sealed class MssClampConfigTests
{
    private const string Key = "connections.a.children.net.mss_clamp";
    private const string Valid = "is not a whole number from 536 to 65495, nor 0 (off); Azure asks for 1350";

    /// <summary>A connection with one child; <paramref name="mss"/> is the JSON text of its mss_clamp, or no key when null.</summary>
    private static string WithMssClamp(string? mss) => $$"""
        {
          "connections": {
            "a": {
              "local_addrs": "192.0.2.1", "remote_addrs": "192.0.2.2",
              "local": { "auth": "psk", "id": "moon" }, "remote": { "auth": "psk", "id": "sun" },
              "children": { "net": { "local_ts": "10.1.0.0/24", "remote_ts": "10.2.0.0/24" {{(mss is null ? "" : $", \"mss_clamp\": {mss}")}} } }
            }
          },
          "secrets": { "ike-a": { "id": "sun", "secret": "a-pre-shared-key-of-26-chars" } }
        }
        """;

    private static int Loaded(string? mss)
    {
        Assert.True(ConfigLoader.TryParse(WithMssClamp(mss), ".", out var config, out var problems), string.Join('\n', problems));
        return Assert.Single(config.Routing).MssClamp;
    }

    private static string Problem(string mss)
    {
        Assert.False(ConfigLoader.TryParse(WithMssClamp(mss), ".", out _, out var problems));
        return Assert.Single(problems);
    }

    [Theory]
    [InlineData("1350", 1350)]
    [InlineData("\"1350\"", 1350)]
    [InlineData("536", 536)]
    [InlineData("65495", 65495)]
    [InlineData("0", 0)]
    [InlineData("\"0\"", 0)]
    [InlineData(null, 0)]
    public void TryParse_MssClamp_ValidValuesAndOff(string? mss, int expected) => Assert.Equal(expected, Loaded(mss));

    [Theory]
    [InlineData("535", "535")]
    [InlineData("65496", "65496")]
    [InlineData("-1", "-1")]
    [InlineData("1350.5", "1350.5")]
    [InlineData("\"1350 bytes\"", "1350 bytes")]
    [InlineData("true", "true")]
    public void TryParse_MssClampOutOfRangeOrNotANumber_OneLineNamingTheKey(string mss, string shown) =>
        Assert.Equal($"{Key}: '{shown}' {Valid}", Problem(mss));

    [Fact]
    public void TryParse_MssClampNotAValue_OneLine() => Assert.Equal($"{Key}: must be a string", Problem("{ \"value\": 1350 }"));

    [Fact]
    public void Between_AnotherMssClamp_ChangesTheConnection()
    {
        Assert.True(ConfigLoader.TryParse(WithMssClamp("1350"), ".", out var before, out _));
        Assert.True(ConfigLoader.TryParse(WithMssClamp("1400"), ".", out var after, out _));

        Assert.Equal(["a"], ConfigDiff.Between(before, after).Changed);
        Assert.True(ConfigDiff.Between(before, before).IsEmpty);
    }
}
