using System.Buffers.Binary;
using System.Net;
using System.Text.Json.Nodes;
using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Policy;

namespace S2SEndpoint.Gateway.Tracing;

/// <summary>
/// One outbound packet's record: the device and queue it came from, its inner headers (read before the seal encrypts
/// them in place), the policy that took it or why none did, the SA, and after the seal the ESP packet as it leaves
/// (SPI, sequence number, IV, padding and Next Header, the ICV's first octets), its outer headers and its size on the
/// wire; or the step where it was dropped.
/// </summary>
internal sealed class OutboundTrace : PacketTrace
{
    /// <summary>Policies a record lists when none holds the packet.</summary>
    private const int MaxPoliciesShown = 16;

    private readonly int _innerLength;
    private readonly int _innerVersion;

    public OutboundTrace(TakenBy[] sessions, DateTimeOffset at, DataPathSnapshot snapshot, string device, int queue, ChildRoute? route, ReadOnlySpan<byte> inner)
        : base(sessions, "outbound", at, route)
    {
        var tun = Step("tun");
        tun["device"] = device;
        tun["queue"] = queue;
        tun["octets"] = inner.Length;
        InnerHeaders.Describe(inner, Step("inner"));
        IpPacket.TryReadLength(inner, out _innerVersion, out _innerLength);
        PolicyStep(snapshot, device, inner);
    }

    /// <summary>Route-based: the device's child. Policy-based: the policy that held the packet, or each policy and what it did not hold.</summary>
    private void PolicyStep(DataPathSnapshot snapshot, string device, ReadOnlySpan<byte> inner)
    {
        var step = Step("policy");
        if (snapshot.ReqIdOfDevice.TryGetValue(device, out var reqId))
        {
            step["kind"] = "route-based";
            step["matched"] = true;
            step["reqid"] = reqId;
            step["detail"] = $"every packet from {device} belongs to its child";
            return;
        }
        step["kind"] = "policy-based";
        if (!IpPacket.TryReadFlow(inner, out var ipv6, out var source, out var destination, out var protocol, out var sourcePort, out var destinationPort))
        {
            step["matched"] = false;
            step["detail"] = "the packet is not a readable IPv4 or IPv6 packet, so no policy can hold it";
            return;
        }
        var verdicts = snapshot.Policies.Explain(ipv6, source, destination, protocol, sourcePort, destinationPort);
        var matched = verdicts.FirstOrDefault(v => v.Holds);
        if (matched is not null)
        {
            step["matched"] = true;
            Policy(step, matched, snapshot);
            if (matched.Trap)
                step["detail"] = "a trap policy (start_action trap): the child has no SA yet";
            return;
        }
        step["matched"] = false;
        step["detail"] = verdicts.Count == 0
            ? $"no policy-based child has an SA or a trap, and {device} is no route-based child's device"
            : $"none of {verdicts.Count} policies holds this source and destination";
        var candidates = new JsonArray();
        foreach (var v in verdicts.Take(MaxPoliciesShown))
        {
            var candidate = new JsonObject();
            Policy(candidate, v, snapshot);
            candidate["source_held"] = v.SourceHeld;
            candidate["destination_held"] = v.DestinationHeld;
            candidates.Add(candidate);
        }
        step["policies"] = candidates;
    }

    private static void Policy(JsonObject into, SecurityPolicyDatabase.Verdict policy, DataPathSnapshot snapshot)
    {
        if (snapshot.Routes.TryGetValue(policy.ReqId, out var owner))
        {
            into["connection"] = owner.Connection;
            into["child"] = owner.Child;
        }
        into["reqid"] = policy.ReqId;
        into["trap"] = policy.Trap;
        into["local_ts"] = Selectors(policy.Local);
        into["remote_ts"] = Selectors(policy.Remote);
    }

    /// <summary>After the policy, before the SA: the clamp changed the inner packet before the seal encrypts it.</summary>
    public override void MssClamped(ushort previous, ushort maximum) => Guard(() => Steps.Add(MssStep(previous, maximum)));

    /// <summary>Dropped before the seal: no policy, no SA (and no trap), or an SA a user-mode gateway cannot send with.</summary>
    public void Drop(GatewayDropReason reason, EspSa? sa = null) => Guard(() =>
    {
        switch (reason)
        {
            case GatewayDropReason.NoPolicy:
                Dropped("policy", Name(reason), "no policy holds the packet: dropped, never sent in clear");
                break;
            case GatewayDropReason.NoSa:
                Step("sa")["found"] = false;
                Dropped("sa", Name(reason), "the child has no Child SA now and no trap to hold the packet: dropped, never sent in clear");
                break;
            default:
                if (sa is not null)
                    SaStep(sa);
                Dropped("sa", Name(reason), "the SA is not UDP-encapsulated, and this gateway sends ESP only in UDP (RFC 3948)");
                break;
        }
    });

    /// <summary>A trapped child without an SA yet holds the packet until its SA is up.</summary>
    public void Held() => Guard(() =>
    {
        var step = Step("sa");
        step["found"] = false;
        step["trap"] = true;
        step["detail"] = "start_action trap: the packet waits while the Child SA comes up";
        Finish("held");
    });

    /// <summary>The seal refused the packet (its reason is counted on the SA).</summary>
    public void SealFailed(EspSa sa, DropReason reason) => Guard(() =>
    {
        SaStep(sa);
        Dropped("seal", Name(GatewayDropReason.SealFailed), Explain(reason), reason);
    });

    /// <summary>
    /// The sealed ESP packet in <paramref name="esp"/> (SPI to ICV), sent from <paramref name="local"/> to <paramref name="remote"/>.
    /// Pad Length and Next Header are encrypted: they are worked out from the lengths and the inner IP version, as the
    /// seal chose them (RFC 4303 2.4, 2.6).
    /// </summary>
    public void Sent(EspSa sa, ReadOnlySpan<byte> esp, IPEndPoint local, IPEndPoint remote)
    {
        var packet = esp.ToArray();
        // The counter may have moved on by packets other workers sealed since: the high half is the last number's,
        // less the distance in the low half.
        var last = sa.LastSequenceNumber;
        Guard(() =>
        {
            SaStep(sa);
            var step = Step("esp");
            var ivLength = sa.Suite.Encryption.IvSize;
            var icvLength = IcvSize(sa.Suite);
            var textLength = packet.Length - EspHeader - ivLength - icvLength;
            var low = BinaryPrimitives.ReadUInt32BigEndian(packet.AsSpan(4));
            var sequence = last - unchecked((uint)last - low);
            step["spi"] = Hex32(BinaryPrimitives.ReadUInt32BigEndian(packet));
            step["sequence"] = sequence;
            if (sa.ExtendedSequenceNumbers)
                step["sequence_high"] = sequence >> 32;
            step["iv"] = Hex(packet.AsSpan(EspHeader, ivLength));
            step["iv_offset"] = EspHeader;
            step["payload_offset"] = EspHeader + ivLength;
            step["payload_length"] = _innerLength;
            step["pad_length"] = textLength - _innerLength - TrailerSize;
            step["pad_length_offset"] = EspHeader + ivLength + textLength - TrailerSize;
            var nextHeader = _innerVersion == 4 ? IpProtocol.Ipv4 : IpProtocol.Ipv6;
            step["next_header"] = nextHeader;
            step["next_header_name"] = NextHeaderName(nextHeader);
            step["encrypted_length"] = textLength;
            step["icv"] = Hex(packet.AsSpan(packet.Length - icvLength, Math.Min(IcvShown, icvLength)));
            step["icv_offset"] = packet.Length - icvLength;
            step["icv_length"] = icvLength;
            step["length"] = packet.Length;
            OuterStep(local, remote, packet.Length);
            Finish("sent");
        });
    }

    private void SaStep(EspSa sa)
    {
        var step = Step("sa");
        step["found"] = true;
        step["reqid"] = sa.ReqId;
        step["spi"] = Hex32(sa.Spi);
        Transform(sa.Suite, step);
        step["udp_encapsulation"] = sa.IsUdpEncapsulated;
    }

    private const int EspHeader = 8;
    private const int TrailerSize = 2;
}
