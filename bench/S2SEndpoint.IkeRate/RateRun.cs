using System.Diagnostics;
using System.Runtime.CompilerServices;
using S2SEndpoint.Ike.Sa;
using S2SEndpoint.TestSupport;

namespace S2SEndpoint.IkeRate;

/// <summary>What one run measured: the responder's CPU and wall time per SA, and its memory per tunnel.</summary>
internal sealed record RateResult(BenchAuth Auth, string Ike, int Count, double CpuMsPerSa, double InitMsPerSa, double IntermediateMsPerSa, double AuthMsPerSa, double KernelMsPerSa,
    double OutputMsPerSa, double WallMsPerSa, double FirstTenthMsPerSa, double LastTenthMsPerSa, double HeapKiBPerTunnel, double RssKiBPerTunnel, TimeSpan Elapsed);

/// <summary>
/// One run: a responder, <c>warmUp</c> handshakes to compile its code (kept, outside the figures), then
/// <c>count</c> handshakes one after the other, each complete (IKE_SA_INIT, an IKE_INTERMEDIATE per additional key
/// exchange of the proposal, IKE_AUTH with the first Child SA) before
/// the next starts, so that at most one SA is half-open and the responder never asks for a cookie (its DoS settings
/// are the defaults). Each initiator is made for its handshake and let go after it; the responder keeps every SA.
/// All on one thread: the responder's share is the thread CPU time inside its calls (<see cref="ResponderHost"/>).
/// </summary>
internal static class RateRun
{
    public static RateResult Run(BenchAuth auth, string ike, int count, int warmUp)
    {
        var peers = new Peers(auth, ike);
        var responder = new ResponderHost(peers.Responder());
        for (var i = 0; i < warmUp; i++)
            Handshake(peers, responder, i);

        var heapBefore = Heap();
        var rssBefore = Environment.WorkingSet;
        var cpuBefore = responder.TotalCpu;
        var (init, intermediate, authCpu, kernel, output, wall) = (responder.InitCpu, responder.IntermediateCpu, responder.AuthCpu, responder.KernelCpu, responder.OutputCpu, responder.WallTicks);
        var tenth = Math.Max(1, count / 10);
        long firstTenth = 0;
        long lastTenthStart = 0;
        var elapsed = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            if (i == tenth)
                firstTenth = responder.TotalCpu - cpuBefore;
            if (i == count - tenth)
                lastTenthStart = responder.TotalCpu;
            Handshake(peers, responder, warmUp + i);
        }
        elapsed.Stop();
        var lastTenth = responder.TotalCpu - lastTenthStart;
        var cpu = responder.TotalCpu - cpuBefore;

        var heapAfter = Heap();
        var rssAfter = Environment.WorkingSet;
        var established = responder.Engine.Sas.Count(s => s.State == IkeSaState.Established && s.Children.Count == 1);
        if (established != warmUp + count || responder.Kernel.All.Count != warmUp + count || responder.Kernel.Table.InboundCount != warmUp + count)
            throw new InvalidOperationException($"the responder has {established} established IKE SAs and {responder.Kernel.All.Count} Child SAs installed, not {warmUp + count}");
        GC.KeepAlive(responder);

        const double PerMs = 1e6;
        return new RateResult(auth, ike, count,
            CpuMsPerSa: cpu / PerMs / count,
            InitMsPerSa: (responder.InitCpu - init) / PerMs / count,
            IntermediateMsPerSa: (responder.IntermediateCpu - intermediate) / PerMs / count,
            AuthMsPerSa: (responder.AuthCpu - authCpu) / PerMs / count,
            KernelMsPerSa: (responder.KernelCpu - kernel) / PerMs / count,
            OutputMsPerSa: (responder.OutputCpu - output) / PerMs / count,
            WallMsPerSa: Stopwatch.GetElapsedTime(0, responder.WallTicks - wall).TotalMilliseconds / count,
            FirstTenthMsPerSa: firstTenth / PerMs / tenth,
            LastTenthMsPerSa: lastTenth / PerMs / tenth,
            HeapKiBPerTunnel: (heapAfter - heapBefore) / 1024.0 / count,
            RssKiBPerTunnel: (rssAfter - rssBefore) / 1024.0 / count,
            Elapsed: elapsed.Elapsed);
    }

    /// <summary>One initiator brings up its IKE SA and Child SA with the responder; throws unless both are up on its side.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Handshake(Peers peers, ResponderHost responder, int i)
    {
        var initiator = new InitiatorHost(peers.Initiator(i), 1000 + i);
        var net = new MemoryNetwork<INetworkHost>();
        net.Add(Peers.ResponderAddress, responder);
        net.Add(Peers.InitiatorAddress(i), initiator);
        initiator.Engine.Initiate("home");
        net.Pump();
        var sa = initiator.Engine.Sas.Single();
        if (sa.State != IkeSaState.Established || sa.Children.Count != 1)
            throw new InvalidOperationException($"handshake {i}: the initiator's SA is {sa.State} with {sa.Children.Count} Child SAs; responder drops: {responder.Engine.Drops}");
    }

    /// <summary>The managed heap after a full collection, finalizers run (initiators' ESP SAs free their OpenSSL contexts).</summary>
    private static long Heap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(true);
    }
}
