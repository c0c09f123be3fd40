using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Net;

namespace S2SEndpoint.Gateway.Tests.Net;

/// <summary>
/// The UDP transport on loopback (high ports, no root needed): datagrams cross both ways with the right
/// endpoints, several readers share the NAT-T port, without addresses it listens on both families and answers from
/// the address a datagram came to, and once the peer is known neither sending nor receiving allocates.
/// </summary>
public sealed class UdpTransportTests
{
    internal static (int Ike, int Nat) FreePorts()
    {
        // Two ports the kernel just handed out to dual-stack sockets and released: free in both families for the test's own binding.
        // Never one this process handed out before: released, the kernel may give a port again to a test running in
        // parallel, and UdpTransport's SO_REUSEPORT would let both bind it and share its datagrams.
        while (true)
        {
            using var a = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
            using var b = new Socket(AddressFamily.InterNetworkV6, SocketType.Dgram, ProtocolType.Udp) { DualMode = true };
            a.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
            b.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
            var (ike, nat) = (((IPEndPoint)a.LocalEndPoint!).Port, ((IPEndPoint)b.LocalEndPoint!).Port);
            lock (HandedOut)
            {
                if (!HandedOut.Contains(ike) && !HandedOut.Contains(nat))
                {
                    HandedOut.Add(ike);
                    HandedOut.Add(nat);
                    return (ike, nat);
                }
            }
        }
    }

    private static readonly HashSet<int> HandedOut = [];

    [Fact]
    public void Datagrams_CrossLoopback_WithTheirEndpoints_OnePeerInOrderAcrossReusePortSockets()
    {
        var (ikeA, natA) = FreePorts();
        var (ikeB, natB) = FreePorts();
        using var a = new UdpTransport([IPAddress.Loopback], ikeA, natA);
        using var b = new UdpTransport([IPAddress.Loopback], ikeB, natB, workers: 3);
        var received = new ConcurrentQueue<(IPEndPoint Local, IPEndPoint Remote, byte First)>();
        b.Start((local, remote, buffer) => received.Enqueue((local, remote, buffer.Data[0])));
        a.Start((_, _, _) => { });

        for (var i = 0; i < 200; i++)
            a.Send(new IPEndPoint(IPAddress.Loopback, natA), new IPEndPoint(IPAddress.Loopback, natB), [(byte)(i % 250), 1, 2, 3]);
        a.Send(new IPEndPoint(IPAddress.Loopback, ikeA), new IPEndPoint(IPAddress.Loopback, ikeB), [0xEE]);

        Eventually.Holds(() => received.Count >= 201);
        Assert.Equal(201, received.Count);
        Assert.Equal(200, received.Count(r => r.Local.Port == natB && r.Remote.Port == natA));
        // One peer's datagrams come through one of the three sockets, in the order sent.
        Assert.Equal(Enumerable.Range(0, 200).Select(i => (byte)(i % 250)), received.Where(r => r.Local.Port == natB).Select(r => r.First));
        Assert.Single(received, r => r.Local.Port == ikeB && r.Remote.Port == ikeA && r.First == 0xEE);
    }

    /// <summary>On a wildcard socket the local address comes in IP_PKTINFO or IPV6_PKTINFO and goes out with sendmsg.</summary>
    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("127.0.0.1", true)]
    [InlineData("::1", false)]
    [InlineData("::1", true)]
    public void SendAndReceive_AfterWarmUp_AllocateNothing(string loopback, bool wildcard)
    {
        var address = IPAddress.Parse(loopback);
        IPAddress[] bind = wildcard ? [] : [address];
        var (ikeA, natA) = FreePorts();
        var (ikeB, natB) = FreePorts();
        using var a = new UdpTransport(bind, ikeA, natA);
        using var b = new UdpTransport(bind, ikeB, natB);
        const int warmUp = 100, measured = 2000, round = 250;
        var count = 0;
        long readStart = 0;
        var readRounds = new long[measured / round];
        using var done = new ManualResetEventSlim();
        b.Start((_, _, _) =>
        {
            // On the reader's own thread: what the reader allocates in rounds after the warm-up (rounds, as for sending).
            count++;
            if (count < warmUp || (count - warmUp) % round != 0)
                return;
            var now = GC.GetAllocatedBytesForCurrentThread();
            if (count > warmUp)
                readRounds[(count - warmUp) / round - 1] = now - readStart;
            readStart = now;
            if (count == warmUp + measured)
                done.Set();
        });
        var local = new IPEndPoint(address, natA);
        var remote = new IPEndPoint(address, natB);
        var payload = new byte[1400];
        payload[0] = 0x11;
        a.Send(local, remote, payload);
        var lost = 0; // datagrams that loopback dropped: the reader will never see them
        // Sends in rounds: the runtime may allocate once on this thread while it recompiles a hot method (tiering),
        // which is not per datagram; a per-datagram allocation shows in every round.
        var rounds = new List<long>(capacity: 20 * (warmUp + measured) / 200);
        var roundStart = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 1; i < 20 * (warmUp + measured) && !done.IsSet; i++)
        {
            if (i % 200 == 0)
            {
                var now = GC.GetAllocatedBytesForCurrentThread();
                rounds.Add(now - roundStart);
                roundStart = now;
            }
            a.Send(local, remote, payload);
            if (i % 50 == 0)
            {
                // Let the reader keep up (loopback drops what overflows the socket buffer): wait until it has all but
                // the last 50, allocation-free; if it does not get there within a second, the rest was dropped.
                var waitStart = System.Diagnostics.Stopwatch.GetTimestamp();
                while (!done.IsSet && Volatile.Read(ref count) + lost < i + 1 - 50)
                {
                    if (System.Diagnostics.Stopwatch.GetElapsedTime(waitStart) > TimeSpan.FromSeconds(1))
                    {
                        lost = i + 1 - Volatile.Read(ref count);
                        break;
                    }
                    Thread.Yield();
                }
            }
        }
        Assert.True(done.Wait(TimeSpan.FromSeconds(10)), $"only {count} datagrams arrived");
        // Most rounds allocate nothing: a recompilation (tiering) allocates once, an allocation per datagram in every round.
        Assert.True(rounds.Count >= 2 && rounds.Count(a => a == 0) >= rounds.Count / 2, $"sending allocated {string.Join(", ", rounds)} bytes in rounds of 200 datagrams");
        Assert.True(readRounds.Count(a => a == 0) >= readRounds.Length / 2, $"receiving allocated {string.Join(", ", readRounds)} bytes in rounds of {round} datagrams");
    }

    [Fact]
    public void Send_WhileDisposing_DoesNotThrow()
    {
        Exception? thrown = null;
        for (var attempt = 0; attempt < 20 && thrown is null; attempt++)
        {
            var transport = new UdpTransport([IPAddress.Loopback], 0, 0);
            transport.Start((_, _, _) => { });
            var stop = false;
            var sends = 0;
            var sender = new Thread(() =>
            {
                try
                {
                    while (!Volatile.Read(ref stop))
                    {
                        transport.Send(new IPEndPoint(IPAddress.Loopback, 0), new IPEndPoint(IPAddress.Loopback, 9), [1, 2, 3]);
                        Interlocked.Increment(ref sends);
                    }
                }
                catch (Exception e)
                {
                    thrown = e;
                }
            });
            sender.Start();
            // Dispose while the sender is in its loop.
            Assert.True(Eventually.Holds(() => Volatile.Read(ref sends) >= 10 || !sender.IsAlive), "the sender did not start sending");
            transport.Dispose();
            Volatile.Write(ref stop, true);
            sender.Join();
        }
        Assert.Null(thrown);
    }

    [Fact]
    public void Send_ToTheOtherAddressFamily_DoesNotThrow()
    {
        using var transport = new UdpTransport([IPAddress.Loopback], 0, 0);
        transport.Send(new IPEndPoint(IPAddress.Loopback, 0), new IPEndPoint(IPAddress.IPv6Loopback, 9), [1, 2, 3]);
    }

    [Fact]
    public void Wildcard_ListensOnBothFamilies_AndAnswersFromTheAddressADatagramCameTo()
    {
        var (ike, nat) = FreePorts();
        using var transport = new UdpTransport([], ike, nat, workers: 2);
        Assert.Equal([IPAddress.Any, IPAddress.IPv6Any], transport.Addresses);
        var received = new ConcurrentQueue<(IPEndPoint Local, IPEndPoint Remote, byte First)>();
        transport.Start((local, remote, buffer) => received.Enqueue((local, remote, buffer.Data[0])));

        // 127.0.0.2 is loopback too, but not the source the routes pick toward 127.0.0.1: only IP_PKTINFO makes the
        // answer leave from it.
        var targets = new[] { new IPEndPoint(IPAddress.Parse("127.0.0.2"), ike), new IPEndPoint(IPAddress.Parse("127.0.0.2"), nat), new IPEndPoint(IPAddress.IPv6Loopback, ike), new IPEndPoint(IPAddress.IPv6Loopback, nat) };
        for (var i = 0; i < targets.Length; i++)
        {
            var target = targets[i];
            using var peer = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 10_000 };
            peer.Bind(new IPEndPoint(target.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Loopback : IPAddress.Loopback, 0));
            peer.SendTo([(byte)i, 1, 2, 3], target);

            Assert.True(Eventually.Holds(() => received.Any(r => r.First == i)), $"nothing came to {target}");
            var (local, remote, _) = received.Single(r => r.First == i);
            Assert.Equal(target, local);
            Assert.Equal(peer.LocalEndPoint, remote);

            transport.Send(local, remote, [0xA0, (byte)i]);
            var answer = new byte[16];
            EndPoint from = new IPEndPoint(target.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
            var length = peer.ReceiveFrom(answer, ref from);
            Assert.Equal([0xA0, (byte)i], answer[..length]);
            Assert.Equal(target, from);
        }
    }

    [Fact]
    public void WildcardAndSpecificAddress_BindsTheWildcardAlone()
    {
        var (ike, nat) = FreePorts();
        using var transport = new UdpTransport([IPAddress.Loopback, IPAddress.Any], ike, nat);
        Assert.Equal([IPAddress.Any], transport.Addresses);
        Assert.True(transport.Serves([IPAddress.Parse("192.0.2.1")]));
        Assert.False(transport.Serves([IPAddress.IPv6Loopback]));
        Assert.False(transport.Serves([]));
    }

    [Fact]
    public void Serves_WhatWasBound_AndNoAddressOnlyWithBothWildcards()
    {
        var (ike, nat) = FreePorts();
        using var specific = new UdpTransport([IPAddress.Loopback, IPAddress.IPv6Loopback], ike, nat);
        Assert.True(specific.Serves([IPAddress.IPv6Loopback]));
        Assert.False(specific.Serves([IPAddress.Parse("127.0.0.2")]));
        Assert.False(specific.Serves([]));
        (ike, nat) = FreePorts();
        using var any = new UdpTransport([], ike, nat);
        Assert.True(any.Serves([]));
        Assert.True(any.Serves([IPAddress.Parse("2001:db8::1"), IPAddress.Parse("192.0.2.1")]));
    }

    [Fact]
    public void AddressesFor_AConnectionWithoutLocalAddresses_MeansTheWildcards()
    {
        IPAddress[] a = [IPAddress.Parse("192.0.2.1")], b = [IPAddress.Parse("2001:db8::1"), IPAddress.Parse("192.0.2.1")];
        Assert.Equal([IPAddress.Parse("192.0.2.1"), IPAddress.Parse("2001:db8::1")], UdpTransport.AddressesFor([a, b]));
        Assert.Empty(UdpTransport.AddressesFor([a, []]));
        Assert.Empty(UdpTransport.AddressesFor([]));
    }
}
