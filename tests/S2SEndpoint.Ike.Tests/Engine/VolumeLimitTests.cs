using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Tests.Engine;

/// <summary>Soft and hard byte and packet limits of Child SAs, read from the data plane's counters.</summary>
public sealed class VolumeLimitTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void SoftLimit_Reached_ChildIsRekeyed(bool bytes)
    {
        var h = new EngineHarness(a => a with
        {
            Children = [a.Children[0] with { RekeyBytes = bytes ? 1_000_000UL : 0, RekeyPackets = bytes ? 0 : 1000UL }],
        });
        h.Establish();
        var first = h.A.Kernel.Installed[0];
        h.A.Kernel.Usage[first.InboundSpi] = bytes ? new ChildSaUsage(0, 0, 1_000_000, 700, null) : new ChildSaUsage(10_000, 1000, 0, 0, null);
        h.Run(TimeSpan.FromSeconds(6));
        var current = Assert.Single(h.A.Kernel.Active);
        Assert.NotEqual(first.InboundSpi, current.InboundSpi);
        h.AssertEstablished();
    }

    [Fact]
    public void HardLimit_Reached_ChildIsClosed()
    {
        var h = new EngineHarness(a => a with { Children = [a.Children[0] with { LifeBytes = 5_000_000 }] });
        h.Establish();
        var first = h.A.Kernel.Installed[0];
        Assert.Equal(5_000_000UL, first.LifeBytes);
        h.A.Kernel.Usage[first.InboundSpi] = new ChildSaUsage(5_000_000, 4000, 0, 0, null);
        h.Run(TimeSpan.FromSeconds(6));
        Assert.Empty(h.A.Kernel.Active);
        Assert.Empty(h.B.Kernel.Active);
        Assert.NotNull(h.A.Established);
    }

    [Fact]
    public void BelowLimits_NothingHappens()
    {
        var h = new EngineHarness(a => a with { Children = [a.Children[0] with { RekeyBytes = 1_000_000, LifeBytes = 2_000_000 }] });
        h.Establish();
        h.Net.Wire.Clear();
        h.A.Kernel.Usage[h.A.Kernel.Installed[0].InboundSpi] = new ChildSaUsage(999_999, 10, 0, 0, null);
        h.Run(TimeSpan.FromSeconds(30));
        Assert.Empty(h.Net.Wire);
    }

    // RFC 4303 3.3.3: a sequence number never cycles. The data plane says when its outbound counter nears its end
    // (2^32 without ESN, 2^64 with) and when it is spent; no byte or packet limit need be configured for that.

    [Theory]
    [InlineData("aes256gcm16")]
    [InlineData("aes256gcm16-esn")]
    public void SequenceNumbersNearTheirEnd_ChildIsRekeyed(string esp)
    {
        var h = new EngineHarness(a => a with { Children = [a.Children[0] with { EspProposals = EngineHarness.Esp(esp) }] },
            b => b with { Children = [b.Children[0] with { EspProposals = EngineHarness.Esp(esp) }] });
        h.Establish();
        var first = h.A.Kernel.Installed[0];
        h.A.Kernel.Usage[first.InboundSpi] = new ChildSaUsage(0, 0, 1_000_000, 4_026_531_840, null, RekeyNeeded: true);

        h.Run(TimeSpan.FromSeconds(6));

        var current = Assert.Single(h.A.Kernel.Active);
        Assert.NotEqual(first.InboundSpi, current.InboundSpi);
        h.AssertEstablished();
    }

    [Fact]
    public void SequenceNumbersSpent_ChildIsClosed()
    {
        var h = new EngineHarness();
        h.Establish();
        var first = h.A.Kernel.Installed[0];
        h.A.Kernel.Usage[first.InboundSpi] = new ChildSaUsage(0, 0, 1, uint.MaxValue, null, RekeyNeeded: true, Exhausted: true);

        h.Run(TimeSpan.FromSeconds(6));

        Assert.Empty(h.A.Kernel.Active);
        Assert.Empty(h.B.Kernel.Active);
        Assert.NotNull(h.A.Established);
    }
}
