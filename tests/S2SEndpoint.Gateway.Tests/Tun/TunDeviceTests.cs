using System.Net;
using System.Net.Sockets;
using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Gateway.Tun;

namespace S2SEndpoint.Gateway.Tests.Tun;

/// <summary>
/// A real TUN device in a network namespace of the test's own: the kernel's ping goes into it, the test answers
/// from the TUN side as the tunnel's far end would, and the kernel's own ICMP answers come back out of it.
/// Addresses are in 10.99.0.0/16 and fd00:99::/32; every wait is bounded.
/// </summary>
public sealed class TunDeviceTests
{
    private static readonly TimeSpan PacketTimeout = TimeSpan.FromSeconds(5);
    private static readonly IPAddress LocalV4 = IPAddress.Parse("10.99.0.1");
    private static readonly IPAddress RemoteV4 = IPAddress.Parse("10.99.1.5");
    private static readonly IPAddress LocalV6 = IPAddress.Parse("fd00:99::1");
    private static readonly IPAddress RemoteV6 = IPAddress.Parse("fd00:99:1::5");

    [NamespaceFact(needsPing: true)]
    public void Ping_IntoTun_ReadsTheRequestAndTheWrittenReplyReachesPing()
    {
        using var ns = TestNamespace.Create();
        using var tun = ns.OnThread(() => TunDevice.Open("s2s%d"));
        Assert.Matches("^s2s[0-9]+$", tun.Name);
        using var link = ConfigureV4(ns, tun);
        Assert.Contains("mtu 1400", ns.Ip("link", "show", "dev", tun.Name), StringComparison.Ordinal);

        using var ping = ns.Start("ping", "-n", "-c", "1", "-W", "2", RemoteV4.ToString());
        var packet = new byte[2048];
        var length = ReadUntil(tun, 0, packet, p => IcmpEcho.IsRequestV4(p, RemoteV4));
        var request = packet.AsSpan(0, length);
        Assert.Equal(4, request[0] >> 4);
        Assert.Equal(IcmpEcho.ProtocolIcmp, request[9]);
        Assert.Equal(RemoteV4, new IPAddress(request[16..20]));
        Assert.Equal(LocalV4, new IPAddress(request[12..16]));
        Assert.Equal(0, IcmpEcho.Checksum(0, request[..20]));

        IcmpEcho.ToReplyV4(request);
        Assert.Equal(length, tun.Write(request));
        var (exitCode, output) = ping.Finish(PacketTimeout);
        Assert.True(exitCode == 0, $"ping exited {exitCode}: {output}");
    }

    [NamespaceFact(needsPing: true)]
    public void Ping6_IntoTun_ReadsTheRequestAndTheWrittenReplyReachesPing()
    {
        using var ns = TestNamespace.Create();
        using var tun = ns.OnThread(() => TunDevice.Open("s2s%d"));
        using var link = new LinkConfigurator(tun.Name, ns.Name);
        using var routes = new RouteTable(ns.Name);
        link.SetMtu(1400);
        link.AddAddress(LocalV6, 64);
        link.BringUp();
        routes.Install([(tun.Name, new TunnelRoute(IPNetwork.Parse("fd00:99:1::/64"), null))]);

        using var ping = ns.Start("ping", "-6", "-n", "-c", "1", "-W", "2", RemoteV6.ToString());
        var packet = new byte[2048];
        var length = ReadUntil(tun, 0, packet, p => IcmpEcho.IsRequestV6(p, RemoteV6));
        var request = packet.AsSpan(0, length);
        Assert.Equal(LocalV6, new IPAddress(request[8..24]));
        Assert.Equal(0, IcmpEcho.ChecksumV6(request[8..40], request[40..]));

        IcmpEcho.ToReplyV6(request);
        Assert.Equal(length, tun.Write(request));
        var (exitCode, output) = ping.Finish(PacketTimeout);
        Assert.True(exitCode == 0, $"ping -6 exited {exitCode}: {output}");
    }

    [NamespaceFact]
    public void Open_TwoQueues_BothQueuesReceiveFlows()
    {
        using var ns = TestNamespace.Create();
        using var tun = ns.OnThread(() => TunDevice.Open("s2s%d", queueCount: 2));
        Assert.Equal(2, tun.QueueCount);
        using var link = ConfigureV4(ns, tun);

        // 64 flows (one per destination port): the kernel spreads them over the queues by their hash.
        ns.OnThread(() =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            for (var port = 40000; port < 40064; port++)
                socket.SendTo("s2s"u8, new IPEndPoint(RemoteV4, port));
            return 0;
        });

        var perQueue = new int[2];
        var packet = new byte[2048];
        var deadline = DateTime.UtcNow + PacketTimeout;
        while (perQueue[0] + perQueue[1] < 64 && DateTime.UtcNow < deadline)
        {
            for (var queue = 0; queue < 2; queue++)
            {
                var length = tun.Read(queue, packet, timeoutMilliseconds: 50);
                if (length > 0 && packet[0] >> 4 == 4 && packet[9] == (byte)ProtocolType.Udp)
                    perQueue[queue]++;
            }
        }
        Assert.True(perQueue[0] > 0 && perQueue[1] > 0, $"packets per queue: {perQueue[0]}, {perQueue[1]}");
        Assert.Equal(64, perQueue[0] + perQueue[1]);
    }

    [NamespaceFact]
    public void Shutdown_WakesABlockedReader_AndLaterReadsReturnZero()
    {
        using var ns = TestNamespace.Create();
        using var tun = ns.OnThread(() => TunDevice.Open("s2s%d"));
        var result = int.MinValue;
        var reader = new Thread(() => result = tun.Read(new byte[2048])) { IsBackground = true };
        reader.Start();
        // The behaviour under test: with no packet queued, Read does not return (here, within 200 ms).
        Assert.False(reader.Join(TimeSpan.FromMilliseconds(200)), $"Read returned {result} with no packet queued");

        tun.Shutdown();
        Assert.True(reader.Join(TimeSpan.FromSeconds(2)), "Shutdown did not wake the blocked reader");
        Assert.Equal(0, result);
        Assert.Equal(0, tun.Read(0, new byte[2048], timeoutMilliseconds: 0));
    }

    [NamespaceFact]
    public void Read_WithTimeoutAndNoPacket_ReturnsMinusEagain()
    {
        using var ns = TestNamespace.Create();
        using var tun = ns.OnThread(() => TunDevice.Open("s2s%d"));
        Assert.Equal(-Libc.EAgain, tun.Read(0, new byte[2048], timeoutMilliseconds: 0));
        var buffer = new byte[2048];
        int next;
        while ((next = tun.Read(0, buffer, timeoutMilliseconds: 100)) > 0)
            Assert.NotEqual(4, buffer[0] >> 4);
        Assert.Equal(-Libc.EAgain, next);
    }

    [NamespaceFact]
    public void WriteAndRead_AfterWarmUp_AllocateNothing()
    {
        // The kernel is the far end: an echo request written to the TUN from 10.99.1.5 to our own 10.99.0.1 is
        // answered through the route back into the TUN.
        using var ns = TestNamespace.Create();
        using var tun = ns.OnThread(() => TunDevice.Open("s2s%d"));
        using var link = ConfigureV4(ns, tun);
        var request = IcmpEcho.RequestV4(RemoteV4, LocalV4, identifier: 0x5332, sequence: 1, dataLength: 56);
        var reply = new byte[2048];

        RoundTrips(tun, request, reply, 50);
        var before = GC.GetAllocatedBytesForCurrentThread();
        RoundTrips(tun, request, reply, 500);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [NamespaceFact]
    public void Read_PacketLongerThanTheBuffer_ReturnsMinusEmsgsize_AndAnExactFitIsRead()
    {
        using var ns = TestNamespace.Create();
        using var tun = ns.OnThread(() => TunDevice.Open("s2s%d"));
        using var link = ConfigureV4(ns, tun);
        var request = IcmpEcho.RequestV4(RemoteV4, LocalV4, identifier: 0x5332, sequence: 1, dataLength: 56);

        Assert.Equal(request.Length, tun.Write(request));
        Assert.Equal(-Libc.EMsgSize, ReadIpv4(tun, new byte[request.Length - 1]));
        var buffer = new byte[2048];
        int next;
        while ((next = tun.Read(0, buffer, timeoutMilliseconds: 100)) > 0)
            Assert.NotEqual(4, buffer[0] >> 4);
        Assert.Equal(-Libc.EAgain, next);

        Assert.Equal(request.Length, tun.Write(request));
        Assert.Equal(request.Length, ReadIpv4(tun, new byte[request.Length]));
    }

    /// <summary>Reads until a result that is not one of the kernel's own IPv6 packets (router solicitation, MLD).</summary>
    private static int ReadIpv4(TunDevice tun, byte[] buffer)
    {
        int read;
        while ((read = tun.Read(0, buffer, timeoutMilliseconds: 2000)) > 0 && buffer[0] >> 4 == 6)
        {
        }
        return read;
    }

    /// <summary>
    /// TUNSETCARRIER through one queue of two: `ip link` shows NO-CARRIER (the operational state follows the carrier
    /// through the kernel's link watch, so it is waited for) and LOWER_UP again once carrier is back.
    /// </summary>
    [NamespaceFact]
    public void SetCarrier_OffThenOn_TheLinkShowsNoCarrierThenLowerUp()
    {
        using var ns = TestNamespace.Create();
        using var tun = ns.OnThread(() => TunDevice.Open("s2s%d", queueCount: 2));
        ns.Ip("link", "set", "dev", tun.Name, "up");
        string Link() => ns.Ip("-o", "link", "show", "dev", tun.Name);
        Assert.True(Eventually.Holds(() => Link().Contains("LOWER_UP", StringComparison.Ordinal)), Link());

        Assert.Equal(0, tun.SetCarrier(false));
        Assert.True(Eventually.Holds(() => Link().Contains("<NO-CARRIER,", StringComparison.Ordinal) && Link().Contains("state DOWN", StringComparison.Ordinal)), Link());
        Assert.DoesNotContain("LOWER_UP", Link(), StringComparison.Ordinal);

        Assert.Equal(0, tun.SetCarrier(true));
        Assert.True(Eventually.Holds(() => Link().Contains("LOWER_UP", StringComparison.Ordinal) && !Link().Contains("NO-CARRIER", StringComparison.Ordinal)), Link());
    }

    [NamespaceFact]
    public void SetCarrier_AfterDispose_ReturnsMinusEbadf()
    {
        using var ns = TestNamespace.Create();
        var tun = ns.OnThread(() => TunDevice.Open("s2s%d"));
        tun.Dispose();

        Assert.Equal(-Libc.EBadF, tun.SetCarrier(true));
    }

    [NamespaceFact]
    public void Dispose_RemovesTheInterface_AndASecondDisposeIsHarmless()
    {
        using var ns = TestNamespace.Create();
        var tun = ns.OnThread(() => TunDevice.Open("s2s%d", queueCount: 2));
        Assert.Contains(tun.Name, ns.Ip("link", "show"), StringComparison.Ordinal);

        tun.Dispose();
        // Eventually: a process another test forks at that moment holds the descriptors until its exec closes them
        // (O_CLOEXEC), and the interface goes with the last one.
        Assert.True(Eventually.Holds(() => !ns.Ip("link", "show").Contains(tun.Name, StringComparison.Ordinal)), ns.Ip("link", "show"));
        tun.Dispose();
        Assert.Equal(0, tun.Read(new byte[2048]));
        Assert.Equal(-Libc.EBadF, tun.Write(new byte[20]));
    }

    [NamespaceFact]
    public void Open_ANameThatIsAlreadyAnotherQueue_SaysWhichName()
    {
        using var ns = TestNamespace.Create();
        using var first = ns.OnThread(() => TunDevice.Open("s2s%d"));
        var e = Assert.Throws<IOException>(() => ns.OnThread(() => TunDevice.Open(first.Name)));
        Assert.Contains($"\"{first.Name}\"", e.Message, StringComparison.Ordinal);
    }

    /// <summary>MTU, LocalV4/24 and link up, and a route to 10.99.1.0/24 into the device; Dispose takes them away.</summary>
    private static ConfiguredV4 ConfigureV4(TestNamespace ns, TunDevice tun)
    {
        var configured = new ConfiguredV4(new LinkConfigurator(tun.Name, ns.Name), new RouteTable(ns.Name));
        try
        {
            configured.Link.SetMtu(1400);
            configured.Link.AddAddress(LocalV4, 24);
            configured.Link.BringUp();
            configured.Routes.Install([(tun.Name, new TunnelRoute(IPNetwork.Parse("10.99.1.0/24"), null))]);
            return configured;
        }
        catch
        {
            configured.Dispose();
            throw;
        }
    }

    private sealed record ConfiguredV4(LinkConfigurator Link, RouteTable Routes) : IDisposable
    {
        public void Dispose()
        {
            Routes.Dispose();
            Link.Dispose();
        }
    }

    private static void RoundTrips(TunDevice tun, byte[] request, byte[] reply, int count)
    {
        for (var i = 0; i < count; i++)
        {
            var written = tun.Write(request);
            if (written != request.Length)
                Assert.Fail($"round trip {i}: write returned {written}");
            var length = ReadIpv4(tun, reply);
            if (length != request.Length || reply[9] != IcmpEcho.ProtocolIcmp || reply[20] != IcmpEcho.EchoReply)
                Assert.Fail($"round trip {i}: read returned {length}, protocol {reply[9]}, ICMP type {reply[20]}");
        }
    }

    /// <summary>Reads packets until one matches (the kernel also sends others, such as MLD reports); fails after <see cref="PacketTimeout"/>.</summary>
    private static int ReadUntil(TunDevice tun, int queue, byte[] packet, Func<byte[], bool> matches)
    {
        var seen = new List<string>();
        var deadline = DateTime.UtcNow + PacketTimeout;
        while (DateTime.UtcNow < deadline)
        {
            var wait = (int)Math.Max(1, (deadline - DateTime.UtcNow).TotalMilliseconds);
            var length = tun.Read(queue, packet, wait);
            if (length > 0 && matches(packet.AsSpan(0, length).ToArray()))
                return length;
            seen.Add(length > 0 ? Convert.ToHexString(packet, 0, Math.Min(length, 48)) : $"Read returned {length}");
        }
        Assert.Fail($"no matching packet within {PacketTimeout.TotalSeconds} s; seen: {string.Join(", ", seen)}");
        return 0;
    }
}
