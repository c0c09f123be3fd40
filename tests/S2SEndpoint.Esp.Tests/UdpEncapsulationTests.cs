namespace S2SEndpoint.Esp.Tests;

/// <summary>RFC 3948 demultiplexing of port 4500: NAT-keepalive, IKE behind the non-ESP marker, ESP.</summary>
public sealed class UdpEncapsulationTests
{
    [Theory]
    [InlineData("ff", UdpPayloadKind.NatKeepalive)]
    [InlineData("00", UdpPayloadKind.Malformed)]
    [InlineData("", UdpPayloadKind.Malformed)]
    [InlineData("fffe", UdpPayloadKind.Malformed)]
    [InlineData("000000", UdpPayloadKind.Malformed)]
    [InlineData("00000000", UdpPayloadKind.Malformed)]
    [InlineData("00000000c0c1c2c3c4c5c6c7d0d1d2d3d4d5d6d72e20250000000009", UdpPayloadKind.Ike)]
    [InlineData("0000000100000001", UdpPayloadKind.Esp)]
    [InlineData("c0ffee0100000001aabbccdd", UdpPayloadKind.Esp)]
    [InlineData("c0ffee01000000", UdpPayloadKind.Malformed)]
    public void Classify_Payload_SaysWhatItCarries(string hex, UdpPayloadKind expected) =>
        Assert.Equal(expected, UdpEncapsulation.Classify(Convert.FromHexString(hex)));

    [Fact]
    public void NatKeepalive_IsTheSingleOctetFF()
    {
        Assert.Equal(new byte[] { 0xFF }, UdpEncapsulation.NatKeepalive.ToArray());
        Assert.Equal(4500, UdpEncapsulation.Port);
    }
}
