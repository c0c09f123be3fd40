using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Net;

namespace S2SEndpoint.Gateway.Tests.Net;

/// <summary>
/// Batched UDP on loopback: send batches group runs into GSO messages and flush at their boundaries, every datagram
/// arrives once and in order with its endpoints (IPv4, IPv6, specific and wildcard sockets, with and without offload), a
/// GSO run arrives as its datagrams at a plain socket, GRO datagrams reach the reader split back, a refused GSO send
/// falls back and loses nothing (and a run too long for the route's MTU keeps GSO for shorter ones), a datagram longer
/// than a reader's buffer is dropped and counted, datagrams that cannot be sent are counted, and neither side allocates
/// per datagram once warm.
/// </summary>
public sealed class UdpBatchTests
{
    private sealed record Datagram(IPEndPoint Local, IPEndPoint Remote, byte[] Octets, int Offset);

    /// <summary>Records what a reader is handed; a datagram with a window past the buffer's start came in a GRO datagram.</summary>
    private sealed class Recorder : IUdpReader
    {
        public ConcurrentQueue<Datagram> Datagrams { get; } = new();

        public int Batches;

        public void Received(IPEndPoint local, IPEndPoint remote, PacketBuffer datagram) =>
            Datagrams.Enqueue(new Datagram(local, remote, datagram.Data.ToArray(), datagram.Offset));

        public void BatchEnd() => Interlocked.Increment(ref Batches);
    }

    /// <summary>A datagram that says which it is: its number, then octets that follow from the number.</summary>
    private static byte[] Payload(int number, int length)
    {
        var payload = new byte[length];
        BinaryPrimitives.WriteInt32BigEndian(payload, number);
        for (var i = 4; i < length; i++)
            payload[i] = unchecked((byte)(number * 7 + i));
        return payload;
    }

    private static PacketBuffer BufferOf(byte[] payload)
    {
        var buffer = new PacketBuffer(PacketBuffer.DefaultCapacity);
        buffer.Load(payload);
        return buffer;
    }

    private static int NumberOf(byte[] octets) => BinaryPrimitives.ReadInt32BigEndian(octets);

    private static void AssertIsPayload(byte[] octets, int length)
    {
        Assert.Equal(length, octets.Length);
        Assert.Equal(Payload(NumberOf(octets), length), octets);
    }

    public static TheoryData<string, bool, bool, int> Boundaries()
    {
        var data = new TheoryData<string, bool, bool, int>();
        foreach (var address in new[] { "127.0.0.1", "::1" })
        {
            foreach (var wildcard in new[] { false, true })
            {
                foreach (var offload in new[] { false, true })
                {
                    foreach (var count in new[] { 1, UdpSendBatch.Capacity, UdpSendBatch.Capacity + 1 })
                        data.Add(address, wildcard, offload, count);
                }
            }
        }
        return data;
    }

    /// <summary>One datagram, a full batch, and one more than a batch holds (which flushes the full batch on the way).</summary>
    [Theory]
    [MemberData(nameof(Boundaries))]
    public void SendBatch_AtItsBoundaries_DeliversEveryDatagramOnceInOrderWithItsEndpoints(string loopback, bool wildcard, bool offload, int count)
    {
        var address = IPAddress.Parse(loopback);
        // On a wildcard IPv4 socket the source is 127.0.0.2, not the one the routes pick: only IP_PKTINFO sends from it.
        var source = wildcard && address.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Parse("127.0.0.2") : address;
        IPAddress[] bind = wildcard ? [] : [address];
        var (ikeA, natA) = UdpTransportTests.FreePorts();
        var (ikeB, natB) = UdpTransportTests.FreePorts();
        using var a = new UdpTransport(bind, ikeA, natA, 1, offload);
        using var b = new UdpTransport(bind, ikeB, natB, 1, offload);
        var recorder = new Recorder();
        b.Start(() => recorder);
        var local = new IPEndPoint(source, natA);
        var remote = new IPEndPoint(address, natB);

        var batch = a.CreateSendBatch();
        for (var i = 0; i < count; i++)
            batch.Add(local, remote, BufferOf(Payload(i, 1000 + (i % 3 == 2 ? 0 : 300))));
        Assert.Equal(count > UdpSendBatch.Capacity ? count - UdpSendBatch.Capacity : count, batch.Count);
        batch.Flush();
        Assert.Equal(0, batch.Count);

        Assert.True(Eventually.Holds(() => recorder.Datagrams.Count >= count), $"{recorder.Datagrams.Count} of {count} arrived");
        var received = recorder.Datagrams.ToArray();
        Assert.Equal(Enumerable.Range(0, count), received.Select(d => NumberOf(d.Octets)));
        foreach (var datagram in received)
        {
            AssertIsPayload(datagram.Octets, 1000 + (NumberOf(datagram.Octets) % 3 == 2 ? 0 : 300));
            Assert.Equal(remote, datagram.Local);
            Assert.Equal(local, datagram.Remote);
        }
        Assert.True(recorder.Batches >= 1);
    }

    [Fact]
    public void Plan_GroupsRunsOfOneSocketSourcePeerAndSize_TheLastOfARunMayBeShorter()
    {
        var (ikeA, natA) = UdpTransportTests.FreePorts();
        using var a = new UdpTransport([IPAddress.Loopback], ikeA, natA, 1, offload: true);
        Assert.True(a.Gso, "the kernel has UDP GSO (4.18)");
        var nat = new IPEndPoint(IPAddress.Loopback, natA);
        var ike = new IPEndPoint(IPAddress.Loopback, ikeA);
        var b = new IPEndPoint(IPAddress.Loopback, 9);
        var c = new IPEndPoint(IPAddress.Loopback, 10);
        var batch = a.CreateSendBatch();
        void Add(IPEndPoint local, IPEndPoint remote, int length, int times = 1)
        {
            for (var i = 0; i < times; i++)
                batch.Add(local, remote, BufferOf(new byte[length]));
        }

        Add(nat, b, 1000, 5);
        Add(nat, b, 600);      // shorter: ends the run
        Add(nat, c, 1000, 3);  // another peer
        Add(nat, b, 1000);
        Add(nat, c, 300, 2);
        Add(ike, b, 300);      // another socket
        Add(nat, b, 1000, 2);
        Add(nat, b, 1200);     // longer: a run of its own
        Add(nat, b, 0);        // an empty datagram goes alone
        Add(nat, b, 1000);
        Add(nat, b, 500);
        Add(nat, b, 1000);     // after a shorter one: a new run
        Assert.Equal(
            [(0, 6, true), (6, 3, true), (9, 1, false), (10, 2, true), (12, 1, false), (13, 2, true), (15, 1, false), (16, 1, false), (17, 2, true), (19, 1, false)],
            batch.Plan());
        batch.Flush();

        // At most MaxSegments datagrams and one UDP payload's worth of octets (65,507 over IPv4) per message.
        Add(nat, b, 100, UdpSendBatch.Capacity);
        Assert.Equal([(0, 64, true)], batch.Plan());
        batch.Flush();
        Add(nat, b, 1400, UdpSendBatch.Capacity);
        Assert.Equal([(0, 46, true), (46, 18, true)], batch.Plan());
        batch.Flush();
    }

    [Fact]
    public void Plan_OnAWildcardSocket_SplitsRunsBySourceAddress()
    {
        var (ikeA, natA) = UdpTransportTests.FreePorts();
        using var a = new UdpTransport([IPAddress.Any], ikeA, natA, 1, offload: true);
        Assert.True(a.Gso, "the kernel has UDP GSO (4.18)");
        var one = new IPEndPoint(IPAddress.Loopback, natA);
        var two = new IPEndPoint(IPAddress.Parse("127.0.0.2"), natA);
        var any = new IPEndPoint(IPAddress.Any, natA);
        var b = new IPEndPoint(IPAddress.Loopback, 9);
        var batch = a.CreateSendBatch();
        foreach (var local in new[] { one, one, two, two, any, any, one })
            batch.Add(local, b, BufferOf(new byte[500]));
        Assert.Equal([(0, 2, true), (2, 2, true), (4, 2, true), (6, 1, false)], batch.Plan());
        batch.Flush();
    }

    /// <summary>Several peers and sizes in one batch: each receiver gets its datagrams in order, whatever the grouping.</summary>
    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("127.0.0.1", true)]
    [InlineData("::1", false)]
    [InlineData("::1", true)]
    public void SendBatch_MixedPeersAndSizes_EachPeerGetsItsDatagramsInOrder(string loopback, bool offload)
    {
        var address = IPAddress.Parse(loopback);
        var (ikeA, natA) = UdpTransportTests.FreePorts();
        var (ikeB, natB) = UdpTransportTests.FreePorts();
        var (ikeC, natC) = UdpTransportTests.FreePorts();
        using var a = new UdpTransport([address], ikeA, natA, 1, offload);
        using var b = new UdpTransport([address], ikeB, natB, 1, offload);
        using var c = new UdpTransport([address], ikeC, natC, 1, offload);
        var toB = new Recorder();
        var toC = new Recorder();
        b.Start(() => toB);
        c.Start(() => toC);
        var nat = new IPEndPoint(address, natA);
        var ike = new IPEndPoint(address, ikeA);
        var peers = new[] { new IPEndPoint(address, natB), new IPEndPoint(address, natC), new IPEndPoint(address, ikeB) };
        var random = new Random(7);
        var sent = new List<(int Peer, int Length)>();
        var batch = a.CreateSendBatch();
        for (var i = 0; i < 500; i++)
        {
            // Runs of one peer and size, now and then a shorter one, another peer, or the IKE port.
            var peer = i % 37 == 36 ? 2 : (i / 11 + (random.Next(8) == 0 ? 1 : 0)) % 2;
            var length = random.Next(6) == 0 ? 8 + random.Next(1400) : 1400;
            sent.Add((peer, length));
            batch.Add(peer == 2 ? ike : nat, peers[peer], BufferOf(Payload(i, length)));
            if (random.Next(50) == 0)
                batch.Flush();
        }
        batch.Flush();

        var forB = sent.Count(s => s.Peer != 1);
        var forC = sent.Count(s => s.Peer == 1);
        Assert.True(Eventually.Holds(() => toB.Datagrams.Count >= forB && toC.Datagrams.Count >= forC), $"{toB.Datagrams.Count} of {forB}, {toC.Datagrams.Count} of {forC} arrived");
        var atB = toB.Datagrams.ToArray();
        Assert.Equal(Enumerable.Range(0, sent.Count).Where(i => sent[i].Peer == 0), atB.Where(d => d.Local.Port == natB).Select(d => NumberOf(d.Octets)));
        Assert.Equal(Enumerable.Range(0, sent.Count).Where(i => sent[i].Peer == 2), atB.Where(d => d.Local.Port == ikeB).Select(d => NumberOf(d.Octets)));
        Assert.Equal(Enumerable.Range(0, sent.Count).Where(i => sent[i].Peer == 1), toC.Datagrams.Select(d => NumberOf(d.Octets)));
        foreach (var datagram in atB.Concat(toC.Datagrams))
        {
            AssertIsPayload(datagram.Octets, sent[NumberOf(datagram.Octets)].Length);
            Assert.Equal(datagram.Local.Port == ikeB ? ike : nat, datagram.Remote);
        }
    }

    /// <summary>A plain socket (no UDP_GRO) gets a GSO send as the datagrams it was made of.</summary>
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public void GsoRun_AtAPlainSocket_ArrivesAsSeparateDatagrams(string loopback)
    {
        var address = IPAddress.Parse(loopback);
        var (ikeA, natA) = UdpTransportTests.FreePorts();
        using var a = new UdpTransport([address], ikeA, natA, 1, offload: true);
        Assert.True(a.Gso, "the kernel has UDP GSO (4.18)");
        using var plain = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 10_000 };
        plain.Bind(new IPEndPoint(address, 0));
        var local = new IPEndPoint(address, natA);
        var batch = a.CreateSendBatch();
        const int equal = 10;
        for (var i = 0; i < equal; i++)
            batch.Add(local, (IPEndPoint)plain.LocalEndPoint!, BufferOf(Payload(i, 1200)));
        batch.Add(local, (IPEndPoint)plain.LocalEndPoint!, BufferOf(Payload(equal, 500)));
        Assert.Equal([(0, equal + 1, true)], batch.Plan());
        batch.Flush();

        var datagram = new byte[65536];
        for (var i = 0; i <= equal; i++)
        {
            EndPoint from = new IPEndPoint(address.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0);
            var length = plain.ReceiveFrom(datagram, ref from);
            Assert.Equal(i, NumberOf(datagram));
            AssertIsPayload(datagram[..length], i < equal ? 1200 : 500);
            Assert.Equal(local, from);
        }
        Assert.True(a.Gso);
    }

    /// <summary>
    /// GSO sends to a GRO socket: the reader gets the datagrams that were sent. On loopback the kernel hands a GSO send to
    /// a socket with UDP_GRO whole (lo segments nothing), so coalesced datagrams do come in, and are split back.
    /// </summary>
    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("::1", false)]
    [InlineData("127.0.0.1", true)]
    [InlineData("::1", true)]
    public void GroReceiver_GetsTheDatagramsThatWereSent_SplitBackFromCoalescedOnes(string loopback, bool wildcard)
    {
        var address = IPAddress.Parse(loopback);
        IPAddress[] bind = wildcard ? [] : [address];
        var (ikeA, natA) = UdpTransportTests.FreePorts();
        var (ikeB, natB) = UdpTransportTests.FreePorts();
        using var a = new UdpTransport(bind, ikeA, natA, 1, offload: true);
        using var b = new UdpTransport(bind, ikeB, natB, 1, offload: true);
        Assert.True(a.Gso && b.Gro, "the kernel has UDP GSO (4.18) and GRO (5.0)");
        var recorder = new Recorder();
        b.Start(() => recorder);
        var local = new IPEndPoint(address, natA);
        var remote = new IPEndPoint(address, natB);
        var lengths = new List<int>();
        var batch = a.CreateSendBatch();
        for (var run = 0; run < 20; run++)
        {
            for (var i = 0; i < 30; i++)
            {
                var length = i < 29 ? 1300 : 700;
                batch.Add(local, remote, BufferOf(Payload(lengths.Count, length)));
                lengths.Add(length);
            }
            batch.Flush();
            var expected = lengths.Count;
            Assert.True(Eventually.Holds(() => recorder.Datagrams.Count >= expected), $"{recorder.Datagrams.Count} of {expected} arrived");
        }

        var received = recorder.Datagrams.ToArray();
        Assert.Equal(Enumerable.Range(0, lengths.Count), received.Select(d => NumberOf(d.Octets)));
        foreach (var datagram in received)
        {
            AssertIsPayload(datagram.Octets, lengths[NumberOf(datagram.Octets)]);
            Assert.Equal(remote, datagram.Local);
            Assert.Equal(local, datagram.Remote);
        }
        // Segments after a GRO datagram's first sit further into its buffer.
        Assert.Contains(received, d => d.Offset > 0);
        Assert.True(recorder.Batches < received.Length);
    }

    /// <summary>
    /// The kernel refuses UDP_SEGMENT on a socket with checksums off (SO_NO_CHECK, UDP_NO_CHECK6_TX: EINVAL): the first
    /// GSO send fails, GSO goes off for good, and the batch goes out again one datagram a message.
    /// </summary>
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    public void GsoRefused_OnTheFirstSend_FallsBackForGood_AndDeliversEverything(string loopback)
    {
        var address = IPAddress.Parse(loopback);
        var (ikeA, natA) = UdpTransportTests.FreePorts();
        using var a = new UdpTransport([address], ikeA, natA, 1, offload: true);
        Assert.True(a.Gso, "the kernel has UDP GSO (4.18)");
        using var plain = PlainReceiver(address);
        foreach (var socket in a.Sockets)
            TurnChecksumsOff(socket);
        var local = new IPEndPoint(address, natA);
        var batch = a.CreateSendBatch();
        var lengths = new List<int>();
        for (var flush = 0; flush < 2; flush++)
        {
            foreach (var length in new[] { 1000, 1000, 1000, 400, 200, 1000, 1000 })
            {
                batch.Add(local, (IPEndPoint)plain.LocalEndPoint!, BufferOf(Payload(lengths.Count, length)));
                lengths.Add(length);
            }
            batch.Flush();
            Assert.False(a.Gso);
        }
        AssertReceives(plain, lengths);
    }

    /// <summary>Once a GSO send went out, a refused one is resent datagram by datagram and GSO stays on.</summary>
    [Fact]
    public void GsoRefused_AfterGsoWorked_ResendsThatRunAlone_AndKeepsGso()
    {
        var (ikeA, natA) = UdpTransportTests.FreePorts();
        using var a = new UdpTransport([IPAddress.Loopback], ikeA, natA, 1, offload: true);
        Assert.True(a.Gso, "the kernel has UDP GSO (4.18)");
        using var plain = PlainReceiver(IPAddress.Loopback);
        var local = new IPEndPoint(IPAddress.Loopback, natA);
        var batch = a.CreateSendBatch();
        var lengths = new List<int>();
        for (var flush = 0; flush < 2; flush++)
        {
            if (flush == 1)
            {
                foreach (var socket in a.Sockets)
                    TurnChecksumsOff(socket);
            }
            foreach (var length in new[] { 1000, 1000, 1000, 400 })
            {
                batch.Add(local, (IPEndPoint)plain.LocalEndPoint!, BufferOf(Payload(lengths.Count, length)));
                lengths.Add(length);
            }
            batch.Flush();
            Assert.True(a.Gso);
        }
        AssertReceives(plain, lengths);
    }

    /// <summary>
    /// The kernel will not segment into IP fragments (udp_send_skb: EINVAL when the segment and its headers exceed the
    /// route's MTU), though it fragments a single datagram. IPV6_MTU on the sending socket makes the path 1280 octets:
    /// a run of 1300-octet datagrams is refused before any GSO send went out, and goes again one datagram a message;
    /// GSO stays on for the shorter runs, and longer runs go as single datagrams from then on.
    /// </summary>
    [Fact]
    public void GsoRefused_ForASegmentLongerThanTheRouteMtu_SendsLongRunsAsSingles_AndKeepsGsoForShortOnes()
    {
        var (ikeA, natA) = UdpTransportTests.FreePorts();
        using var a = new UdpTransport([IPAddress.IPv6Loopback], ikeA, natA, 1, offload: true);
        Assert.True(a.Gso, "the kernel has UDP GSO (4.18)");
        foreach (var socket in a.Sockets)
            socket.SetRawSocketOption(IpProtoIpv6, Ipv6Mtu, BitConverter.GetBytes(1280));
        using var plain = PlainReceiver(IPAddress.IPv6Loopback);
        var local = new IPEndPoint(IPAddress.IPv6Loopback, natA);
        var batch = a.CreateSendBatch();
        var lengths = new List<int>();
        void Add(int length, int times)
        {
            for (var i = 0; i < times; i++)
            {
                batch.Add(local, (IPEndPoint)plain.LocalEndPoint!, BufferOf(Payload(lengths.Count, length)));
                lengths.Add(length);
            }
        }

        Add(1300, 4);
        Add(1000, 3);
        Assert.Equal([(0, 5, true), (5, 2, true)], batch.Plan());
        batch.Flush();
        Assert.True(a.Gso);
        Assert.Equal(1300, a.GsoSegmentLimit);

        Add(1300, 3);
        Add(1000, 3);
        Add(1400, 2);
        Add(1200, 2);
        Assert.Equal([(0, 1, false), (1, 1, false), (2, 1, false), (3, 3, true), (6, 1, false), (7, 1, false), (8, 2, true)], batch.Plan());
        batch.Flush();
        Assert.True(a.Gso);
        Assert.Equal(1300, a.GsoSegmentLimit);
        Assert.Equal(0, a.SendFailures);
        AssertReceives(plain, lengths);
    }

    public static TheoryData<string, int, int, bool, bool, int> GsoRefusals() => new()
    {
        { "EIO: no checksum offload, an xfrm route", MessageBatch.EIo, 1000, false, false, int.MaxValue },
        { "EIO once GSO went out", MessageBatch.EIo, 1400, true, false, int.MaxValue },
        { "ENOPROTOOPT", MessageBatch.ENoProtoOpt, 1400, false, false, int.MaxValue },
        { "EOPNOTSUPP once GSO went out", MessageBatch.EOpNotSupp, 1400, true, false, int.MaxValue },
        { "EINVAL, a segment any path carries", MessageBatch.EInval, 1000, false, false, int.MaxValue },
        { "EINVAL, the largest segment any path carries", MessageBatch.EInval, UdpTransport.SegmentAnyPathCarries, false, false, int.MaxValue },
        { "EINVAL, a segment one octet longer", MessageBatch.EInval, UdpTransport.SegmentAnyPathCarries + 1, false, true, UdpTransport.SegmentAnyPathCarries + 1 },
        { "EINVAL, a short segment once GSO went out", MessageBatch.EInval, 1000, true, true, 1000 },
        { "EMSGSIZE", MessageBatch.EMsgSize, 1000, false, true, 1000 },
        { "EMSGSIZE once GSO went out", MessageBatch.EMsgSize, 1500, true, true, 1500 },
        { "ENETUNREACH: the datagrams' trouble", 101, 1400, false, true, int.MaxValue },
    };

    [Theory]
    [MemberData(nameof(GsoRefusals))]
    public void GsoFailed_TurnsGsoOffOnlyWhenItCannotWork_ElseLimitsTheSegmentSize(string because, int errno, int segment, bool proven, bool gso, int limit)
    {
        var (ikeA, natA) = UdpTransportTests.FreePorts();
        using var a = new UdpTransport([IPAddress.Loopback], ikeA, natA, 1, offload: true);
        Assert.True(a.Gso, "the kernel has UDP GSO (4.18)");
        if (proven)
            a.GsoSent();
        a.GsoFailed(errno, segment);
        Assert.True(gso == a.Gso, because);
        Assert.Equal(limit, a.GsoSegmentLimit);

        // The limit is only ever lowered.
        a.GsoFailed(MessageBatch.EMsgSize, 1600);
        Assert.Equal(Math.Min(limit, 1600), a.GsoSegmentLimit);
    }

    /// <summary>After EIO (say, once a route through an xfrm policy), even a transport whose GSO sends went out sends one datagram a message.</summary>
    [Fact]
    public void GsoFailed_WithEio_SendsEveryDatagramAlone_AndDeliversEverything()
    {
        var (ikeA, natA) = UdpTransportTests.FreePorts();
        using var a = new UdpTransport([IPAddress.Loopback], ikeA, natA, 1, offload: true);
        Assert.True(a.Gso, "the kernel has UDP GSO (4.18)");
        using var plain = PlainReceiver(IPAddress.Loopback);
        var local = new IPEndPoint(IPAddress.Loopback, natA);
        var batch = a.CreateSendBatch();
        var lengths = new List<int>();
        for (var flush = 0; flush < 2; flush++)
        {
            foreach (var length in new[] { 1000, 1000, 1000 })
            {
                batch.Add(local, (IPEndPoint)plain.LocalEndPoint!, BufferOf(Payload(lengths.Count, length)));
                lengths.Add(length);
            }
            Assert.Equal(flush == 0 ? [(0, 3, true)] : [(0, 1, false), (1, 1, false), (2, 1, false)], batch.Plan());
            batch.Flush();
            if (flush == 0)
                a.GsoFailed(MessageBatch.EIo, 1000);
        }
        Assert.False(a.Gso);
        AssertReceives(plain, lengths);
    }

    /// <summary>
    /// A datagram longer than the batched reader's buffer (recvmmsg's MSG_TRUNC) is dropped and counted: a plain one,
    /// and a GRO datagram (a GSO run handed whole on loopback), none of whose segments reach the reader.
    /// </summary>
    [Fact]
    public void BatchedReader_DatagramLongerThanItsBuffer_IsDroppedWhole_AndCounted()
    {
        var (ikeA, natA) = UdpTransportTests.FreePorts();
        var (ikeB, natB) = UdpTransportTests.FreePorts();
        using var a = new UdpTransport([IPAddress.Loopback], ikeA, natA, 1, offload: true);
        using var b = new UdpTransport([IPAddress.Loopback], ikeB, natB, 1, offload: true) { BatchBufferSize = 1600 };
        Assert.True(a.Gso && b.Gro, "the kernel has UDP GSO (4.18) and GRO (5.0)");
        var recorder = new Recorder();
        b.Start(() => recorder);
        var local = new IPEndPoint(IPAddress.Loopback, natA);
        var remote = new IPEndPoint(IPAddress.Loopback, natB);
        var batch = a.CreateSendBatch();

        batch.Add(local, remote, BufferOf(Payload(0, 500)));
        batch.Add(local, remote, BufferOf(Payload(1, 1800)));
        batch.Flush();
        for (var i = 2; i < 6; i++)
            batch.Add(local, remote, BufferOf(Payload(i, 1000)));
        Assert.Equal([(0, 4, true)], batch.Plan());
        batch.Flush();
        batch.Add(local, remote, BufferOf(Payload(6, 500)));
        batch.Flush();

        Assert.True(Eventually.Holds(() => recorder.Datagrams.Count >= 2 && b.Truncated >= 2), $"{recorder.Datagrams.Count} datagrams, {b.Truncated} truncated");
        Assert.Equal([0, 6], recorder.Datagrams.Select(d => NumberOf(d.Octets)).Order());
        Assert.Equal(2, b.Truncated);
        Assert.Equal(0, a.SendFailures);
    }

    /// <summary>A datagram from a local endpoint no socket is bound to, and one the kernel refuses (port 0: EINVAL), are counted; the others go.</summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SendBatch_DatagramsThatCannotBeSent_AreCounted_AndTheRestDelivered(bool offload)
    {
        var (ikeA, natA) = UdpTransportTests.FreePorts();
        var (ikeB, natB) = UdpTransportTests.FreePorts();
        using var a = new UdpTransport([IPAddress.Loopback], ikeA, natA, 1, offload);
        using var b = new UdpTransport([IPAddress.Loopback], ikeB, natB, 1, offload);
        var recorder = new Recorder();
        b.Start(() => recorder);
        var local = new IPEndPoint(IPAddress.Loopback, natA);
        var remote = new IPEndPoint(IPAddress.Loopback, natB);
        var batch = a.CreateSendBatch();
        batch.Add(local, remote, BufferOf(Payload(0, 800)));
        batch.Add(local, new IPEndPoint(IPAddress.Loopback, 0), BufferOf(Payload(1, 800)));
        batch.Add(local, remote, BufferOf(Payload(2, 800)));
        batch.Add(new IPEndPoint(IPAddress.Loopback, 1), remote, BufferOf(Payload(3, 800)));
        batch.Add(local, remote, BufferOf(Payload(4, 800)));
        batch.Flush();

        Assert.Equal(2, a.SendFailures);
        Assert.True(Eventually.Holds(() => recorder.Datagrams.Count >= 3), $"{recorder.Datagrams.Count} of 3 arrived");
        Assert.Equal([0, 2, 4], recorder.Datagrams.Select(d => NumberOf(d.Octets)));
        Assert.Equal(offload, a.Gso);
    }

    private static Socket PlainReceiver(IPAddress address)
    {
        var plain = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 10_000 };
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
            plain.SetRawSocketOption(SolUdp, UdpNoCheck6Rx, BitConverter.GetBytes(1));
        plain.Bind(new IPEndPoint(address, 0));
        return plain;
    }

    private const int SolSocket = 1, SoNoCheck = 11, SolUdp = 17, UdpNoCheck6Tx = 101, UdpNoCheck6Rx = 102;

    /// <summary>IPPROTO_IPV6's IPV6_MTU (ipv6(7)): the MTU a socket's sends use, at most the route's.</summary>
    private const int IpProtoIpv6 = 41, Ipv6Mtu = 24;

    private static void TurnChecksumsOff(Socket socket)
    {
        if (socket.AddressFamily == AddressFamily.InterNetworkV6)
            socket.SetRawSocketOption(SolUdp, UdpNoCheck6Tx, BitConverter.GetBytes(1));
        else
            socket.SetRawSocketOption(SolSocket, SoNoCheck, BitConverter.GetBytes(1));
    }

    private static void AssertReceives(Socket plain, List<int> lengths)
    {
        var datagram = new byte[65536];
        for (var i = 0; i < lengths.Count; i++)
        {
            var length = plain.Receive(datagram);
            Assert.Equal(i, NumberOf(datagram));
            AssertIsPayload(datagram[..length], lengths[i]);
        }
    }

    [Fact]
    public void BatchedReaders_OnReusePortSockets_KeepOnePeersDatagramsInOrder()
    {
        var (ikeA, natA) = UdpTransportTests.FreePorts();
        var (ikeB, natB) = UdpTransportTests.FreePorts();
        using var a = new UdpTransport([IPAddress.Loopback], ikeA, natA, 1, offload: true);
        using var b = new UdpTransport([IPAddress.Loopback], ikeB, natB, 3, offload: true);
        var recorders = new ConcurrentBag<Recorder>();
        b.Start(() =>
        {
            var recorder = new Recorder();
            recorders.Add(recorder);
            return recorder;
        });
        var batch = a.CreateSendBatch();
        for (var i = 0; i < 300; i++)
            batch.Add(new IPEndPoint(IPAddress.Loopback, natA), new IPEndPoint(IPAddress.Loopback, natB), BufferOf(Payload(i, i % 10 == 9 ? 333 : 1200)));
        batch.Flush();

        Assert.True(Eventually.Holds(() => recorders.Sum(r => r.Datagrams.Count) >= 300));
        var reader = Assert.Single(recorders, r => !r.Datagrams.IsEmpty);
        Assert.Equal(Enumerable.Range(0, 300), reader.Datagrams.Select(d => NumberOf(d.Octets)));
        Assert.Equal(4, recorders.Count);
    }

    [Fact]
    public void WithoutOffload_EachDatagramIsABatch()
    {
        var (ikeA, natA) = UdpTransportTests.FreePorts();
        var (ikeB, natB) = UdpTransportTests.FreePorts();
        using var a = new UdpTransport([IPAddress.Loopback], ikeA, natA);
        using var b = new UdpTransport([IPAddress.Loopback], ikeB, natB);
        Assert.False(a.Gso || a.Gro || a.Offload);
        var recorder = new Recorder();
        b.Start(() => recorder);
        var batch = a.CreateSendBatch();
        for (var i = 0; i < 10; i++)
            batch.Add(new IPEndPoint(IPAddress.Loopback, natA), new IPEndPoint(IPAddress.Loopback, natB), BufferOf(Payload(i, 100)));
        batch.Flush();
        Assert.True(Eventually.Holds(() => Volatile.Read(ref recorder.Batches) >= 10));
        Assert.Equal(10, recorder.Datagrams.Count);
        Assert.Equal(10, recorder.Batches);
    }

    [Fact]
    public void MessageHeaders_HaveTheLp64Layout()
    {
        Assert.Equal(16, Marshal.SizeOf<SocketMessage.IoVec>());
        Assert.Equal(56, Marshal.SizeOf<SocketMessage.MsgHdr>());
        Assert.Equal(64, Marshal.SizeOf<MessageBatch.MMsgHdr>());
        Assert.Equal(56, Marshal.OffsetOf<MessageBatch.MMsgHdr>(nameof(MessageBatch.MMsgHdr.Length)));
    }

    /// <summary>Allocation on the reader's thread in rounds of datagrams after a warm-up (see the sending side for why rounds).</summary>
    private sealed class CountingReader(int warmUp, int measured, int round) : IUdpReader
    {
        private long _roundStart;
        public int Count;
        public long[] Rounds { get; } = new long[measured / round];
        public ManualResetEventSlim Done { get; } = new();

        public void Received(IPEndPoint local, IPEndPoint remote, PacketBuffer datagram)
        {
            var count = Count + 1;
            Volatile.Write(ref Count, count);
            if (count < warmUp || (count - warmUp) % round != 0)
                return;
            var now = GC.GetAllocatedBytesForCurrentThread();
            if (count > warmUp)
                Rounds[(count - warmUp) / round - 1] = now - _roundStart;
            _roundStart = now;
            if (count == warmUp + measured)
                Done.Set();
        }

        public void BatchEnd()
        {
        }
    }

    [Theory]
    [InlineData("127.0.0.1", false)]
    [InlineData("127.0.0.1", true)]
    [InlineData("::1", false)]
    [InlineData("::1", true)]
    public void BatchedSendAndReceive_AfterWarmUp_AllocateNothing(string loopback, bool wildcard)
    {
        var address = IPAddress.Parse(loopback);
        IPAddress[] bind = wildcard ? [] : [address];
        var (ikeA, natA) = UdpTransportTests.FreePorts();
        var (ikeB, natB) = UdpTransportTests.FreePorts();
        using var a = new UdpTransport(bind, ikeA, natA, 1, offload: true);
        using var b = new UdpTransport(bind, ikeB, natB, 1, offload: true);
        const int warmUp = 400, measured = 4000, perFlush = 8;
        var reader = new CountingReader(warmUp, measured, 400);
        b.Start(() => reader);
        var local = new IPEndPoint(address, natA);
        var remote = new IPEndPoint(address, natB);
        var buffers = new PacketBuffer[perFlush];
        for (var i = 0; i < perFlush; i++)
            buffers[i] = BufferOf(Payload(i, i < perFlush - 1 ? 1400 : 900));
        var batch = a.CreateSendBatch();

        var sent = 0;
        var lost = 0;
        // Rounds of sends after the warm-up: the runtime may allocate once on this thread while it recompiles a hot
        // method (tiering), which is not per datagram; a per-datagram allocation shows in every round.
        var rounds = new List<long>(capacity: 20 * (warmUp + measured) / 400);
        var roundStart = 0L;
        while (!reader.Done.IsSet && sent < 20 * (warmUp + measured))
        {
            if (sent >= warmUp && sent % 400 == 0)
            {
                var now = GC.GetAllocatedBytesForCurrentThread();
                if (sent > warmUp)
                    rounds.Add(now - roundStart);
                roundStart = now;
            }
            for (var i = 0; i < perFlush; i++)
                batch.Add(local, remote, buffers[i]);
            batch.Flush();
            sent += perFlush;
            // Let the reader keep up (loopback drops what overflows the socket buffer), allocation-free.
            var waitStart = System.Diagnostics.Stopwatch.GetTimestamp();
            while (!reader.Done.IsSet && Volatile.Read(ref reader.Count) + lost < sent - 4 * perFlush)
            {
                if (System.Diagnostics.Stopwatch.GetElapsedTime(waitStart) > TimeSpan.FromSeconds(1))
                {
                    lost = sent - Volatile.Read(ref reader.Count);
                    break;
                }
                Thread.Yield();
            }
        }
        Assert.True(reader.Done.Wait(TimeSpan.FromSeconds(10)), $"only {reader.Count} datagrams arrived");
        // A per-datagram allocation shows in every round; the runtime's own (tiering: it may recompile a hot method on
        // this thread late, in any round) does not come twice in a row.
        Assert.True(TwoZeroRoundsInARow(rounds), $"sending allocated {string.Join(", ", rounds)} bytes in rounds of 400 datagrams");
        Assert.True(TwoZeroRoundsInARow(reader.Rounds), $"receiving allocated {string.Join(", ", reader.Rounds)} bytes in rounds of 400 datagrams");
    }

    private static bool TwoZeroRoundsInARow(IReadOnlyList<long> rounds)
    {
        for (var i = 1; i < rounds.Count; i++)
        {
            if (rounds[i - 1] == 0 && rounds[i] == 0)
                return true;
        }
        return false;
    }
}
