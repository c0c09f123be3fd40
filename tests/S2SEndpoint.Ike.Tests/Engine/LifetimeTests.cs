using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Tests.Engine;

/// <summary>
/// rekey_time = 0 as swanctl.conf has it: no rekeying, and (without a life_time) no hard lifetime either,
/// since the hard lifetime defaults to rekey_time plus 10%.
/// </summary>
public sealed class LifetimeTests
{
    private static IkeSaConfig NoRekey(IkeSaConfig c, TimeSpan childLife) => c with
    {
        RekeyTime = TimeSpan.Zero,
        RandTime = TimeSpan.Zero,
        Children = [c.Children[0] with { RekeyTime = TimeSpan.Zero, RandTime = TimeSpan.Zero, LifeTime = childLife }],
    };

    [Fact]
    public void RekeyTimeZero_NoLifeTime_SasStayWithoutRekeyOrExpiry()
    {
        var h = new EngineHarness(a => NoRekey(a, TimeSpan.Zero), b => NoRekey(b, TimeSpan.Zero));
        h.Establish();
        var ike = h.A.Established!;
        var child = Assert.Single(ike.Children);
        Assert.Equal((DateTimeOffset.MaxValue, DateTimeOffset.MaxValue), (ike.RekeyAt, ike.ExpireAt));
        Assert.Equal((DateTimeOffset.MaxValue, DateTimeOffset.MaxValue), (child.RekeyAt, child.ExpireAt));

        h.Run(TimeSpan.FromDays(30));
        h.Advance(TimeSpan.FromSeconds(1));

        h.AssertEstablished();
        Assert.Same(ike, h.A.Established);
        Assert.Same(child, Assert.Single(h.A.Established!.Children));
        Assert.Empty(h.A.Kernel.Removed);
        Assert.Empty(h.B.Kernel.Removed);
    }

    [Fact]
    public void RekeyTimeZero_ChildLifeTime_ChildClosedAtItsLifeTimeAndNeverRekeyed()
    {
        var h = new EngineHarness(a => NoRekey(a, TimeSpan.FromHours(2)), b => NoRekey(b, TimeSpan.Zero));
        h.Establish();
        var installed = h.A.Kernel.Installed.Count;

        h.Run(TimeSpan.FromHours(2) - TimeSpan.FromSeconds(1));
        Assert.Single(h.A.Established!.Children);
        h.Run(TimeSpan.FromSeconds(2));

        Assert.Empty(h.A.Established!.Children);
        Assert.Empty(h.B.Established!.Children);
        Assert.Equal(installed, h.A.Kernel.Installed.Count);
    }
}
