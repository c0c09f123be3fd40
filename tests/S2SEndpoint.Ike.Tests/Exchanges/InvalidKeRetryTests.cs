using System.Net;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Exchanges;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Tests.Exchanges;

/// <summary>
/// The INVALID_KE_PAYLOAD answer and retry that IKE_SA_INIT, CREATE_CHILD_SA with PFS and the IKE SA rekey share
/// (RFC 7296 1.2, 3.10.1): two octets of group number, big endian; the initiator follows only a group it offered.
/// </summary>
public sealed class InvalidKeRetryTests
{
    private static readonly IReadOnlyList<Proposal> Offered = Parse("aes256-sha256-ecp256-modp2048");

    private static IReadOnlyList<Proposal> Parse(string text)
    {
        Assert.True(ProposalKeywords.TryParseList(text, ProtocolId.Ike, out var proposals, out var error), error);
        return proposals;
    }

    private static IncomingMessage Response(params NotifyPayload[] notifies)
    {
        var header = new IkeHeader(1, 2, PayloadType.Notify, ExchangeType.CreateChildSa, HeaderFlags.Response, 1, 0);
        var endpoint = new IPEndPoint(IPAddress.Loopback, 500);
        return new IncomingMessage(header, notifies, ReadOnlyMemory<byte>.Empty, endpoint, endpoint);
    }

    private static NotifyPayload InvalidKe(params byte[] data) => NotifyPayload.Status(NotifyType.InvalidKePayload, data);

    [Fact]
    public void MustRefuse_AnotherGroup_NamesTheSelectedOneInTwoOctetsBigEndian()
    {
        Assert.True(InvalidKeRetry.MustRefuse(new KeyExchangePayload((ushort)KeyExchangeMethod.Modp2048, new byte[256]), KeyExchangeMethod.Ecp256, out var data));
        Assert.Equal(new byte[] { 0, 19 }, data);
    }

    [Fact]
    public void MustRefuse_NoKePayload_NamesTheSelectedGroup()
    {
        Assert.True(InvalidKeRetry.MustRefuse(null, KeyExchangeMethod.Modp2048, out var data));
        Assert.Equal(new byte[] { 0, 14 }, data);
    }

    [Fact]
    public void MustRefuse_TheSelectedGroup_Accepts()
    {
        Assert.False(InvalidKeRetry.MustRefuse(new KeyExchangePayload((ushort)KeyExchangeMethod.Ecp256, new byte[64]), KeyExchangeMethod.Ecp256, out var data));
        Assert.Empty(data);
    }

    [Fact]
    public void TryFollow_AnOfferedGroup_SwitchesTheKeyExchange()
    {
        KeyExchange? ke = KeyExchange.Create(KeyExchangeMethod.Ecp256, new SeededRandom(1));
        Assert.True(InvalidKeRetry.TryFollow(Response(InvalidKe(0, 14)), Offered, ref ke, new SeededRandom(2)));
        Assert.Equal(KeyExchangeMethod.Modp2048, ke!.Method);
        ke.Dispose();
    }

    [Theory]
    [InlineData(new byte[] { 0, 19 })]     // the group just sent: following it would loop
    [InlineData(new byte[] { 0, 20 })]     // not offered
    [InlineData(new byte[] { 14 })]        // not two octets
    [InlineData(new byte[] { 0, 0, 14 })]
    public void TryFollow_NotAGroupToSwitchTo_KeepsTheKeyExchange(byte[] data)
    {
        KeyExchange? ke = KeyExchange.Create(KeyExchangeMethod.Ecp256, new SeededRandom(1));
        var before = ke;
        Assert.False(InvalidKeRetry.TryFollow(Response(InvalidKe(data)), Offered, ref ke, new SeededRandom(2)));
        Assert.Same(before, ke);
        ke!.Dispose();
    }

    [Fact]
    public void TryFollow_NoInvalidKeNotify_KeepsTheKeyExchange()
    {
        KeyExchange? ke = null;
        Assert.False(InvalidKeRetry.TryFollow(Response(NotifyPayload.Status(NotifyType.TemporaryFailure)), Offered, ref ke, new SeededRandom(2)));
        Assert.Null(ke);
    }

    [Theory]
    [InlineData(new byte[] { 0, 20 }, 20)]
    [InlineData(new byte[] { 1 }, 0)]
    public void RequestedGroup_ReadsTwoOctetsOrNone(byte[] data, int group) =>
        Assert.Equal(group, InvalidKeRetry.RequestedGroup(InvalidKe(data)));
}
