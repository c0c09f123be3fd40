using System.Buffers.Binary;
using S2SEndpoint.Ike.Sa;
using static S2SEndpoint.Gateway.Tests.Core.InProcessGatewayTests;

namespace S2SEndpoint.Gateway.Tests.Core;

/// <summary>
/// Reauthentication (reauth_time, RFC 7296 2.8.3) through two gateways: the new Child SAs take the child's request ID, so
/// outbound traffic moves to them as they are installed, before the old IKE SA is deleted; no packet waits for an SA,
/// the route-based device keeps carrier, and updown runs nothing, as across a rekey.
/// </summary>
public sealed class ReauthTests
{
    private static Pair RouteBased(UpdownTests.FakeUpdown moon, UpdownTests.FakeUpdown sun) => new(
        InProcessGatewayTests.Config("moon", "192.0.2.1", "192.0.2.2", "moon", "sun",
            """ "vti": { "interface": "vti-a", "routes": "10.2.0.0/16", "updown": "/bin/true", "esp_proposals": "aes256gcm16" } """, "none")
            .Replace("\"proposals\":", "\"reauth_time\": \"60s\", \"rand_time\": \"0s\", \"proposals\":", StringComparison.Ordinal),
        InProcessGatewayTests.Config("sun", "192.0.2.2", "192.0.2.1", "sun", "moon",
            """ "vti": { "interface": "vti-b", "routes": "10.1.0.0/16", "updown": "/bin/true", "esp_proposals": "aes256gcm16" } """, "none"),
        moon, sun);

    [Fact]
    public void Reauth_PacketsBeforeDuringAndAfter_AllArrive_CarrierAndUpdownUntouched()
    {
        var moon = new UpdownTests.FakeUpdown();
        var sun = new UpdownTests.FakeUpdown();
        var p = RouteBased(moon, sun);
        p.A.Initiate("moon");
        p.Pump();
        var oldSa = Assert.Single(p.A.Engine.Sas);
        var oldSpi = Assert.Single(p.A.Kernel.All).Install.InboundSpi;
        // A route-based child's selectors are everything of both families: its up runs once for each.
        Assert.Equal([true, true], moon.Runs.Select(r => r.Up));
        Assert.Equal([true, true], sun.Runs.Select(r => r.Up));

        // A link with a second's delay each way, in order (so that packets cross while the reauthentication is under way).
        var inFlight = new List<(int Due, Ike.Sa.Datagram Datagram)>();
        var step = 0;
        var espDuringReauth = 0;
        p.Net.Filter = (_, d) =>
        {
            var isEsp = d.Remote.Port == 4500 && d.Data.Length > 4 && BinaryPrimitives.ReadUInt32BigEndian(d.Data) != 0;
            if (isEsp && p.A.Engine.Sas.Count > 1)
                espDuringReauth++;
            inFlight.Add((step + 2, d));
            return [];
        };
        var sent = 0;
        for (; step < 200; step++)
        {
            p.Clock.Advance(TimeSpan.FromMilliseconds(500));
            p.A.OnTimer();
            p.B.OnTimer();
            Pair.Inject(p.A, "vti-a", Ping("10.1.0.5", "10.2.0.7"));
            Pair.Inject(p.B, "vti-b", Ping("10.2.0.7", "10.1.0.5"));
            sent++;
            p.Net.Round();
            foreach (var d in inFlight.Where(d => d.Due <= step).ToList())
            {
                p.Net.Deliver(d.Datagram);
                inFlight.Remove(d);
            }
        }
        p.Net.Filter = null;
        foreach (var d in inFlight)
            p.Net.Deliver(d.Datagram);
        p.Pump();

        Assert.Single(p.A.RecentEvents.OfType<IkeSaReauthenticated>());
        Assert.Equal(IkeSaState.Destroyed, oldSa.State);
        var sa = Assert.Single(p.A.Engine.Sas);
        Assert.Single(sa.Children);
        Assert.Single(Assert.Single(p.B.Engine.Sas).Children);
        Assert.NotEqual(oldSpi, Assert.Single(p.A.Kernel.All).Install.InboundSpi);
        Assert.True(espDuringReauth > 0);
        Assert.True(sent == p.IoB.Tun.Count && sent == p.IoA.Tun.Count, $"A->B {p.IoB.Tun.Count}, B->A {p.IoA.Tun.Count} of {sent}");
        Assert.Equal([("vti-a", true)], p.IoA.CarrierChanges);
        Assert.Equal([("vti-b", true)], p.IoB.CarrierChanges);
        Assert.Equal([true, true], moon.Runs.Select(r => r.Up));
        Assert.Equal([true, true], sun.Runs.Select(r => r.Up));
    }
}
