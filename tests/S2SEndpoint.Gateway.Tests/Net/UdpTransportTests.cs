using System.Collections.Concurrent;
using System.Net;
using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Net;

namespace S2SEndpoint.Gateway.Tests.Net;

/// <summary>
/// The UDP transport on loopback (high ports, no root needed): datagrams cross both ways with the right
/// endpoints, several readers share the NAT-T port, and once the peer is known neither sending nor
/// receiving allocates.
/// </summary>
public sealed class UdpTransportTests
{
    private static (int Ike, int Nat) FreePorts()
    {
        // Two ports the kernel just handed out and released: free for the test's own binding.
        using var a = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        using var b = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
        a.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        b.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return (((IPEndPoint)a.LocalEndPoint!).Port, ((IPEndPoint)b.LocalEndPoint!).Port);
    }

    [Fact]
    public void Datagrams_CrossLoopback_WithTheirEndpoints_ManyReadersEachDatagramOnce()
    {
        var (ikeA, natA) = FreePorts();
        var (ikeB, natB) = FreePorts();
        using var a = new UdpTransport([IPAddress.Loopback], ikeA, natA);
        using var b = new UdpTransport([IPAddress.Loopback], ikeB, natB);
        var received = new ConcurrentQueue<(IPEndPoint Local, IPEndPoint Remote, byte First)>();
        b.Start((local, remote, buffer) => received.Enqueue((local, remote, buffer.Data[0])), workers: 3);
        a.Start((_, _, _) => { });

        for (var i = 0; i < 200; i++)
            a.Send(new IPEndPoint(IPAddress.Loopback, natA), new IPEndPoint(IPAddress.Loopback, natB), [(byte)(i % 250), 1, 2, 3]);
        a.Send(new IPEndPoint(IPAddress.Loopback, ikeA), new IPEndPoint(IPAddress.Loopback, ikeB), [0xEE]);

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (received.Count < 201 && DateTime.UtcNow < deadline)
            Thread.Sleep(10);
        Assert.Equal(201, received.Count);
        Assert.Equal(200, received.Count(r => r.Local.Port == natB && r.Remote.Port == natA));
        Assert.Single(received, r => r.Local.Port == ikeB && r.Remote.Port == ikeA && r.First == 0xEE);
    }

    [Fact]
    public void SendAndReceive_AfterWarmUp_AllocateNothing()
    {
        var (ikeA, natA) = FreePorts();
        var (ikeB, natB) = FreePorts();
        using var a = new UdpTransport([IPAddress.Loopback], ikeA, natA);
        using var b = new UdpTransport([IPAddress.Loopback], ikeB, natB);
        const int warmUp = 100, measured = 1000;
        var count = 0;
        long startBytes = 0, endBytes = 0;
        using var done = new ManualResetEventSlim();
        b.Start((_, _, _) =>
        {
            // On the reader's own thread: what the reader allocates between the warm-up and the end.
            count++;
            if (count == warmUp)
                startBytes = GC.GetAllocatedBytesForCurrentThread();
            if (count == warmUp + measured)
            {
                endBytes = GC.GetAllocatedBytesForCurrentThread();
                done.Set();
            }
        });
        var local = new IPEndPoint(IPAddress.Loopback, natA);
        var remote = new IPEndPoint(IPAddress.Loopback, natB);
        var payload = new byte[1400];
        payload[0] = 0x11;
        a.Send(local, remote, payload);
        var sendStart = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 1; i < 20 * (warmUp + measured) && !done.IsSet; i++)
        {
            a.Send(local, remote, payload);
            if (i % 50 == 0)
                Thread.Sleep(1); // let the reader keep up; loopback drops what overflows the buffer
        }
        var sendAllocated = GC.GetAllocatedBytesForCurrentThread() - sendStart;
        Assert.True(done.Wait(TimeSpan.FromSeconds(10)), $"only {count} datagrams arrived");
        Assert.Equal(0, sendAllocated);
        Assert.Equal(0, endBytes - startBytes);
    }
}
