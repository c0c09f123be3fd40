using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Control;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Gateway.Tracing;

/// <summary>
/// The record of one traced packet as the data path builds it, step by step in packet order, and hands it to the
/// sessions that took the packet when it is sent, delivered or dropped. One JSON object:
/// <code>
/// { "packet": 7, "time": "...", "direction": "outbound", "connection": "moon", "child": "net",
///   "steps": [ { "step": "tun", ... }, { "step": "inner", ... }, ... ],
///   "result": "sent" | "delivered" | "held" | "dropped",
///   "drop": { "step": "policy", "reason": "no_policy", "esp_reason": "...", "detail": "..." } }
/// </code>
/// Only packets a session took get one, so nothing here runs for a packet nobody traces. What goes in is header
/// fields, lengths, the IV and the first octets of the ICV: never a key, never payload beyond the inner headers.
/// A fault while recording is caught here: the trace loses the record (counted), the packet goes on.
/// </summary>
internal abstract class PacketTrace
{
    /// <summary>Octets of the ICV a record shows.</summary>
    public const int IcvShown = 8;

    private readonly TakenBy[] _sessions;
    private bool _finished;

    protected PacketTrace(TakenBy[] sessions, string direction, DateTimeOffset at, ChildRoute? route)
    {
        _sessions = sessions;
        Steps = [];
        Record = new JsonObject
        {
            ["packet"] = 0,
            ["time"] = at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture),
            ["direction"] = direction,
        };
        if (route is not null)
            Attribute(route.Connection, route.Child);
        Record["steps"] = Steps;
    }

    protected JsonObject Record { get; }
    protected JsonArray Steps { get; }

    protected void Attribute(string connection, string child)
    {
        Record["connection"] = connection;
        Record["child"] = child;
    }

    /// <summary>Adds the next step of the packet's way.</summary>
    protected JsonObject Step(string name)
    {
        var step = new JsonObject { ["step"] = name };
        Steps.Add(step);
        return step;
    }

    /// <summary>Ends the record with the packet's fate and hands it to every session that took the packet.</summary>
    protected void Finish(string result, JsonObject? drop = null)
    {
        if (_finished)
            return;
        _finished = true;
        Record["result"] = result;
        if (drop is not null)
            Record["drop"] = drop;
        for (var i = 0; i < _sessions.Length; i++)
            _sessions[i].Session.Publish(i == _sessions.Length - 1 ? Record : (JsonObject)Record.DeepClone(), _sessions[i].Packet);
    }

    /// <summary>Ends the record as dropped at <paramref name="step"/>.</summary>
    protected void Dropped(string step, string reason, string detail, DropReason esp = DropReason.None)
    {
        var drop = new JsonObject { ["step"] = step, ["reason"] = reason };
        if (esp != DropReason.None)
            drop["esp_reason"] = Name(esp);
        drop["detail"] = detail;
        Finish("dropped", drop);
    }

    /// <summary>
    /// Runs one recording step; a fault in it (a bug in the trace, never the packet's) abandons the record in every
    /// session that took the packet, so that their counts still end, and lets the packet go on.
    /// </summary>
    protected void Guard(Action record)
    {
        if (_finished)
            return;
        try
        {
            record();
        }
#pragma warning disable CA1031 // Tracing must never take a packet down with it.
        catch (Exception e) when (e is not OutOfMemoryException)
#pragma warning restore CA1031
        {
            _finished = true;
            foreach (var t in _sessions)
                t.Session.Abandon();
        }
    }

    /// <summary>The clamp lowered a SYN's MSS option from <paramref name="previous"/> to <paramref name="maximum"/> (children.NAME.mss_clamp).</summary>
    public abstract void MssClamped(ushort previous, ushort maximum);

    /// <summary>The "mss" step: the MSS a SYN offered and the child's maximum it carries now.</summary>
    protected static JsonObject MssStep(ushort previous, ushort maximum) => new()
    {
        ["step"] = "mss",
        ["from"] = previous,
        ["to"] = maximum,
        ["detail"] = "TCP MSS option of a SYN lowered to the child's mss_clamp (RFC 9293 3.7.1)",
    };

    /// <summary>A drop reason as status and metrics name it: no_policy, icv_mismatch.</summary>
    public static string Name<TReason>(TReason reason) where TReason : struct, Enum =>
        JsonNamingPolicy.SnakeCaseLower.ConvertName(reason.ToString());

    public static string Hex(ReadOnlySpan<byte> octets) => Convert.ToHexStringLower(octets);

    public static string Hex32(uint value) => value.ToString("x8", CultureInfo.InvariantCulture);

    /// <summary>The outer IP and UDP headers of a datagram with <paramref name="payload"/> octets of UDP payload between two endpoints.</summary>
    protected void OuterStep(IPEndPoint source, IPEndPoint destination, int payload)
    {
        var step = Step("outer");
        var ipv6 = source.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        var ipHeader = ipv6 ? IpPacket.Ipv6HeaderSize : IpPacket.Ipv4HeaderSize;
        var udpLength = PacketBuffer.UdpHeaderSize + payload;
        step["version"] = ipv6 ? 6 : 4;
        step["source"] = source.Address.ToString();
        step["destination"] = destination.Address.ToString();
        step["ip_header_length"] = ipHeader;
        step["ip_length"] = ipHeader + udpLength;
        step["protocol"] = "UDP";
        step["source_port"] = source.Port;
        step["destination_port"] = destination.Port;
        step["udp_length"] = udpLength;
        step["wire_octets"] = ipHeader + udpLength;
    }

    /// <summary>An SA's transform, as the trace names it: "AesGcm16 256-bit", "AesCbc 256-bit, HmacSha2_256_128".</summary>
    protected static void Transform(ChildSuite suite, JsonObject step)
    {
        var encryption = suite.Encryption;
        step["encryption"] = encryption.KeyBits > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{encryption.Algorithm} {encryption.KeyBits}-bit")
            : encryption.Algorithm.ToString();
        if (suite.Integrity is { } integrity)
            step["integrity"] = integrity.Algorithm.ToString();
        step["iv_length"] = encryption.IvSize;
        step["icv_length"] = IcvSize(suite);
        step["block_size"] = encryption.BlockSize;
        step["esn"] = suite.ExtendedSequenceNumbers;
    }

    protected static int IcvSize(ChildSuite suite) => suite.Encryption.IsAead ? suite.Encryption.IcvSize : suite.Integrity?.IcvSize ?? 0;

    /// <summary>Selectors as status writes them: "10.1.0.0/24,10.3.0.0/24".</summary>
    protected static string Selectors(IReadOnlyList<TrafficSelector> selectors)
    {
        var text = new string[selectors.Count];
        for (var i = 0; i < text.Length; i++)
            text[i] = selectors[i].ToString();
        return string.Join(',', text);
    }

    /// <summary>Next Header as RFC 4303 2.6 names its values.</summary>
    protected static string NextHeaderName(byte value) => value switch
    {
        IpProtocol.Ipv4 => "IPv4",
        IpProtocol.Ipv6 => "IPv6",
        IpProtocol.NoNextHeader => "no next header (dummy packet)",
        _ => string.Create(CultureInfo.InvariantCulture, $"protocol {value}"),
    };

    /// <summary>What an ESP drop means, in one sentence.</summary>
    protected static string Explain(DropReason reason) => reason switch
    {
        DropReason.Truncated => "shorter than the ESP header, IV, Pad Length, Next Header and ICV of its SA",
        DropReason.Misaligned => "the encrypted part is not a whole number of cipher blocks",
        DropReason.UnknownSpi => "no inbound SA has this SPI (RFC 4303 3.4.2)",
        DropReason.Expired => "the SA is past its hard lifetime, or deleted",
        DropReason.Replayed => "the sequence number was seen before, or is left of the anti-replay window (RFC 4303 3.4.3)",
        DropReason.IcvMismatch => "the ICV does not match: tampered, corrupted or sealed with another key (RFC 4303 3.4.4)",
        DropReason.BadPadding => "the padding is not 1, 2, 3 ... or longer than the payload (RFC 4303 2.4)",
        DropReason.DummyPacket => "Next Header 59: a dummy packet, discarded without error (RFC 4303 2.6)",
        DropReason.BadNextHeader => "Next Header is neither 4 (IPv4) nor 41 (IPv6): not tunnel mode",
        DropReason.MalformedInner => "the inner packet's IP header is malformed, or not the version Next Header names",
        DropReason.PolicyMismatch => "the inner addresses are outside the SA's traffic selectors (RFC 4301 5.2)",
        DropReason.HopLimitExceeded => "the inner TTL or hop limit would reach 0 when forwarded (RFC 1812 5.3.1)",
        DropReason.SequenceExhausted => "the next sequence number would cycle (RFC 4303 3.3.3)",
        DropReason.NoRoom => "no room in the buffer for the ESP header, IV, padding and ICV",
        _ => Name(reason),
    };
}

/// <summary>A session that took a packet, and the packet's number in it (the order packets came in, from 1).</summary>
internal readonly record struct TakenBy(TraceSession Session, long Packet);
