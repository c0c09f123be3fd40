using System.Net;
using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Policy;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway.Tests.Policy;

/// <summary>
/// Which of a child's SAs carries its outbound traffic when a second one comes. The responder of a make-before-break
/// reauthentication installs the new SA before the initiator can (the initiator needs our IKE_AUTH response first):
/// a packet sealed with it at once could reach the peer before its SA and be lost, so the old one carries the traffic
/// until it goes, the peer sends on the new one, or <see cref="EspKernel.PeerInstallHold"/> has passed.
/// </summary>
public sealed class EspKernelOutboundTests
{
    private readonly FakeClock _clock = new();
    private readonly EspKernel _kernel;

    public EspKernelOutboundTests() => _kernel = new EspKernel(new SaTable(), new SeededRandom(1), _clock, 1024);

    [Fact]
    public void ResponderNewSa_OfAChildWithAnSa_IsHeldUntilTheOldOneGoes()
    {
        _kernel.Install(Install(0x1001, 0x2001, byResponder: false));
        _kernel.Install(Install(0x1002, 0x2002, byResponder: true));
        Assert.Equal(0x2001u, Outbound());

        _kernel.Remove(0x1001, 0x2001);

        Assert.Equal(0x2002u, Outbound());
    }

    [Fact]
    public void ResponderNewSa_HeldSa_CarriesTheTrafficAfterTheHold()
    {
        _kernel.Install(Install(0x1001, 0x2001, byResponder: false));
        _kernel.Install(Install(0x1002, 0x2002, byResponder: true));
        _kernel.TakeChanges();

        _clock.Advance(EspKernel.PeerInstallHold - TimeSpan.FromMilliseconds(1));
        _kernel.PollUsage();
        Assert.Equal(0x2001u, Outbound());
        Assert.Empty(_kernel.TakeChanges());

        _clock.Advance(TimeSpan.FromMilliseconds(1));
        _kernel.PollUsage();
        Assert.Equal(0x2002u, Outbound());
        Assert.Equal(KernelChangeKind.OutboundActivated, Assert.Single(_kernel.TakeChanges()).Kind);
    }

    [Fact]
    public void ResponderNewSa_OfAChildWithout_CarriesTheTrafficAtOnce()
    {
        _kernel.Install(Install(0x1002, 0x2002, byResponder: true));

        Assert.Equal(0x2002u, Outbound());
    }

    [Fact]
    public void InitiatorNewSa_CarriesTheTrafficAtOnce()
    {
        _kernel.Install(Install(0x1001, 0x2001, byResponder: true));
        _kernel.Install(Install(0x1002, 0x2002, byResponder: false));

        Assert.Equal(0x2002u, Outbound());
    }

    [Fact]
    public void HeldSa_ANewerSaChosenMeanwhile_KeepsTheNewer()
    {
        _kernel.Install(Install(0x1001, 0x2001, byResponder: false));
        _kernel.Install(Install(0x1002, 0x2002, byResponder: true));
        _kernel.Install(Install(0x1003, 0x2003, byResponder: false));

        _clock.Advance(EspKernel.PeerInstallHold);
        _kernel.PollUsage();

        Assert.Equal(0x2003u, Outbound());
    }

    private uint Outbound()
    {
        var reqId = Assert.Single(_kernel.All.Select(i => i.ReqId).Distinct());
        Assert.True(_kernel.TryGetOutbound(reqId, out var chosen));
        Assert.Single(_kernel.All, i => i.OutboundActive);
        return chosen.Install.OutboundSpi;
    }

    private static ChildSaInstall Install(uint inbound, uint outbound, bool byResponder)
    {
        Assert.True(ProposalKeywords.TryParse("aes256gcm16", ProtocolId.Esp, out var proposal, out var error), error);
        Assert.True(ChildSuite.TryFromProposal(proposal, out var suite, out error), error);
        var key = Enumerable.Repeat((byte)0x5a, 36).ToArray();
        return new ChildSaInstall("c", "net", inbound, inbound, outbound, suite, [.. key], [], [.. key], [], [], [],
            new IPEndPoint(IPAddress.Loopback, 4500), new IPEndPoint(IPAddress.Loopback, 4500), true, 0, 0)
        {
            InstalledByResponder = byResponder,
        };
    }
}
