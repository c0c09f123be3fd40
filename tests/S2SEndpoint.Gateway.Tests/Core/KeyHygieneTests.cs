using System.Net;
using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Policy;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway.Tests.Core;

/// <summary>ESP keys live in the ESP SAs only: the engine's copies are zeroed once installed, and reserved SPIs never get that far.</summary>
public sealed class KeyHygieneTests
{
    [Fact]
    public void Install_ZeroesTheEnginesKeyCopies_AndThePacketsStillCross()
    {
        var p = InProcessGatewayTests.PolicyBased();
        p.A.Start();
        p.Pump();

        foreach (var core in new[] { p.A, p.B })
        {
            var installed = Assert.Single(core.Kernel.All).Install;
            Assert.All([installed.InboundEncryptionKey, installed.OutboundEncryptionKey], k => Assert.True(k.Length > 0 && k.All(b => b == 0)));
        }
        InProcessGatewayTests.Pair.Inject(p.A, "s2s0", InProcessGatewayTests.Ping("10.1.0.5", "10.2.0.7"));
        p.Pump();
        Assert.Single(p.IoB.Tun);
    }

    [Theory]
    [InlineData(0u, 0x1000u)]
    [InlineData(0x1000u, 255u)]
    public void Install_ReservedSpi_IsRefusedBeforeAnySaIsMade(uint inbound, uint outbound)
    {
        Assert.True(ProposalKeywords.TryParse("aes256gcm16", ProtocolId.Esp, out var proposal, out var error), error);
        Assert.True(ChildSuite.TryFromProposal(proposal, out var suite, out error), error);
        var table = new SaTable();
        var kernel = new EspKernel(table, new SeededRandom(1), new FakeClock(), 1024);
        var key = Enumerable.Repeat((byte)0x5a, 36).ToArray();
        var install = new ChildSaInstall("c", "net", 1, inbound, outbound, suite, [.. key], [], [.. key], [], [], [],
            new IPEndPoint(IPAddress.Loopback, 4500), new IPEndPoint(IPAddress.Loopback, 4500), true, 0, 0);

        Assert.Throws<ArgumentException>(() => kernel.Install(install));

        Assert.Empty(kernel.All);
        Assert.False(table.TryGetInbound(inbound, out _));
    }
}
