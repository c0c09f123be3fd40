using System.Buffers.Binary;
using System.Net;
using System.Text.Json.Nodes;
using S2SEndpoint.Esp;

namespace S2SEndpoint.Gateway.Tracing;

/// <summary>
/// One inbound datagram's record, in the order <see cref="Inbound"/> checks it: the outer headers, what the UDP payload
/// is, the SPI lookup, the length against the SA, the replay window (its right edge and where the sequence number falls),
/// the ICV, the padding and Next Header, the inner headers, the selectors, and the tunnel device it went to; or the step
/// where it stopped. The ESP library opens the packet as it always does: what it cannot say from outside (the window's
/// edge, the header and IV, the ICV) is read before the open, and the trailer after it, from the same buffer. A drop
/// reason from the open tells which checks passed before it: they ran in that order.
/// </summary>
internal sealed class InboundTrace : PacketTrace
{
    private const int EspHeader = 8;
    private const int TrailerSize = 2;

    private readonly PacketBuffer? _buffer;
    private readonly int _espStart;
    private readonly int _espLength;
    private readonly EspSa? _sa;
    private readonly uint _sequenceLow;
    private readonly ulong _edgeBefore;
    private readonly string _iv = "";
    private readonly string _icv = "";
    private JsonObject? _mss;

    /// <summary>
    /// A datagram from <paramref name="remote"/> to <paramref name="local"/> on port 4500 whose payload is of
    /// <paramref name="kind"/>; for ESP, <paramref name="buffer"/> holds it and <paramref name="sa"/> is the inbound SA its
    /// SPI names now (null: none), read before the open.
    /// </summary>
    public InboundTrace(TakenBy[] sessions, DateTimeOffset at, IPEndPoint local, IPEndPoint remote, UdpPayloadKind kind, PacketBuffer buffer, EspSa? sa, ChildRoute? route)
        : base(sessions, "inbound", at, route)
    {
        var payload = buffer.Data;
        OuterStep(remote, local, payload.Length);
        var udp = Step("udp");
        udp["kind"] = kind switch
        {
            UdpPayloadKind.Esp => "esp",
            UdpPayloadKind.NatKeepalive => "nat_keepalive",
            _ => "malformed",
        };
        udp["payload_octets"] = payload.Length;
        if (kind != UdpPayloadKind.Esp)
            return;
        _buffer = buffer;
        _espStart = buffer.Offset;
        _espLength = payload.Length;
        _sa = sa;
        var spi = BinaryPrimitives.ReadUInt32BigEndian(payload);
        _sequenceLow = BinaryPrimitives.ReadUInt32BigEndian(payload[4..]);
        var step = Step("spi");
        step["spi"] = Hex32(spi);
        step["found"] = sa is not null;
        if (sa is null)
            return;
        step["reqid"] = sa.ReqId;
        Transform(sa.Suite, step);
        var ivLength = sa.Suite.Encryption.IvSize;
        var icvLength = IcvSize(sa.Suite);
        if (payload.Length >= EspHeader + ivLength)
            _iv = Hex(payload.Slice(EspHeader, ivLength));
        if (payload.Length >= EspHeader + ivLength + icvLength)
            _icv = Hex(payload[^icvLength..][..Math.Min(IcvShown, icvLength)]);
        _edgeBefore = sa.LastSequenceNumber;
    }

    /// <summary>A NAT keepalive or a malformed payload: counted by the gateway, and no further.</summary>
    public void NotEsp(UdpPayloadKind kind) => Guard(() =>
    {
        if (kind == UdpPayloadKind.NatKeepalive)
            Dropped("udp", Name(DropReason.NatKeepalive), "a NAT keepalive, the single octet 0xFF (RFC 3948 2.3): counted, and nothing to deliver");
        else
            Dropped("udp", Name(GatewayDropReason.MalformedUdp), "neither ESP (8 octets or more, a non-zero SPI), IKE behind its non-ESP marker, nor a NAT keepalive (RFC 3948 2.2)");
    });

    /// <summary>The open refused the packet for <paramref name="reason"/>: the checks before that one passed.</summary>
    public void OpenFailed(DropReason reason) => Guard(() =>
    {
        var open = Name(GatewayDropReason.OpenFailed);
        if (reason == DropReason.UnknownSpi || _sa is null)
        {
            Dropped("spi", open, Explain(reason), reason);
            return;
        }
        if (reason is DropReason.Truncated or DropReason.Misaligned)
        {
            LengthStep(false);
            Dropped("length", open, Explain(reason), reason);
            return;
        }
        LengthStep(true);
        if (reason == DropReason.Expired)
        {
            Step("lifetime")["expired"] = true;
            Dropped("lifetime", open, Explain(reason), reason);
            return;
        }
        ReplayStep(reason == DropReason.Replayed);
        if (reason == DropReason.Replayed)
        {
            Dropped("replay", open, Explain(reason), reason);
            return;
        }
        IcvStep(reason != DropReason.IcvMismatch);
        if (reason == DropReason.IcvMismatch)
        {
            Dropped("icv", open, Explain(reason), reason);
            return;
        }
        var payload = TrailerStep(reason);
        if (reason is DropReason.BadPadding or DropReason.DummyPacket or DropReason.BadNextHeader)
        {
            Dropped("trailer", open, Explain(reason), reason);
            return;
        }
        InnerHeaders.Describe(payload, Step("inner"));
        if (reason == DropReason.MalformedInner)
        {
            Dropped("inner", open, Explain(reason), reason);
            return;
        }
        SelectorStep(payload);
        Dropped("selectors", open, Explain(reason), reason);
    });

    /// <summary>After the open, before the device: the record shows it between the selectors and the TUN write.</summary>
    public override void MssClamped(ushort previous, ushort maximum) => Guard(() => _mss = MssStep(previous, maximum));

    /// <summary>The open passed every check; the inner packet is <paramref name="sa"/>'s and went to <paramref name="device"/> (null: no route).</summary>
    public void Opened(EspSa sa, PacketBuffer buffer, string? device)
    {
        var innerStep = new JsonObject { ["step"] = "inner" };
        // A fault in reading the headers loses the record, never the packet.
        Guard(() => InnerHeaders.Describe(buffer.Data, innerStep));
        Guard(() =>
        {
            LengthStep(true);
            ReplayStep(false);
            IcvStep(true);
            TrailerStep(DropReason.None);
            Steps.Add(innerStep);
            var selectors = Step("selectors");
            selectors["local_ts"] = Selectors(sa.Settings.LocalSelectors);
            selectors["remote_ts"] = Selectors(sa.Settings.RemoteSelectors);
            selectors["source_held"] = true;
            selectors["destination_held"] = true;
            if (_mss is not null)
                Steps.Add(_mss);
            var tun = Step("tun");
            if (device is null)
            {
                tun["device"] = null;
                Dropped("tun", Name(GatewayDropReason.NoRoute), "the SA's child has no route now (a reload removed or changed it)");
                return;
            }
            tun["device"] = device;
            tun["octets"] = buffer.Length;
            Finish("delivered");
        });
    }

    /// <summary>RFC 4303 3.4.2: the packet's length against the SA's header, IV, trailer, ICV and cipher block.</summary>
    private void LengthStep(bool passed)
    {
        var suite = _sa!.Suite;
        var step = Step("length");
        var ivLength = suite.Encryption.IvSize;
        var icvLength = IcvSize(suite);
        var text = _espLength - EspHeader - ivLength - icvLength;
        step["esp_octets"] = _espLength;
        step["minimum"] = EspHeader + ivLength + TrailerSize + icvLength;
        step["encrypted_length"] = text;
        step["block_size"] = suite.Encryption.BlockSize;
        step["passed"] = passed;
    }

    /// <summary>
    /// RFC 4303 3.4.3 and Appendix A: where the sequence number falls against the window's right edge T, as it stood
    /// before the open. Without ESN the number is the 32 bits sent. With ESN only the low half is sent, and a number
    /// whose low half lies within the window's size below T's is in the window, any other is ahead of it (RFC 4303
    /// A2.2); the window infers the high half the same way, and it enters the ICV.
    /// </summary>
    private void ReplayStep(bool replayed)
    {
        var sa = _sa!;
        var size = (ulong)sa.Settings.ReplayWindowSize;
        var edge = _edgeBefore;
        var step = Step("replay");
        step["sequence_low"] = _sequenceLow;
        step["window_size"] = size;
        step["right_edge"] = edge;
        step["left_edge"] = edge >= size ? edge - size + 1 : 1;
        ulong sequence;
        if (sa.ExtendedSequenceNumbers)
        {
            var below = (ulong)unchecked((uint)edge - _sequenceLow);
            sequence = below < size && below <= edge ? edge - below : edge + unchecked(_sequenceLow - (uint)edge);
        }
        else
        {
            sequence = _sequenceLow;
        }
        step["sequence"] = sequence;
        if (sa.ExtendedSequenceNumbers)
            step["sequence_high"] = sequence >> 32;
        if (sequence > edge)
        {
            step["position"] = "ahead";
            step["ahead_by"] = sequence - edge;
        }
        else if (edge - sequence >= size || sequence == 0)
        {
            step["position"] = "left";
        }
        else
        {
            step["position"] = "window";
            step["offset"] = edge - sequence;
            step["seen"] = replayed;
        }
        step["passed"] = !replayed;
    }

    /// <summary>RFC 4303 3.4.4: the ICV; once it verified, the window moved (RFC 4303 3.4.3: "only if the integrity verification succeeds").</summary>
    private void IcvStep(bool verified)
    {
        var step = Step("icv");
        var icvLength = IcvSize(_sa!.Suite);
        step["iv"] = _iv;
        step["iv_offset"] = EspHeader;
        step["icv"] = _icv;
        step["icv_offset"] = _espLength - icvLength;
        step["icv_length"] = icvLength;
        step["verified"] = verified;
        if (verified)
            step["right_edge_after"] = _sa.LastSequenceNumber;
    }

    /// <summary>RFC 4303 2.4 and 2.6: Pad Length, the padding 1, 2, 3 ... and Next Header, read after decryption; returns the payload before them.</summary>
    private ReadOnlySpan<byte> TrailerStep(DropReason reason)
    {
        var suite = _sa!.Suite;
        var array = _buffer!.Array;
        var textStart = _espStart + EspHeader + suite.Encryption.IvSize;
        var textLength = _espLength - EspHeader - suite.Encryption.IvSize - IcvSize(suite);
        var nextHeader = array[textStart + textLength - 1];
        int padLength = array[textStart + textLength - 2];
        var payloadLength = textLength - TrailerSize - padLength;
        var step = Step("trailer");
        step["pad_length"] = padLength;
        step["pad_length_offset"] = textStart - _espStart + textLength - TrailerSize;
        step["next_header"] = nextHeader;
        step["next_header_name"] = NextHeaderName(nextHeader);
        step["payload_length"] = Math.Max(0, payloadLength);
        step["passed"] = reason is not (DropReason.BadPadding or DropReason.DummyPacket or DropReason.BadNextHeader);
        if (reason == DropReason.BadPadding)
        {
            if (payloadLength < 0)
            {
                step["problem"] = $"Pad Length {padLength} is more than the {textLength - TrailerSize} octets before it";
            }
            else
            {
                for (var i = 0; i < padLength; i++)
                {
                    var octet = array[textStart + payloadLength + i];
                    if (octet != i + 1)
                    {
                        step["problem"] = $"padding octet {i + 1} is {octet}, not {i + 1}";
                        break;
                    }
                }
            }
        }
        return payloadLength < 0 ? default : array.AsSpan(textStart, payloadLength);
    }

    /// <summary>RFC 4301 5.2: the inner source inside the peer's selectors, the destination inside ours.</summary>
    private void SelectorStep(ReadOnlySpan<byte> payload)
    {
        var sa = _sa!;
        var step = Step("selectors");
        step["local_ts"] = Selectors(sa.Settings.LocalSelectors);
        step["remote_ts"] = Selectors(sa.Settings.RemoteSelectors);
        if (!IpPacket.TryReadLength(payload, out _, out var length) ||
            !IpPacket.TryReadFlow(payload[..length], out var ipv6, out var source, out var destination, out var protocol, out var sourcePort, out var destinationPort))
            return;
        step["source_held"] = Holds(sa.Settings.RemoteSelectors, ipv6, source, protocol, sourcePort);
        step["destination_held"] = Holds(sa.Settings.LocalSelectors, ipv6, destination, protocol, destinationPort);
    }

    private static bool Holds(IReadOnlyList<Ike.Messages.TrafficSelector> selectors, bool ipv6, UInt128 address, byte protocol, int port)
    {
        var converted = new Selector[selectors.Count];
        for (var i = 0; i < converted.Length; i++)
            converted[i] = Selector.FromTrafficSelector(selectors[i]);
        return Selector.AnyMatches(converted, ipv6, address, protocol, port);
    }
}
