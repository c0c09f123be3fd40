using System.Diagnostics;
using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Policy;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;
using S2SEndpoint.TestSupport;

namespace S2SEndpoint.IkeRate;

/// <summary>
/// The one responder: an <see cref="IkeEngine"/> on the gateway's <see cref="EspKernel"/> (each Child SA becomes an
/// inbound and an outbound ESP SA; the inbound one joins the <see cref="SaTable"/>), with the operating system's
/// randomness and clock, as the gateway makes them. Each call into it, and the kernel changes and events it leaves,
/// are timed in thread CPU time and in wall time; nothing the initiators do is.
/// </summary>
internal sealed class ResponderHost : INetworkHost
{
    public ResponderHost(IkeSaConfig config)
    {
        Kernel = new EspKernel(new SaTable(), SystemRandomSource.Instance, TimeProvider.System, 64, perPeer: _ => true);
        Engine = new IkeEngine([config], Kernel, TimeProvider.System, SystemRandomSource.Instance);
    }

    public IkeEngine Engine { get; }
    public EspKernel Kernel { get; }

    /// <summary>Thread CPU nanoseconds in the engine for IKE_SA_INIT requests.</summary>
    public long InitCpu { get; private set; }

    /// <summary>Thread CPU nanoseconds in the engine for IKE_INTERMEDIATE requests (the additional key exchanges, RFC 9370).</summary>
    public long IntermediateCpu { get; private set; }

    /// <summary>Thread CPU nanoseconds in the engine for IKE_AUTH requests.</summary>
    public long AuthCpu { get; private set; }

    /// <summary>Thread CPU nanoseconds applying the kernel's changes (the ESP SAs joining the table) and taking the events.</summary>
    public long KernelCpu { get; private set; }

    /// <summary>Thread CPU nanoseconds taking the outgoing datagrams.</summary>
    public long OutputCpu { get; private set; }

    public long TotalCpu => InitCpu + IntermediateCpu + AuthCpu + KernelCpu + OutputCpu;

    /// <summary>Stopwatch ticks over the same calls (includes time another process had the core).</summary>
    public long WallTicks { get; private set; }

    public void Receive(Datagram datagram)
    {
        var wall = Stopwatch.GetTimestamp();
        var start = ThreadCpu.Nanoseconds();
        Engine.Receive(datagram);
        var received = ThreadCpu.Nanoseconds();
        Kernel.Apply(Kernel.TakeChanges(), static () => { });
        Engine.TakeEvents();
        var end = ThreadCpu.Nanoseconds();
        WallTicks += Stopwatch.GetTimestamp() - wall;
        var exchange = datagram.Data.Length > IkeHeader.Size ? (ExchangeType)datagram.Data[IkeHeader.ExchangeOffset] : default;
        if (exchange == ExchangeType.IkeSaInit)
            InitCpu += received - start;
        else if (exchange == ExchangeType.IkeIntermediate)
            IntermediateCpu += received - start;
        else
            AuthCpu += received - start;
        KernelCpu += end - received;
    }

    public IReadOnlyList<Datagram> TakeSent()
    {
        var wall = Stopwatch.GetTimestamp();
        var start = ThreadCpu.Nanoseconds();
        var sent = Engine.TakeOutgoing();
        OutputCpu += ThreadCpu.Nanoseconds() - start;
        WallTicks += Stopwatch.GetTimestamp() - wall;
        return sent;
    }
}
