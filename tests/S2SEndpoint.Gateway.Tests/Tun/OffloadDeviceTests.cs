using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Gateway.Tun;
using static S2SEndpoint.Gateway.Tests.Tun.OffloadPackets;

namespace S2SEndpoint.Gateway.Tests.Tun;

/// <summary>
/// A real TUN device with offload in a namespace of the test's own, the test playing the TCP peer on the TUN side: the
/// kernel's TSO super-packets come out of ReadBatch as segments no longer than the MTU with valid checksums, and a
/// super-packet TunWriteBatch coalesced reaches a socket whole. Addresses are in 10.99.0.0/16 and fd00:99::/32;
/// every wait is bounded.
/// </summary>
public sealed class OffloadDeviceTests
{
    private const int Mtu = 1400;
    private const int Mss = 1360;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly IPAddress Local = DestinationV4;
    private static readonly IPAddress Remote = SourceV4;
    private static readonly IPAddress LocalV6 = DestinationV6;
    private static readonly IPAddress RemoteV6 = SourceV6;

    /// <summary>Maximum Segment Size 1360 (RFC 9293 3.2).</summary>
    private static readonly byte[] MssOption = [2, 4, Mss >> 8, Mss & 0xFF];

    [NamespaceFact]
    public void Open_WithOffload_TheKernelTakesIt_AndSinglePacketsGoBothWays()
    {
        using var ns = TestNamespace.Create();
        using var tun = ns.OnThread(() => TunDevice.Open("s2s%d", 2, offload: true));
        Assert.True(tun.Offload);
        Assert.Equal(Environment.OSVersion.Version >= new Version(6, 2), tun.UdpSegmentationOffload);
        using var link = Configure(ns, tun);

        var request = IcmpEcho.RequestV4(Remote, Local, identifier: 0x5332, sequence: 1, dataLength: 56);
        Assert.Equal(request.Length, tun.Write(1, request));
        var reply = new byte[2048];
        var length = 0;
        var deadline = DateTime.UtcNow + Timeout;
        for (var queue = 0; length == 0 && DateTime.UtcNow < deadline; queue ^= 1)
        {
            var read = tun.Read(queue, reply, 100);
            if (read > 0 && reply[0] >> 4 == 4)
                length = read;
        }
        Assert.Equal(request.Length, length);
        Assert.Equal(IcmpEcho.EchoReply, reply[20]);
        Assert.True(IcmpEcho.Checksum(0, reply.AsSpan(20, length - 20)) == 0);
    }

    [NamespaceFact]
    public void Open_WithoutOffload_IsAPlainDevice()
    {
        using var ns = TestNamespace.Create();
        using var tun = ns.OnThread(() => TunDevice.Open("s2s%d", 1, offload: false));
        Assert.False(tun.Offload);
    }

    [NamespaceTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadBatch_TcpStreamOutOfTheNamespace_GivesSegmentsOfTheMtuWithValidChecksums(bool ipv6)
    {
        using var ns = TestNamespace.Create();
        using var tun = ns.OnThread(() => TunDevice.Open("s2s%d", 1, offload: true));
        Assert.True(tun.Offload);
        using var link = Configure(ns, tun);
        var batch = new TunReadBatch(Mtu);
        using var client = Connect(ns, tun, batch, ipv6, out var clientPort, out var clientSequence);

        var data = Payload(256 * 1024, 5);
        var send = Task.Run(() => client.Send(data));
        var received = new byte[data.Length];
        var covered = 0L;
        var largestBatch = 0;
        var deadline = DateTime.UtcNow + Timeout;
        while (covered < data.Length && DateTime.UtcNow < deadline)
        {
            var count = tun.ReadBatch(0, batch, 200);
            if (count <= 0)
            {
                Assert.True(count == -Libc.EAgain, $"ReadBatch returned {count}, last error {batch.LastError}");
                continue;
            }
            var ours = 0;
            for (var i = 0; i < count; i++)
            {
                var packet = batch[i].Data;
                if (!IsTcp(packet, ipv6))
                    continue;
                ours++;
                Assert.True(packet.Length <= Mtu, $"segment of {packet.Length} octets");
                Assert.True(ChecksumsValid(packet), "checksum " + Convert.ToHexString(packet[..40]));
                var tcp = Parse(packet);
                var offset = unchecked((int)(tcp.Sequence - clientSequence));
                if (tcp.Payload.Length == 0 || offset < 0 || offset + tcp.Payload.Length > data.Length)
                    continue;
                tcp.Payload.CopyTo(received.AsSpan(offset));
                covered = Math.Max(covered, offset + tcp.Payload.Length);
            }
            largestBatch = Math.Max(largestBatch, ours);
            tun.Write(0, Peer(ipv6, clientPort, 1001, unchecked(clientSequence + (uint)covered), Ack, []));
        }
        Assert.Equal(data.Length, covered);
        Assert.True(send.Wait(Timeout));
        Assert.Equal(data, received);
        Assert.True(largestBatch > 1, "no read gave more than one segment: the kernel sent no super-packet");
        Assert.Equal(0, batch.Dropped);
    }

    [NamespaceTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Flush_CoalescedSegments_TheKernelTakesTheSuperPacket_AndTheSocketReceivesEverything(bool ipv6)
    {
        using var ns = TestNamespace.Create();
        using var tun = ns.OnThread(() => TunDevice.Open("s2s%d", 1, offload: true));
        Assert.True(tun.Offload);
        using var link = Configure(ns, tun);
        using var listener = ns.OnThread(() =>
        {
            var socket = new Socket(ipv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(ipv6 ? LocalV6 : Local, 5001));
            socket.Listen();
            return socket;
        });
        var accept = listener.AcceptAsync();
        var batch = new TunReadBatch(Mtu);

        const uint Initial = 0x7FFFFF00;
        var syn = new Tcp
        {
            Ipv6 = ipv6,
            Source = ipv6 ? RemoteV6 : Remote,
            Destination = ipv6 ? LocalV6 : Local,
            Sequence = Initial,
            Acknowledgment = 0,
            Flags = Syn,
            Window = 65535,
            Options = MssOption,
        };
        Assert.True(tun.Write(0, syn.Build()) > 0);
        var synAck = ReadTcp(tun, batch, ipv6, p => (p.Flags & (Syn | Ack)) == (Syn | Ack));
        var acknowledgment = unchecked(synAck.Sequence + 1);
        var ack = syn with { Sequence = Initial + 1, Acknowledgment = acknowledgment, Flags = Ack, Options = [], DontFragment = true };
        Assert.True(tun.Write(0, ack.Build()) > 0);
        Assert.True(accept.Wait(Timeout), "accept did not complete");
        using var server = accept.Result;

        var data = Payload(20 * Mss, 9);
        var writes = new TunWriteBatch();
        for (var i = 0; i < 20; i++)
        {
            var segment = ack with
            {
                Sequence = Initial + 1 + (uint)(i * Mss),
                Identification = (ushort)(100 + i),
                Flags = (byte)(Ack | (i == 19 ? Psh : 0)),
                Payload = data.AsSpan(i * Mss, Mss).ToArray(),
            };
            var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
            buffer.Load(segment.Build());
            writes.Add(buffer);
        }
        writes.Flush(tun, 0);
        Assert.Equal(0, writes.Failed);
        Assert.Equal(1, writes.SuperPackets);
        Assert.Equal(20, writes.Written);

        var received = new byte[data.Length];
        var total = 0;
        server.ReceiveTimeout = (int)Timeout.TotalMilliseconds;
        while (total < data.Length)
        {
            var n = server.Receive(received, total, data.Length - total, SocketFlags.None);
            Assert.True(n > 0, $"receive returned {n} after {total} octets");
            total += n;
        }
        Assert.Equal(data, received);
    }

    [NamespaceFact]
    public void Read_WithOffload_ASuperPacket_IsDroppedWithMinusEmsgsize()
    {
        using var ns = TestNamespace.Create();
        using var tun = ns.OnThread(() => TunDevice.Open("s2s%d", 1, offload: true));
        using var link = Configure(ns, tun);
        using var client = Connect(ns, tun, new TunReadBatch(Mtu), ipv6: false, out _, out _);

        var send = Task.Run(() => client.Send(Payload(64 * 1024)));
        var packet = new byte[2048];
        var results = new List<int>();
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline && (results.Count == 0 || results[^1] != -Libc.EMsgSize))
            results.Add(tun.Read(0, packet, 200));
        Assert.Equal(-Libc.EMsgSize, results[^1]);
        Assert.True(send.Wait(Timeout));
    }

    [NamespaceTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void FlushAndReadBatch_AfterWarmUp_AllocateNothing(bool offload)
    {
        // The kernel is the far end: an echo request from 10.99.1.5 to our own 10.99.0.1 is answered into the TUN.
        using var ns = TestNamespace.Create();
        using var tun = ns.OnThread(() => TunDevice.Open("s2s%d", 1, offload));
        Assert.Equal(offload, tun.Offload);
        using var link = Configure(ns, tun);
        var request = new PacketBuffer(PacketBuffer.DefaultCapacity);
        request.Load(IcmpEcho.RequestV4(Remote, Local, identifier: 0x5332, sequence: 1, dataLength: 56));
        var writes = new TunWriteBatch();
        var reads = new TunReadBatch(Mtu);

        RoundTrips(tun, request, writes, reads, 50);
        // Rounds of 50: the runtime may allocate once while it recompiles a hot method (tiering), which is not per
        // packet; an allocation per packet shows in every round.
        var rounds = new List<long>();
        for (var r = 0; r < 10; r++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            RoundTrips(tun, request, writes, reads, 50);
            rounds.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.True(rounds.Count(a => a == 0) >= rounds.Count / 2, $"allocated {string.Join(", ", rounds)} bytes in rounds of 50 round trips");
        Assert.Equal(550, writes.Written);
        Assert.Equal(0, writes.Failed);
    }

    private static void RoundTrips(TunDevice tun, PacketBuffer request, TunWriteBatch writes, TunReadBatch reads, int count)
    {
        for (var i = 0; i < count; i++)
        {
            writes.Add(request);
            writes.Flush(tun, 0);
            int read;
            while ((read = tun.ReadBatch(0, reads, 2000)) > 0 && reads[0].Data[0] >> 4 != 4)
            {
            }
            if (read != 1 || reads[0].Length != request.Length || reads[0].Data[20] != IcmpEcho.EchoReply)
                Assert.Fail($"round trip {i}: ReadBatch returned {read}");
        }
    }

    /// <summary>A client socket in the namespace connected to 10.99.1.5:5001, the test answering its SYN from the TUN side (MSS 1360, window 65535).</summary>
    private static Socket Connect(TestNamespace ns, TunDevice tun, TunReadBatch batch, bool ipv6, out ushort clientPort, out uint clientSequence)
    {
        var client = ns.OnThread(() => new Socket(ipv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        try
        {
            var connect = client.ConnectAsync(new IPEndPoint(ipv6 ? RemoteV6 : Remote, 5001));
            var syn = ReadTcp(tun, batch, ipv6, p => (p.Flags & Syn) != 0);
            clientPort = syn.SourcePort;
            clientSequence = unchecked(syn.Sequence + 1);
            Assert.True(tun.Write(0, Peer(ipv6, clientPort, 1000, clientSequence, Syn | Ack, MssOption)) > 0);
            Assert.True(connect.Wait(Timeout), "connect did not complete");
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private static byte[] Peer(bool ipv6, ushort clientPort, uint sequence, uint acknowledgment, byte flags, byte[] options) =>
        new Tcp
        {
            Ipv6 = ipv6,
            Source = ipv6 ? RemoteV6 : Remote,
            Destination = ipv6 ? LocalV6 : Local,
            SourcePort = 5001,
            DestinationPort = clientPort,
            Sequence = sequence,
            Acknowledgment = acknowledgment,
            Flags = flags,
            Window = 65535,
            Options = options,
        }.Build();

    private sealed record Segment(ushort SourcePort, uint Sequence, byte Flags, byte[] Payload);

    private static Segment Parse(ReadOnlySpan<byte> packet)
    {
        var tcp = packet[(packet[0] >> 4 == 6 ? 40 : (packet[0] & 0xF) * 4)..];
        return new Segment(BinaryPrimitives.ReadUInt16BigEndian(tcp), BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]), tcp[13],
            tcp[((tcp[12] >> 4) * 4)..].ToArray());
    }

    private static bool IsTcp(ReadOnlySpan<byte> packet, bool ipv6) =>
        ipv6 ? packet[0] >> 4 == 6 && packet[6] == IpProtocol.Tcp : packet[0] >> 4 == 4 && packet[9] == IpProtocol.Tcp;

    /// <summary>Reads batches until a TCP segment (over IPv6 or IPv4) that <paramref name="matches"/>; fails after <see cref="Timeout"/>.</summary>
    private static Segment ReadTcp(TunDevice tun, TunReadBatch batch, bool ipv6, Func<Segment, bool> matches)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (DateTime.UtcNow < deadline)
        {
            var count = tun.ReadBatch(0, batch, 200);
            for (var i = 0; i < count; i++)
            {
                var packet = batch[i].Data;
                if (IsTcp(packet, ipv6) && ChecksumsValid(packet) && matches(Parse(packet)))
                    return Parse(packet);
            }
        }
        Assert.Fail("no matching TCP segment");
        return null!;
    }

    private static Configured Configure(TestNamespace ns, TunDevice tun)
    {
        var configured = new Configured(new LinkConfigurator(tun.Name, ns.Name), new RouteTable(ns.Name));
        try
        {
            configured.Link.SetMtu(Mtu);
            configured.Link.AddAddress(Local, 24);
            configured.Link.BringUp();
            configured.Link.AddAddress(LocalV6, 64);
            configured.Routes.Install([
                (tun.Name, new TunnelRoute(IPNetwork.Parse("10.99.1.0/24"), null)),
                (tun.Name, new TunnelRoute(IPNetwork.Parse("fd00:99:1::/64"), null)),
            ]);
            return configured;
        }
        catch
        {
            configured.Dispose();
            throw;
        }
    }

    private sealed record Configured(LinkConfigurator Link, RouteTable Routes) : IDisposable
    {
        public void Dispose()
        {
            Routes.Dispose();
            Link.Dispose();
        }
    }
}
