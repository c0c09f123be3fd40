using System.Net;
using S2SEndpoint.Gateway.Tun;

namespace S2SEndpoint.Gateway.Tests.Tun;

/// <summary>A caller's mistake is refused before any system call, with one sentence naming the value.</summary>
public sealed class BadInputTests
{
    [Theory]
    [InlineData("s2s-much-too-long0", "it has 18 characters, more than 15")]
    [InlineData("", "it is empty")]
    [InlineData("s2s 0", "character 4 is not printable ASCII")]
    [InlineData("s2s/0", "it contains '/'")]
    [InlineData("s2s:0", "it contains ':'")]
    [InlineData("..", "it names a directory")]
    [InlineData("s2s%d%d", "'%' may only stand once, as \"%d\"")]
    [InlineData("s2s%s", "'%' may only stand once, as \"%d\"")]
    [InlineData("tün0", "character 2 is not printable ASCII")]
    public void Open_BadName_NamesTheValueAndTheProblem(string name, string problem)
    {
        var e = Assert.Throws<ArgumentException>(() => TunDevice.Open(name));

        Assert.StartsWith($"Interface name \"{name}\" is not valid: {problem}.", e.Message, StringComparison.Ordinal);
        Assert.Equal("name", e.ParamName);
    }

    [Fact]
    public void Open_FifteenCharacters_PassesTheNameCheck()
    {
        InterfaceName.Validate("s2s-fifteen-chr", "name", allowPattern: false);
        InterfaceName.Validate("s2s%d", "name", allowPattern: true);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(257)]
    public void Open_BadQueueCount_NamesTheValue(int queues)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => TunDevice.Open("s2s%d", queues));

        Assert.Contains($"1 to 256 queues, not {queues}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LinkConfigurator_LongOrPatternName_NamesTheValue()
    {
        var e = Assert.Throws<ArgumentException>(() => new LinkConfigurator("s2s-much-too-long0"));
        Assert.StartsWith("Interface name \"s2s-much-too-long0\" is not valid: it has 18 characters", e.Message, StringComparison.Ordinal);

        e = Assert.Throws<ArgumentException>(() => new LinkConfigurator("s2s%d"));
        Assert.StartsWith("Interface name \"s2s%d\" is not valid: it contains '%'", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("a/b")]
    [InlineData("two words")]
    public void LinkConfigurator_BadNamespace_NamesTheValue(string ns)
    {
        var e = Assert.Throws<ArgumentException>(() => new LinkConfigurator("s2s0", ns));

        Assert.StartsWith($"Network namespace \"{ns}\" is not valid", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(67)]
    [InlineData(65536)]
    public void SetMtu_OutOfRange_NamesTheValue(int mtu)
    {
        using var link = new LinkConfigurator("s2s0", null, _ => throw new InvalidOperationException("ip must not run"));

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => link.SetMtu(mtu));

        Assert.StartsWith($"MTU {mtu} is not valid: it is 68 to 65535 octets", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("10.99.0.1", 33, "Prefix length 33 for 10.99.0.1 is not valid: it is 0 to 32.")]
    [InlineData("fd00:99::1", 129, "Prefix length 129 for fd00:99::1 is not valid: it is 0 to 128.")]
    [InlineData("10.99.0.1", -1, "Prefix length -1 for 10.99.0.1 is not valid: it is 0 to 32.")]
    public void AddAddress_BadPrefixLength_NamesTheValue(string address, int prefixLength, string message)
    {
        using var link = new LinkConfigurator("s2s0", null, _ => throw new InvalidOperationException("ip must not run"));

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => link.AddAddress(IPAddress.Parse(address), prefixLength));

        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddAddress_WithAZone_NamesTheValue()
    {
        using var link = new LinkConfigurator("s2s0", null, _ => throw new InvalidOperationException("ip must not run"));

        var e = Assert.Throws<ArgumentException>(() => link.AddAddress(IPAddress.Parse("fe80::1%2"), 64));

        Assert.StartsWith("Address fe80::1%2 is not valid for an interface", e.Message, StringComparison.Ordinal);
    }
}
