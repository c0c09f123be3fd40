using System.Buffers.Binary;
using System.Net;
using Microsoft.Extensions.Logging;
using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Gateway.Net;
using S2SEndpoint.Gateway.Policy;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway;

/// <summary>
/// The gateway without its sockets and devices: it joins the IKE engine, the ESP data plane and the
/// policies. What arrives goes in through <see cref="OnUdp"/> (IKE on 500, IKE and ESP on 4500) and
/// <see cref="OnTun"/> (inner packets from a tunnel device); what leaves goes out through
/// <see cref="IGatewayIo"/>. The daemon drives it from its sockets, TUN devices and a timer; tests drive
/// two of them against each other in memory.
///
/// Outbound: TUN, device or policy lookup, the child's current outbound SA, seal, UDP to the peer's 4500.
/// Inbound: UDP on 4500, non-ESP marker or keepalive or ESP, open, the child's device.
/// </summary>
public sealed class GatewayCore
{
    private readonly GatewayConfig _config;
    private readonly IGatewayIo _io;
    private readonly TimeProvider _time;
    private const int MaxEvents = 200;
    private readonly Queue<IkeEvent> _events = new();
    private readonly Dictionary<(string Connection, string Child), string?> _deviceOfChild = [];
    private readonly Dictionary<uint, string> _deviceOfReqId = [];
    private readonly Dictionary<string, uint> _reqIdOfDevice = new(StringComparer.Ordinal);

    public GatewayCore(GatewayConfig config, IGatewayIo io, TimeProvider time, IRandomSource random, ILoggerFactory? logs = null, string? sharedDevice = null)
    {
        _config = config;
        _io = io;
        _time = time;
        SharedDevice = sharedDevice ?? config.Settings.TunName;
        Kernel = new EspKernel(new SaTable(), random, time, config.Settings.ReplayWindow);
        Kernel.Changed += OnChildSaChanged;
        Engine = new IkeEngine(config.Connections, Kernel, time, random, (logs ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger("ike"));
        foreach (var r in config.Routing)
            _deviceOfChild[(r.Connection, r.Child)] = r.Interface;
    }

    /// <summary>The configuration this core was made from (read by `s2s status`).</summary>
    public GatewayConfig Config => _config;

    public IkeEngine Engine { get; }
    public EspKernel Kernel { get; }
    public SecurityPolicyDatabase Policies { get; } = new();
    public GatewayCounters Counters { get; } = new();

    /// <summary>The most recent SA events, oldest first.</summary>
    public IReadOnlyCollection<IkeEvent> RecentEvents => _events;

    /// <summary>The tunnel device of policy-based children.</summary>
    public string SharedDevice { get; }

    /// <summary>Brings up the children whose start_action is start.</summary>
    public void Start()
    {
        foreach (var c in _config.Connections)
        {
            foreach (var child in c.Children.Where(x => x.StartAction == StartAction.Start))
                Engine.Initiate(c.Name, child.Name);
        }
        Flush();
    }

    /// <summary>One UDP datagram received on <paramref name="local"/> from <paramref name="remote"/>, in <paramref name="buffer"/>'s window.</summary>
    public void OnUdp(IPEndPoint local, IPEndPoint remote, PacketBuffer buffer)
    {
        var payload = buffer.Data;
        if (local.Port != UdpEncapsulation.Port)
        {
            Engine.Receive(new Datagram(local, remote, payload.ToArray()));
            Flush();
            return;
        }
        switch (UdpEncapsulation.Classify(payload))
        {
            case UdpPayloadKind.Ike:
                // RFC 3948 2.2: the non-ESP marker says an IKE message follows.
                Engine.Receive(new Datagram(local, remote, payload[UdpEncapsulation.NonEspMarkerSize..].ToArray()));
                Flush();
                return;
            case UdpPayloadKind.NatKeepalive:
                Counters.CountKeepalive();
                return;
            case UdpPayloadKind.Esp:
                ReceiveEsp(buffer);
                return;
            default:
                Counters.CountMalformedUdp();
                return;
        }
    }

    private void ReceiveEsp(PacketBuffer buffer)
    {
        if (Inbound.Open(Kernel.Table, buffer, out var sa) != DropReason.None || sa is null)
        {
            Counters.CountOpenFailed();
            return;
        }
        if (Kernel.TryGetByInboundSpi(sa.Spi, out var installed))
            installed.TouchInbound(_time.GetTimestamp());
        if (_deviceOfReqId.TryGetValue(sa.ReqId, out var device))
            _io.WriteTun(device, buffer.Data);
    }

    /// <summary>One inner packet read from tunnel device <paramref name="device"/>, in <paramref name="buffer"/>'s window.</summary>
    public void OnTun(string device, PacketBuffer buffer)
    {
        if (!_reqIdOfDevice.TryGetValue(device, out var reqId) && !LookupPolicy(buffer.Data, out reqId))
        {
            Counters.CountNoPolicy();
            return;
        }
        if (!Kernel.Table.TryGetOutbound(reqId, out var sa))
        {
            Counters.CountNoSa();
            return;
        }
        if (!sa.IsUdpEncapsulated)
        {
            Counters.CountNotEncapsulated();
            return;
        }
        if (Outbound.Seal(sa, buffer) != DropReason.None)
        {
            Counters.CountSealFailed();
            return;
        }
        var settings = sa.Settings;
        _io.SendUdp(new IPEndPoint(settings.LocalAddress, settings.LocalPort), new IPEndPoint(settings.RemoteAddress, settings.RemotePort), buffer.Data);
    }

    private bool LookupPolicy(ReadOnlySpan<byte> packet, out uint reqId)
    {
        reqId = 0;
        if (packet.Length >= 20 && packet[0] >> 4 == 4)
        {
            var headerLength = (packet[0] & 0x0F) * 4;
            // Ports only in the first fragment (fragment offset zero).
            var first = (BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x1FFF) == 0;
            var (sourcePort, destinationPort) = Ports(packet, packet[9], headerLength, first);
            return Policies.TryLookup(false, BinaryPrimitives.ReadUInt32BigEndian(packet[12..]), BinaryPrimitives.ReadUInt32BigEndian(packet[16..]),
                packet[9], sourcePort, destinationPort, out reqId);
        }
        if (packet.Length >= 40 && packet[0] >> 4 == 6)
        {
            var (sourcePort, destinationPort) = Ports(packet, packet[6], 40, true);
            return Policies.TryLookup(true, BinaryPrimitives.ReadUInt128BigEndian(packet[8..]), BinaryPrimitives.ReadUInt128BigEndian(packet[24..]),
                packet[6], sourcePort, destinationPort, out reqId);
        }
        return false;
    }

    /// <summary>TCP, UDP and SCTP ports, or -1 where none can be read (RFC 4301 4.4.1.1 "OPAQUE").</summary>
    private static (int Source, int Destination) Ports(ReadOnlySpan<byte> packet, byte protocol, int offset, bool firstFragment)
    {
        const byte Tcp = 6, Udp = 17, Sctp = 132;
        if (!firstFragment || protocol is not (Tcp or Udp or Sctp) || packet.Length < offset + 4)
            return (-1, -1);
        return (BinaryPrimitives.ReadUInt16BigEndian(packet[offset..]), BinaryPrimitives.ReadUInt16BigEndian(packet[(offset + 2)..]));
    }

    /// <summary>Runs what is due in the engine; the daemon calls it when <see cref="IkeEngine.NextDeadline"/> passes.</summary>
    public void OnTimer()
    {
        Engine.OnTimer();
        Kernel.Sweep();
        Flush();
    }

    /// <summary>Sends what the engine queued, with the non-ESP marker on port 4500, and logs its events.</summary>
    public void Flush()
    {
        foreach (var d in Engine.TakeOutgoing())
        {
            if (d.Local.Port == UdpEncapsulation.Port)
            {
                var framed = new byte[UdpEncapsulation.NonEspMarkerSize + d.Data.Length];
                d.Data.CopyTo(framed, UdpEncapsulation.NonEspMarkerSize);
                _io.SendUdp(d.Local, d.Remote, framed);
            }
            else
            {
                _io.SendUdp(d.Local, d.Remote, d.Data);
            }
        }
        // The engine logs SA lifecycle itself; the last events are kept for status.
        foreach (var e in Engine.TakeEvents())
        {
            _events.Enqueue(e);
            if (_events.Count > MaxEvents)
                _events.Dequeue();
        }
    }

    private void OnChildSaChanged(EspKernel.Installed installed, bool added)
    {
        if (!added)
        {
            Policies.Remove(installed.Install.InboundSpi);
            return;
        }
        var iface = _deviceOfChild.GetValueOrDefault((installed.Install.Connection, installed.Install.Child));
        _deviceOfReqId[installed.ReqId] = iface ?? SharedDevice;
        if (iface is not null)
            _reqIdOfDevice[iface] = installed.ReqId;
        else
            Policies.Add(installed.ReqId, installed.Install.InboundSpi, installed.Install.LocalTs, installed.Install.RemoteTs);
    }
}
