using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway.Tests.Core;

/// <summary>
/// Carrier follows the child: a route-based child's tunnel device has carrier while the child has a Child SA installed
/// and none while it has none, told by the control plane after it applied the kernel's changes, so that a routing daemon
/// and the kernel turn to another tunnel at once. The shared device of policy-based children is never told.
/// </summary>
public sealed class CarrierTests
{
    private static InProcessGatewayTests.Pair RouteBased(string childTimes = "") => new(
        InProcessGatewayTests.Config("moon", "192.0.2.1", "192.0.2.2", "moon", "sun",
            $$""" "vti": { "interface": "vti-a", "routes": "10.2.0.0/16 metric 100", {{childTimes}} "esp_proposals": "aes256gcm16", "start_action": "START" } """, "none"),
        InProcessGatewayTests.Config("sun", "192.0.2.2", "192.0.2.1", "sun", "moon",
            $$""" "vti": { "interface": "vti-b", "routes": "10.1.0.0/16", {{childTimes}} "esp_proposals": "aes256gcm16", "start_action": "START" } """, "none"));

    [Fact]
    public void Carrier_UpWhenTheChildInstalls_DownWhenItIsDeleted_UpAgainWhenReestablished()
    {
        var p = RouteBased();
        Assert.Empty(p.IoA.CarrierChanges);

        p.A.Initiate("moon");
        p.Pump();
        Assert.Equal([("vti-a", true)], p.IoA.CarrierChanges);
        Assert.Equal([("vti-b", true)], p.IoB.CarrierChanges);

        p.A.Terminate("moon", "vti");
        p.Pump();
        Assert.Single(p.A.Engine.Sas, s => s.State == IkeSaState.Established);
        Assert.Equal([("vti-a", true), ("vti-a", false)], p.IoA.CarrierChanges);
        Assert.Equal([("vti-b", true), ("vti-b", false)], p.IoB.CarrierChanges);

        p.A.Initiate("moon", "vti");
        p.Pump();
        Assert.Equal([("vti-a", true), ("vti-a", false), ("vti-a", true)], p.IoA.CarrierChanges);
        Assert.True(p.IoB.HasCarrier("vti-b"));
    }

    [Fact]
    public void Carrier_TrappedChild_HasCarrierBeforeItsFirstSa_SoThatItsTrafficCanBringTheTunnelUp()
    {
        var p = new InProcessGatewayTests.Pair(
            InProcessGatewayTests.Config("moon", "192.0.2.1", "192.0.2.2", "moon", "sun",
                """ "vti": { "interface": "vti-a", "routes": "10.2.0.0/16", "esp_proposals": "aes256gcm16", "start_action": "START" } """, "trap"),
            InProcessGatewayTests.Config("sun", "192.0.2.2", "192.0.2.1", "sun", "moon",
                """ "vti": { "interface": "vti-b", "routes": "10.1.0.0/16", "esp_proposals": "aes256gcm16", "start_action": "START" } """, "none"));
        Assert.Equal([("vti-a", true)], p.IoA.CarrierChanges);
        Assert.Empty(p.IoB.CarrierChanges);

        InProcessGatewayTests.Pair.Inject(p.A, "vti-a", InProcessGatewayTests.Ping("10.1.0.5", "10.2.0.7"));
        p.Pump();
        Assert.Single(p.IoB.Tun);
        Assert.Equal([("vti-a", true)], p.IoA.CarrierChanges);
        Assert.Equal([("vti-b", true)], p.IoB.CarrierChanges);
    }

    [Fact]
    public void Carrier_DownWhenTheChildExpires_UpAgainWhenReestablished()
    {
        // rekey_time 0: no rekey, so the Child SA goes at its life_time.
        var p = RouteBased(""" "rekey_time": "0", "life_time": "10m", """);
        p.A.Initiate("moon");
        p.Pump();
        Assert.True(p.IoA.HasCarrier("vti-a"));

        for (var i = 0; i < 11; i++)
        {
            p.Clock.Advance(TimeSpan.FromMinutes(1));
            p.A.OnTimer();
            p.B.OnTimer();
            p.Pump();
        }

        Assert.False(p.IoA.HasCarrier("vti-a"));
        Assert.False(p.IoB.HasCarrier("vti-b"));
        Assert.Empty(p.A.Kernel.All);

        p.A.Initiate("moon", "vti");
        p.Pump();
        Assert.True(p.IoA.HasCarrier("vti-a"));
        Assert.True(p.IoB.HasCarrier("vti-b"));
    }

    [Fact]
    public void Carrier_StaysUpAcrossAChildRekey()
    {
        var p = RouteBased();
        p.A.Initiate("moon");
        p.Pump();
        var before = Assert.Single(p.A.Kernel.All).Install.InboundSpi;

        p.RekeyChildOnA("moon", "vti");

        Assert.NotEqual(before, Assert.Single(p.A.Kernel.All).Install.InboundSpi);
        Assert.Equal([("vti-a", true)], p.IoA.CarrierChanges);
        Assert.Equal([("vti-b", true)], p.IoB.CarrierChanges);
    }

    [Fact]
    public void Carrier_DownWhenTheIkeSaGoes_WithItsChild()
    {
        var p = RouteBased();
        p.A.Initiate("moon");
        p.Pump();

        p.B.Terminate("sun");
        p.Pump();

        Assert.DoesNotContain(p.A.Engine.Sas, s => s.State != IkeSaState.Destroyed);
        Assert.Equal([("vti-a", true), ("vti-a", false)], p.IoA.CarrierChanges);
        Assert.Equal([("vti-b", true), ("vti-b", false)], p.IoB.CarrierChanges);
    }

    [Fact]
    public void Carrier_SharedDeviceOfPolicyBasedChildren_NeverTold()
    {
        var p = InProcessGatewayTests.PolicyBased();
        p.A.Start();
        p.Pump();
        Assert.NotEmpty(p.A.Kernel.All);

        p.A.Terminate("moon");
        p.Pump();

        Assert.Empty(p.IoA.CarrierChanges);
        Assert.Empty(p.IoB.CarrierChanges);
    }
}
