using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Tests.Engine;

/// <summary>
/// Every exchange after establishment with each of its datagrams lost, duplicated, or both: the two
/// sides always end in the same state, with one IKE SA and the expected Child SAs.
/// </summary>
public sealed class StepLossTests
{
    public enum Operation
    {
        ChildRekey,
        ChildRekeyPfs,
        IkeRekey,
        ChildDelete,
        IkeDelete,
        Liveness,
    }

    public enum Fault
    {
        Lost,
        Duplicated,
        Delayed,
    }

    public static TheoryData<Operation, Fault, int> Steps()
    {
        var data = new TheoryData<Operation, Fault, int>();
        foreach (var op in Enum.GetValues<Operation>())
        {
            foreach (var fault in Enum.GetValues<Fault>())
            {
                // Rekeys take two exchanges (the create and the old SA's delete): four datagrams.
                var steps = op is Operation.ChildRekey or Operation.ChildRekeyPfs or Operation.IkeRekey ? 4 : 2;
                for (var step = 0; step < steps; step++)
                    data.Add(op, fault, step);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Steps))]
    public void Exchange_FaultAtEveryStep_BothSidesConverge(Operation op, Fault fault, int step)
    {
        var esp = op == Operation.ChildRekeyPfs ? "aes256gcm16-modp2048" : "aes256gcm16";
        var h = new EngineHarness(
            a => a with { Children = [a.Children[0] with { EspProposals = EngineHarness.Esp(esp) }] },
            b => b with { Children = [b.Children[0] with { EspProposals = EngineHarness.Esp(esp) }] });
        h.Establish();
        var seen = 0;
        Datagram? delayed = null;
        h.Net.Filter = (_, d) =>
        {
            if (seen++ != step)
                return [d];
            switch (fault)
            {
                case Fault.Lost:
                    return [];
                case Fault.Duplicated:
                    return [d, d];
                default:
                    delayed = d;
                    return [];
            }
        };
        switch (op)
        {
            case Operation.ChildRekey:
            case Operation.ChildRekeyPfs:
                h.A.Engine.Rekey("moon");
                break;
            case Operation.IkeRekey:
                h.A.Engine.RekeyIke("moon");
                break;
            case Operation.ChildDelete:
                h.A.Engine.TerminateChild("moon", "net");
                break;
            case Operation.IkeDelete:
                h.A.Engine.Terminate("moon");
                break;
            case Operation.Liveness:
                h.A.Engine.CheckLiveness("moon");
                break;
        }
        h.Pump();
        h.Advance(TimeSpan.FromSeconds(5));
        if (delayed is not null)
        {
            // The late copy arrives after the retransmission has done its work.
            h.Net.Deliver(delayed);
            h.Pump();
        }
        // A lost response to a delete leaves the requester retransmitting to an SA that is gone, until it
        // gives up after strongSwan's 165 s of back-off, as strongSwan does.
        h.Run(TimeSpan.FromSeconds(200));

        switch (op)
        {
            case Operation.IkeDelete:
                Assert.Empty(h.A.Engine.Sas);
                Assert.Empty(h.B.Engine.Sas);
                Assert.Empty(h.A.Kernel.Active);
                Assert.Empty(h.B.Kernel.Active);
                break;
            case Operation.ChildDelete:
                Assert.Single(h.A.Engine.Sas);
                Assert.Single(h.B.Engine.Sas);
                Assert.Empty(h.A.Kernel.Active);
                Assert.Empty(h.B.Kernel.Active);
                break;
            default:
                Assert.Single(h.A.Engine.Sas);
                Assert.Single(h.B.Engine.Sas);
                h.AssertEstablished();
                Assert.Single(h.A.Kernel.Active);
                if (op != Operation.Liveness && op != Operation.IkeRekey)
                    Assert.NotEqual(h.A.Kernel.Installed[0].InboundSpi, Assert.Single(h.A.Kernel.Active).InboundSpi);
                break;
        }
    }
}
