using S2SEndpoint.Ike.Exchanges;

namespace S2SEndpoint.Ike.Tests.Exchanges;

/// <summary>
/// RFC 7296 2.8.1: of two crossing rekeys, "the SA created with the lowest of the four nonces used in the two
/// exchanges is redundant"; nonces compare as unsigned octet strings, a prefix before a longer string.
/// </summary>
public sealed class CollisionRuleTests
{
    private static byte[] N(params byte[] octets) => octets;

    [Theory]
    [InlineData(new byte[] { 0x01 }, new byte[] { 0x90 }, new byte[] { 0x50 }, new byte[] { 0x60 }, true)]
    [InlineData(new byte[] { 0x90 }, new byte[] { 0x02 }, new byte[] { 0x50 }, new byte[] { 0x60 }, true)]
    [InlineData(new byte[] { 0x50 }, new byte[] { 0x60 }, new byte[] { 0x90 }, new byte[] { 0x01 }, false)]
    [InlineData(new byte[] { 0x7f }, new byte[] { 0xff }, new byte[] { 0x80 }, new byte[] { 0xff }, true)]
    [InlineData(new byte[] { 0xff, 0x00 }, new byte[] { 0xff, 0xff }, new byte[] { 0x00, 0x01 }, new byte[] { 0xff, 0xff }, false)]
    public void OursIsRedundant_TheLowestOfTheFourNoncesDecides(byte[] ourNi, byte[] ourNr, byte[] theirNi, byte[] theirNr, bool oursRedundant) =>
        Assert.Equal(oursRedundant, CollisionRule.OursIsRedundant(ourNi, ourNr, theirNi, theirNr));

    [Fact]
    public void OursIsRedundant_APrefixIsLowerThanTheLongerNonce()
    {
        Assert.True(CollisionRule.OursIsRedundant(N(0x10, 0x20), N(0xf0), N(0x10, 0x20, 0x00), N(0xf0)));
        Assert.False(CollisionRule.OursIsRedundant(N(0x10, 0x20, 0x00), N(0xf0), N(0x10, 0x20), N(0xf0)));
    }
}
