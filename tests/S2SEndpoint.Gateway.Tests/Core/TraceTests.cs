using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Control;
using S2SEndpoint.Gateway.Tracing;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using static S2SEndpoint.Gateway.Tests.Core.InProcessGatewayTests;

namespace S2SEndpoint.Gateway.Tests.Core;

/// <summary>
/// `s2s trace` on two gateways joined in memory: a packet's way in both directions, step by step, and each drop reason
/// the gateway can produce, at the step where it stops; the filter, the count, the rate and the queue bounds; and no
/// key in any record. Packets the test must shape (bad padding, a dummy packet...) are sealed with AES-GCM by the test
/// itself, under an inbound SA whose key it chose.
/// </summary>
public sealed class TraceTests
{
    private static readonly IPEndPoint AddressA = new(IPAddress.Parse("192.0.2.1"), 4500);
    private static readonly IPEndPoint AddressB = new(IPAddress.Parse("192.0.2.2"), 4500);

    /// <summary>The records queued for <paramref name="session"/>, each as the client reads it (through JSON text).</summary>
    private static List<JsonObject> Drain(TraceSession session)
    {
        var records = new List<JsonObject>();
        while (session.TryRead(TimeSpan.Zero, out var line))
            records.Add((JsonObject)JsonNode.Parse(line.ToJsonString())!);
        return records;
    }

    private static string[] Steps(JsonObject record) => [.. record["steps"]!.AsArray().Select(s => s!["step"]!.ToString())];

    private static JsonObject Step(JsonObject record, string name) =>
        (JsonObject)record["steps"]!.AsArray().Single(s => s!["step"]!.ToString() == name)!;

    private static string Drop(JsonObject record) => $"{record["drop"]!["step"]}:{record["drop"]!["reason"]}:{record["drop"]!["esp_reason"]}";

    /// <summary>Two gateways, policy-based, with the Child SA up.</summary>
    internal static Pair Up()
    {
        var p = PolicyBased();
        p.A.Start();
        p.Pump();
        Assert.Single(p.A.Kernel.All);
        return p;
    }

    /// <summary>Delivers <paramref name="datagram"/> to B on port 4500, as from A.</summary>
    private static void ToB(Pair p, byte[] datagram)
    {
        var buffer = new PacketBuffer(Math.Max(PacketBuffer.DefaultCapacity, datagram.Length));
        buffer.Load(datagram, 0);
        p.B.OnUdp(AddressB, AddressA, buffer);
    }

    // ---- outbound ----

    [Fact]
    public void Outbound_SentPacket_EveryStepInPacketOrder_MatchesWhatWentOnTheWire()
    {
        var p = Up();
        using var trace = p.A.Trace(null, null, TraceDirection.Both, 0)!;
        Pair.Inject(p.A, "s2s0", Ping("10.1.0.5", "10.2.0.7"));

        var record = Assert.Single(Drain(trace));
        var sent = Assert.Single(p.IoA.Udp).Data;
        Assert.Equal("sent", record["result"]!.ToString());
        Assert.Equal(["tun", "inner", "policy", "sa", "esp", "outer"], Steps(record));
        Assert.Equal("moon", record["connection"]!.ToString());
        Assert.Equal("net", record["child"]!.ToString());
        Assert.Equal(1, (long)record["packet"]!);

        var tun = Step(record, "tun");
        Assert.Equal("s2s0", tun["device"]!.ToString());
        Assert.Equal(84, (int)tun["octets"]!);
        var inner = Step(record, "inner");
        Assert.Equal("10.1.0.5", inner["source"]!.ToString());
        Assert.Equal("10.2.0.7", inner["destination"]!.ToString());
        Assert.Equal("ICMP", inner["protocol"]!.ToString());
        Assert.Equal("EchoRequest", inner["icmp"]!.ToString());
        Assert.Equal(8, (int)inner["icmp_type"]!);
        Assert.Equal(64, (int)inner["ttl"]!);
        var policy = Step(record, "policy");
        Assert.True((bool)policy["matched"]!);
        Assert.Equal("10.1.0.0/24,10.3.0.0/24", policy["local_ts"]!.ToString());
        Assert.Equal("10.2.0.0/24", policy["remote_ts"]!.ToString());

        var sa = p.A.Kernel.All.Single().Outbound;
        Assert.Equal(sa.Spi.ToString("x8", null), Step(record, "sa")["spi"]!.ToString());
        var esp = Step(record, "esp");
        Assert.Equal(sent.Length, (int)esp["length"]!);
        Assert.Equal(BinaryPrimitives.ReadUInt32BigEndian(sent.AsSpan(4)), (ulong)esp["sequence"]!);
        Assert.Equal(Convert.ToHexStringLower(sent.AsSpan(8, 8)), esp["iv"]!.ToString());
        Assert.Equal(Convert.ToHexStringLower(sent.AsSpan(sent.Length - 16, PacketTrace.IcvShown)), esp["icv"]!.ToString());
        Assert.Equal(sent.Length - 16, (int)esp["icv_offset"]!);
        // AES-GCM pads to 4 octets: 84 + 2 + 2 = 88 (RFC 4303 2.4); Next Header 4, IPv4 (RFC 4303 2.6).
        Assert.Equal(2, (int)esp["pad_length"]!);
        Assert.Equal(4, (int)esp["next_header"]!);
        Assert.Equal(8 + 8 + 84 + 2 + 2 + 16, sent.Length);
        var outer = Step(record, "outer");
        Assert.Equal("192.0.2.2", outer["destination"]!.ToString());
        Assert.Equal(4500, (int)outer["destination_port"]!);
        Assert.Equal(8 + sent.Length, (int)outer["udp_length"]!);
        Assert.Equal(20 + 8 + sent.Length, (int)outer["wire_octets"]!);
    }

    [Fact]
    public void Outbound_NoPolicy_SaysWhatEachPolicyDidNotHold()
    {
        var p = Up();
        using var trace = p.A.Trace(null, null, TraceDirection.Outbound, 0)!;
        Pair.Inject(p.A, "s2s0", Ping("10.1.0.5", "10.9.0.1"));
        Pair.Inject(p.A, "s2s0", Ping("172.16.0.1", "10.2.0.7"));

        var records = Drain(trace);
        Assert.Equal(2, records.Count);
        Assert.All(records, r => Assert.Equal("policy:no_policy:", Drop(r)));
        Assert.All(records, r => Assert.Equal(["tun", "inner", "policy"], Steps(r)));
        var wrongDestination = (JsonObject)Step(records[0], "policy")["policies"]!.AsArray().Single()!;
        Assert.True((bool)wrongDestination["source_held"]!);
        Assert.False((bool)wrongDestination["destination_held"]!);
        Assert.Equal("moon", wrongDestination["connection"]!.ToString());
        var wrongSource = (JsonObject)Step(records[1], "policy")["policies"]!.AsArray().Single()!;
        Assert.False((bool)wrongSource["source_held"]!);
        Assert.True((bool)wrongSource["destination_held"]!);
        Assert.Empty(p.IoA.Udp);
    }

    [Fact]
    public void Outbound_NoSa_ARouteWithoutAnOutboundSa()
    {
        var p = Up();
        // What the data path sees between a child's last SA going and the route going with it.
        Republish(p.A, route => new ChildRoute(route.ReqId, route.Connection, route.Child, route.Device, null, null, null, null));
        using var trace = p.A.Trace("moon", "net", TraceDirection.Both, 0)!;
        Pair.Inject(p.A, "s2s0", Ping("10.1.0.5", "10.2.0.7"));

        var record = Assert.Single(Drain(trace));
        Assert.Equal("sa:no_sa:", Drop(record));
        Assert.Equal(["tun", "inner", "policy", "sa"], Steps(record));
        Assert.False((bool)Step(record, "sa")["found"]!);
    }

    [Fact]
    public void Outbound_NotEncapsulated_AnSaWithoutUdp()
    {
        var p = Up();
        using var plain = new ForgedSa(0x5000_0001, 0, SaDirection.Outbound, udp: false);
        Republish(p.A, route => new ChildRoute(route.ReqId, route.Connection, route.Child, route.Device, plain.Sa, route.Local, route.Remote, null));
        using var trace = p.A.Trace(null, null, TraceDirection.Both, 0)!;
        Pair.Inject(p.A, "s2s0", Ping("10.1.0.5", "10.2.0.7"));

        var record = Assert.Single(Drain(trace));
        Assert.Equal("sa:not_encapsulated:", Drop(record));
        Assert.False((bool)Step(record, "sa")["udp_encapsulation"]!);
        Assert.Empty(p.IoA.Udp);
    }

    [Fact]
    public void Outbound_TrappedChild_HoldsThePacket()
    {
        var p = new Pair(
            InProcessGatewayTests.Config("moon", "192.0.2.1", "192.0.2.2", "moon", "sun", """ "net": { "local_ts": "10.1.0.0/24", "remote_ts": "10.2.0.0/24", "esp_proposals": "aes256gcm16", "start_action": "trap" } """, "trap"),
            InProcessGatewayTests.Config("sun", "192.0.2.2", "192.0.2.1", "sun", "moon", """ "net": { "local_ts": "10.2.0.0/24", "remote_ts": "10.1.0.0/24", "esp_proposals": "aes256gcm16", "start_action": "none" } """, "none"));
        using var trace = p.A.Trace("moon", null, TraceDirection.Outbound, 0)!;
        Pair.Inject(p.A, "s2s0", Ping("10.1.0.5", "10.2.0.7"));

        var record = Assert.Single(Drain(trace));
        Assert.Equal("held", record["result"]!.ToString());
        Assert.True((bool)Step(record, "policy")["trap"]!);
        Assert.True((bool)Step(record, "sa")["trap"]!);
        // Once the SA is up, the held packet goes (untraced: it left the trap, not the device).
        p.Pump();
        Assert.Single(p.IoB.Tun);
    }

    public static TheoryData<string, DropReason> SealFailures => new()
    {
        { "ttl", DropReason.HopLimitExceeded },
        { "length", DropReason.MalformedInner },
        { "headroom", DropReason.NoRoom },
        { "expired", DropReason.Expired },
        { "exhausted", DropReason.SequenceExhausted },
    };

    [Theory]
    [MemberData(nameof(SealFailures))]
    public void Outbound_SealFailed_NamesTheEspReason(string how, DropReason reason)
    {
        var p = Up();
        using var trace = p.A.Trace(null, null, TraceDirection.Outbound, 0)!;
        var packet = Ping("10.1.0.5", "10.2.0.7", ttl: (byte)(how == "ttl" ? 1 : 64));
        var buffer = new PacketBuffer(2048);
        if (how == "length")
            BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), 200);
        if (how == "expired")
            p.A.Kernel.All.Single().Outbound.Dispose();
        if (how == "exhausted")
            p.A.Kernel.All.Single().Outbound.SetLastSequenceNumber(uint.MaxValue);
        buffer.Load(packet, how == "headroom" ? 0 : PacketBuffer.Headroom);
        p.A.OnTun("s2s0", buffer);

        var record = Assert.Single(Drain(trace));
        Assert.Equal($"seal:seal_failed:{PacketTrace.Name(reason)}", Drop(record));
        Assert.Equal(["tun", "inner", "policy", "sa"], Steps(record));
        Assert.Empty(p.IoA.Udp);
    }

    // ---- inbound ----

    [Fact]
    public void Inbound_DeliveredPacket_EveryCheckInTheOrderOfInboundOpen()
    {
        var p = Up();
        using var trace = p.B.Trace("sun", "net", TraceDirection.Inbound, 0)!;
        Pair.Inject(p.A, "s2s0", Ping("10.1.0.5", "10.2.0.7"));
        var sent = p.IoA.Udp.Single().Data;
        p.Pump();

        var record = Assert.Single(Drain(trace));
        Assert.Equal("delivered", record["result"]!.ToString());
        Assert.Equal(["outer", "udp", "spi", "length", "replay", "icv", "trailer", "inner", "selectors", "tun"], Steps(record));
        Assert.Equal("sun", record["connection"]!.ToString());
        Assert.Equal("192.0.2.1", Step(record, "outer")["source"]!.ToString());
        Assert.Equal(p.B.Kernel.All.Single().Inbound.Spi.ToString("x8", null), Step(record, "spi")["spi"]!.ToString());
        var replay = Step(record, "replay");
        Assert.Equal(1, (long)replay["sequence"]!);
        Assert.Equal(0, (long)replay["right_edge"]!);
        Assert.Equal("ahead", replay["position"]!.ToString());
        var icv = Step(record, "icv");
        Assert.True((bool)icv["verified"]!);
        Assert.Equal(1, (long)icv["right_edge_after"]!);
        Assert.Equal(Convert.ToHexStringLower(sent.AsSpan(8, 8)), icv["iv"]!.ToString());
        Assert.Equal(Convert.ToHexStringLower(sent.AsSpan(sent.Length - 16, 8)), icv["icv"]!.ToString());
        var trailer = Step(record, "trailer");
        Assert.Equal(2, (int)trailer["pad_length"]!);
        Assert.Equal(4, (int)trailer["next_header"]!);
        Assert.Equal(63, (int)Step(record, "inner")["ttl"]!);
        Assert.True((bool)Step(record, "selectors")["source_held"]!);
        Assert.Equal("s2s0", Step(record, "tun")["device"]!.ToString());
    }

    [Fact]
    public void Inbound_Replayed_ShowsTheWindowEdgeAndTheBit()
    {
        var p = Up();
        Pair.Inject(p.A, "s2s0", Ping("10.1.0.5", "10.2.0.7"));
        var datagram = p.IoA.Udp.Single().Data;
        p.Pump();
        using var trace = p.B.Trace(null, null, TraceDirection.Inbound, 0)!;
        ToB(p, datagram);

        var record = Assert.Single(Drain(trace));
        Assert.Equal("replay:open_failed:replayed", Drop(record));
        var replay = Step(record, "replay");
        Assert.Equal(1, (long)replay["right_edge"]!);
        Assert.Equal("window", replay["position"]!.ToString());
        Assert.Equal(0, (long)replay["offset"]!);
        Assert.True((bool)replay["seen"]!);
        Assert.False((bool)replay["passed"]!);
        Assert.Single(p.IoB.Tun);
    }

    [Fact]
    public void Inbound_OneBitFlipped_IcvMismatch()
    {
        var p = Up();
        Pair.Inject(p.A, "s2s0", Ping("10.1.0.5", "10.2.0.7"));
        var datagram = p.IoA.Udp.Single().Data;
        p.IoA.Udp.Clear();
        datagram[30] ^= 0x01;
        using var trace = p.B.Trace(null, null, TraceDirection.Both, 0)!;
        ToB(p, datagram);

        var record = Assert.Single(Drain(trace));
        Assert.Equal("icv:open_failed:icv_mismatch", Drop(record));
        Assert.Equal(["outer", "udp", "spi", "length", "replay", "icv"], Steps(record));
        Assert.False((bool)Step(record, "icv")["verified"]!);
        Assert.Empty(p.IoB.Tun);
    }

    [Fact]
    public void Inbound_UnknownSpi_KeepaliveAndMalformedUdp_BelongToTheTraceOfTheirPeersConnection()
    {
        var p = Up();
        using var sun = p.B.Trace("sun", null, TraceDirection.Inbound, 0)!;
        var unknown = new byte[40];
        BinaryPrimitives.WriteUInt32BigEndian(unknown, 0xdeadbeef);
        BinaryPrimitives.WriteUInt32BigEndian(unknown.AsSpan(4), 1);
        ToB(p, unknown);
        ToB(p, [0xFF]);
        ToB(p, [1, 2, 3]);

        var records = Drain(sun);
        Assert.Equal(["spi:open_failed:unknown_spi", "udp:nat_keepalive:", "udp:malformed_udp:"], records.Select(Drop));
        Assert.Equal("deadbeef", Step(records[0], "spi")["spi"]!.ToString());
        Assert.False((bool)Step(records[0], "spi")["found"]!);
        Assert.All(records, r => Assert.Null(r["connection"]));
    }

    public static TheoryData<string, string> ForgedDrops => new()
    {
        { "truncated", "length:open_failed:truncated" },
        { "misaligned", "length:open_failed:misaligned" },
        { "expired", "lifetime:open_failed:expired" },
        { "bad_padding", "trailer:open_failed:bad_padding" },
        { "dummy", "trailer:open_failed:dummy_packet" },
        { "bad_next_header", "trailer:open_failed:bad_next_header" },
        { "malformed_inner", "inner:open_failed:malformed_inner" },
        { "policy_mismatch", "selectors:open_failed:policy_mismatch" },
        { "no_route", "tun:no_route:" },
    };

    /// <summary>Every drop Inbound.Open can return on the gateway's path (and the route's), with packets the test sealed.</summary>
    [Theory]
    [MemberData(nameof(ForgedDrops))]
    public void Inbound_EachDropReason_StopsAtItsStep_AndNoKeyAppears(string how, string expected)
    {
        var p = Up();
        var reqId = how == "no_route" ? 999u : p.B.Kernel.All.Single().ReqId;
        using var forged = new ForgedSa(0x6000_0001, reqId, SaDirection.Inbound, cbc: how == "misaligned");
        p.B.Kernel.Table.AddInbound(forged.Sa);
        if (how == "expired")
            forged.Sa.Dispose();
        using var trace = p.B.Trace(null, null, TraceDirection.Inbound, 0)!;
        var ping = Ping("10.1.0.5", "10.2.0.7");
        var datagram = how switch
        {
            "truncated" => forged.Raw(8 + 8 + 1 + 16),
            "misaligned" => forged.Raw(8 + 16 + 20 + 16),
            "bad_padding" => forged.Seal(ping, padding: [1, 2, 9], nextHeader: 4),
            "dummy" => forged.Seal(ping, padding: [1, 2], nextHeader: 59),
            "bad_next_header" => forged.Seal(ping, padding: [1, 2], nextHeader: 17),
            "malformed_inner" => forged.Seal([0x45, 0, 0xFF, 0xFF, 0, 0], padding: [1, 2], nextHeader: 4),
            "policy_mismatch" => forged.Seal(Ping("10.9.9.9", "10.2.0.7"), padding: [1, 2], nextHeader: 4),
            _ => forged.Seal(ping, padding: [1, 2], nextHeader: 4),
        };
        ToB(p, datagram);

        var record = Assert.Single(Drain(trace));
        Assert.Equal(expected, Drop(record));
        Assert.Equal(expected.Split(':')[0], Steps(record)[^1]);
        Assert.Empty(p.IoB.Tun);
        var text = record.ToJsonString();
        Assert.DoesNotContain(Convert.ToHexStringLower(forged.Key), text, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexStringLower(forged.Key.AsSpan(0, 8)), text, StringComparison.Ordinal);
        if (how == "policy_mismatch")
        {
            Assert.False((bool)Step(record, "selectors")["source_held"]!);
            Assert.Equal("10.9.9.9", Step(record, "inner")["source"]!.ToString());
        }
        if (how == "bad_padding")
            Assert.Equal("padding octet 3 is 9, not 3", Step(record, "trailer")["problem"]!.ToString());
    }

    // ---- filter and bounds ----

    [Fact]
    public void Filter_ConnectionAndDirection_TakeOnlyTheirPackets()
    {
        var p = Up();
        using var other = p.A.Trace("moon", "other", TraceDirection.Both, 0)!;
        using var inbound = p.A.Trace("moon", null, TraceDirection.Inbound, 0)!;
        using var outbound = p.A.Trace("moon", "net", TraceDirection.Outbound, 0)!;
        Pair.Inject(p.A, "s2s0", Ping("10.1.0.5", "10.2.0.7"));
        Pair.Inject(p.B, "s2s0", Ping("10.2.0.7", "10.1.0.5"));
        p.Pump();

        Assert.Empty(Drain(other));
        Assert.Equal("inbound", Assert.Single(Drain(inbound))["direction"]!.ToString());
        Assert.Equal("outbound", Assert.Single(Drain(outbound))["direction"]!.ToString());
    }

    [Fact]
    public void Handler_UnknownNamesAndTooManyTraces_AreRefusedInOneSentence()
    {
        var p = Up();
        var handler = new CoreControlHandler(p.A);
        Assert.Equal("no connection 'mars'; known: moon", Assert.Throws<ControlException>(() => handler.Trace("mars", null, TraceDirection.Both, 0)).Message);
        Assert.Equal("connection 'moon' has no child 'x'; it has: net", Assert.Throws<ControlException>(() => handler.Trace("moon", "x", TraceDirection.Both, 0)).Message);
        var running = Enumerable.Range(0, PacketTracer.MaxSessions).Select(_ => handler.Trace(null, null, TraceDirection.Both, 0)).ToList();
        Assert.Contains("traces are running already", Assert.Throws<ControlException>(() => handler.Trace(null, null, TraceDirection.Both, 0)).Message, StringComparison.Ordinal);
        foreach (var t in running)
            t.Dispose();
        Assert.Null(p.A.Data.Tracer);
    }

    [Fact]
    public void Count_Reached_TheSessionFinishes_AndTakesNothingMore()
    {
        var p = Up();
        var trace = p.A.Trace(null, null, TraceDirection.Outbound, 2)!;
        for (var i = 0; i < 5; i++)
            Pair.Inject(p.A, "s2s0", Ping("10.1.0.5", "10.2.0.7"));

        Assert.Equal([1L, 2L], Drain(trace).Select(r => (long)r["packet"]!));
        Assert.True(trace.Finished);
        Assert.Equal(5, p.IoA.Udp.Count);
        trace.Dispose();
        Assert.Null(p.A.Data.Tracer);
    }

    [Fact]
    public void Rate_AtMostSoManyASecond_TheRestGoOnUntraced_AndAreCounted()
    {
        var p = Up();
        using var trace = p.A.Trace(null, null, TraceDirection.Outbound, 0)!;
        for (var i = 0; i < TraceSession.PacketsPerSecond + 50; i++)
            Pair.Inject(p.A, "s2s0", Ping("10.1.0.5", "10.2.0.7"));
        Assert.Equal(TraceSession.PacketsPerSecond, Drain(trace).Count);
        Assert.Equal(50, trace.NotTraced);
        Assert.Equal(TraceSession.PacketsPerSecond + 50, p.IoA.Udp.Count);

        p.Clock.Advance(TimeSpan.FromSeconds(1));
        Pair.Inject(p.A, "s2s0", Ping("10.1.0.5", "10.2.0.7"));
        Assert.Equal(50, (long)Assert.Single(Drain(trace))["not_traced_before"]!);
    }

    [Fact]
    public void Queue_ASlowClient_LosesRecords_NeverThePacket_AndIsToldHowMany()
    {
        var p = Up();
        using var trace = p.A.Trace(null, null, TraceDirection.Outbound, 0)!;
        var seconds = TraceSession.QueueLength / TraceSession.PacketsPerSecond + 1;
        for (var s = 0; s < seconds; s++)
        {
            for (var i = 0; i < TraceSession.PacketsPerSecond; i++)
                Pair.Inject(p.A, "s2s0", Ping("10.1.0.5", "10.2.0.7"));
            p.Clock.Advance(TimeSpan.FromSeconds(1));
        }

        var records = Drain(trace);
        Assert.Equal(TraceSession.QueueLength, records.Count);
        Assert.Equal(seconds * TraceSession.PacketsPerSecond - TraceSession.QueueLength, (long)records[0]["dropped_before"]!);
        Assert.Equal(seconds * TraceSession.PacketsPerSecond, p.IoA.Udp.Count);
    }

    /// <summary>A trace whose filter holds none of the traffic costs its packets a look at the filter, and no allocation.</summary>
    [Fact]
    public void TracingOtherPackets_AllocatesNothingForTheseOnes()
    {
        var p = Up();
        var sink = new SinkIo();
        var a = new GatewayCore(TestConfig.Load(InProcessGatewayTests.Config("moon", "192.0.2.1", "192.0.2.2", "moon", "sun", """ "net": { "local_ts": "10.1.0.0/24", "remote_ts": "10.2.0.0/24", "esp_proposals": "aes256gcm16", "start_action": "none" } """, "none")), sink, p.Clock, new SeededRandom(9));
        using var forged = new ForgedSa(0x7000_0001, 1, SaDirection.Outbound, udp: true);
        using var quiet = a.Trace("moon", null, TraceDirection.Inbound, 0)!;
        a.Data.Publish(new DataPathSnapshot
        {
            Routes = new() { [1] = new ChildRoute(1, "moon", "net", "vti0", forged.Sa, AddressA, AddressB, null) },
            ReqIdOfDevice = new(StringComparer.Ordinal) { ["vti0"] = 1 },
            Policies = S2SEndpoint.Gateway.Policy.SecurityPolicyDatabase.Empty,
            KnownIkeSpis = [],
            AcceptedPeers = [],
        });
        var packet = Ping("10.1.0.5", "10.2.0.7", 1300);
        var buffer = new PacketBuffer(4096);
        void Send(int count)
        {
            for (var i = 0; i < count; i++)
            {
                buffer.Load(packet);
                a.OnTun("vti0", buffer);
            }
        }

        Send(200);
        var rounds = new List<long>();
        for (var round = 0; round < 3 && (rounds.Count == 0 || rounds[^1] != 0); round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            Send(2000);
            rounds.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.True(rounds[^1] == 0, $"allocated {string.Join(", ", rounds)} bytes in rounds of 2000 packets");
        Assert.True(sink.Sent >= 2200, $"sent {sink.Sent}; drops {string.Join(", ", a.Counters.Drops.Nonzero())}; esp {string.Join(", ", forged.Sa.Drops.Nonzero())}");
        Assert.Empty(Drain(quiet));
    }

    // ---- helpers ----

    /// <summary>Publishes <paramref name="core"/>'s snapshot with each route changed by <paramref name="change"/>.</summary>
    private static void Republish(GatewayCore core, Func<ChildRoute, ChildRoute> change)
    {
        var now = core.Data.Snapshot;
        core.Data.Publish(new DataPathSnapshot
        {
            Routes = now.Routes.ToDictionary(r => r.Key, r => change(r.Value)),
            ReqIdOfDevice = now.ReqIdOfDevice,
            Policies = now.Policies,
            KnownIkeSpis = now.KnownIkeSpis,
            AcceptedPeers = now.AcceptedPeers,
        });
    }

    private sealed class SinkIo : S2SEndpoint.Gateway.Net.IGatewayIo
    {
        public int Sent;

        public void SendUdp(IPEndPoint local, IPEndPoint remote, ReadOnlySpan<byte> payload) => Sent++;

        public void WriteTun(string device, ReadOnlySpan<byte> packet)
        {
        }

        public void SetCarrier(string device, bool up)
        {
        }

        public void SetVirtualIp(string connection, string device, System.Net.IPAddress address, bool present)
        {
        }
    }

    /// <summary>
    /// An ESP SA with a key the test chose (AES-256-GCM, or AES-256-CBC with HMAC-SHA-256), between B (local) and A,
    /// selectors 10.2.0.0/24 (local) and 10.1.0.0/24 (remote), and the packets the test shapes for it, sealed with .NET's
    /// AesGcm (RFC 4106: nonce = salt and IV, AAD = SPI and sequence number).
    /// </summary>
    private sealed class ForgedSa : IDisposable
    {
        private uint _sequence;

        public ForgedSa(uint spi, uint reqId, SaDirection direction, bool udp = true, bool cbc = false)
        {
            Key = RandomNumberGenerator.GetBytes(cbc ? 32 : 36);
            IntegrityKey = cbc ? RandomNumberGenerator.GetBytes(32) : [];
            var suite = cbc
                ? new ChildSuite(EncryptionTransform.AesCbc(256), Integrity.HmacSha256_128, KeyExchangeMethod.None, false)
                : new ChildSuite(EncryptionTransform.AesGcm16(256), null, KeyExchangeMethod.None, false);
            var inbound = direction == SaDirection.Inbound;
            Sa = EspSa.Create(new EspSaSettings
            {
                Spi = spi,
                ReqId = reqId,
                Direction = direction,
                LocalAddress = (inbound ? AddressB : AddressA).Address,
                RemoteAddress = (inbound ? AddressA : AddressB).Address,
                UdpEncapsulation = udp,
                LocalSelectors = [TrafficSelector.FromPrefix(IPAddress.Parse(inbound ? "10.2.0.0" : "10.1.0.0"), 24)],
                RemoteSelectors = [TrafficSelector.FromPrefix(IPAddress.Parse(inbound ? "10.1.0.0" : "10.2.0.0"), 24)],
            }, suite, Key, IntegrityKey);
        }

        public EspSa Sa { get; }
        public byte[] Key { get; }
        public byte[] IntegrityKey { get; }

        /// <summary>SPI, the next sequence number and <paramref name="length"/> - 8 octets of zeros.</summary>
        public byte[] Raw(int length)
        {
            var packet = new byte[length];
            BinaryPrimitives.WriteUInt32BigEndian(packet, Sa.Spi);
            BinaryPrimitives.WriteUInt32BigEndian(packet.AsSpan(4), ++_sequence);
            return packet;
        }

        /// <summary><paramref name="payload"/>, <paramref name="padding"/>, Pad Length and <paramref name="nextHeader"/>, sealed.</summary>
        public byte[] Seal(byte[] payload, byte[] padding, byte nextHeader)
        {
            var text = new byte[payload.Length + padding.Length + 2];
            payload.CopyTo(text, 0);
            padding.CopyTo(text, payload.Length);
            text[^2] = (byte)padding.Length;
            text[^1] = nextHeader;
            var packet = Raw(8 + 8 + text.Length + 16);
            var iv = packet.AsSpan(8, 8);
            BinaryPrimitives.WriteUInt64BigEndian(iv, _sequence);
            Span<byte> nonce = stackalloc byte[12];
            Key.AsSpan(32, 4).CopyTo(nonce);
            iv.CopyTo(nonce[4..]);
            using var gcm = new AesGcm(Key.AsSpan(0, 32), 16);
            gcm.Encrypt(nonce, text, packet.AsSpan(16, text.Length), packet.AsSpan(16 + text.Length, 16), packet.AsSpan(0, 8));
            return packet;
        }

        public void Dispose() => Sa.Dispose();
    }
}
