using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Config;
using S2SEndpoint.Gateway.Net;
using S2SEndpoint.Gateway.Tun;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Gateway;

/// <summary>
/// `s2s run`: the gateway on a real machine. It opens the tunnel devices (one shared by the policy-based
/// children, one per route-based child), each with one queue per worker, and routes the remote selectors
/// or the child's routes through them, binds UDP 500 and 4500, and drives one <see cref="GatewayCore"/>
/// from the device readers and socket readers (one per worker on each device and on port 4500: the data
/// path runs on all of them at once) and a timer. SIGTERM and SIGINT delete the SAs and remove every
/// device, route and socket it made.
/// </summary>
internal sealed partial class Daemon : IGatewayIo, IDisposable
{
    private readonly GatewayConfig _config;
    private readonly ILoggerFactory _logs;
    private readonly ILogger _log;
    private readonly Dictionary<string, TunDevice> _devices = new(StringComparer.Ordinal);
    private readonly List<LinkConfigurator> _links = [];
    private readonly List<Thread> _threads = [];
    private readonly ManualResetEventSlim _stop = new();
    private UdpTransport? _udp;
    private GatewayCore? _core;

    public Daemon(GatewayConfig config, ILoggerFactory logs)
    {
        _config = config;
        _logs = logs;
        _log = logs.CreateLogger("gateway");
        Workers = config.Settings.Workers > 0 ? config.Settings.Workers : Environment.ProcessorCount;
    }

    /// <summary>Data-path workers: readers per device and on port 4500.</summary>
    public int Workers { get; }

    /// <summary>Runs until SIGTERM or SIGINT; returns the exit code.</summary>
    public int Run()
    {
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        try
        {
            var shared = OpenDevices();
            _core = new GatewayCore(_config, this, TimeProvider.System, SystemRandomSource.Instance, _logs, shared);
            _udp = new UdpTransport(_config.Connections.SelectMany(c => c.LocalAddresses));
            _udp.Start(_core.OnUdp, Workers);
            foreach (var (name, device) in _devices)
            {
                for (var queue = 0; queue < device.QueueCount; queue++)
                {
                    var q = queue;
                    StartThread($"tun {name} #{q}", () => ReadDevice(name, device, q));
                }
            }
            _core.Start();
            Log.Started(_log, _config.Connections.Count, string.Join(", ", _devices.Keys), Workers);
            TimerLoop();
            return 0;
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidOperationException or ArgumentException)
        {
            Log.StartFailed(_log, e.Message);
            return 1;
        }
        finally
        {
            Shutdown();
        }
    }

    private void Stop(PosixSignalContext context)
    {
        context.Cancel = true;
        _stop.Set();
    }

    /// <summary>Opens and configures the devices; returns the shared device's name.</summary>
    private string OpenDevices()
    {
        var policyBased = _config.Routing.Where(r => r.Interface is null).ToList();
        var shared = _config.Settings.TunName;
        if (policyBased.Count > 0)
        {
            var device = TunDevice.Open(_config.Settings.TunName, Workers);
            shared = device.Name;
            _devices[shared] = device;
            var link = Configure(shared);
            foreach (var r in policyBased)
            {
                var child = _config.Connections.First(c => c.Name == r.Connection).Children.First(c => c.Name == r.Child);
                foreach (var ts in child.RemoteTs)
                {
                    if (ToNetwork(ts) is { } network)
                        link.AddRoute(network);
                }
            }
        }
        foreach (var r in _config.Routing.Where(r => r.Interface is not null))
        {
            _devices[r.Interface!] = TunDevice.Open(r.Interface!, Workers);
            var link = Configure(r.Interface!);
            foreach (var route in r.Routes)
            {
                if (ToNetwork(route) is { } network)
                    link.AddRoute(network);
            }
        }
        return shared;
    }

    private LinkConfigurator Configure(string name)
    {
        var link = new LinkConfigurator(name);
        _links.Add(link);
        link.SetMtu(_config.Settings.Mtu);
        link.BringUp();
        return link;
    }

    /// <summary>A selector that is exactly a CIDR prefix, as a network for a route.</summary>
    internal static IPNetwork? ToNetwork(TrafficSelector ts)
    {
        if (ts.UnknownBody is not null)
            return null;
        var start = ts.StartAddress.GetAddressBytes();
        var end = ts.EndAddress.GetAddressBytes();
        var bits = start.Length * 8;
        var prefix = 0;
        while (prefix < bits && (start[prefix / 8] & (0x80 >> (prefix % 8))) == (end[prefix / 8] & (0x80 >> (prefix % 8))))
            prefix++;
        for (var b = prefix; b < bits; b++)
        {
            var mask = 0x80 >> (b % 8);
            if ((start[b / 8] & mask) != 0 || (end[b / 8] & mask) == 0)
                return null;
        }
        return new IPNetwork(ts.StartAddress, prefix);
    }

    private void StartThread(string name, ThreadStart body)
    {
        var thread = new Thread(body) { IsBackground = true, Name = name };
        _threads.Add(thread);
        thread.Start();
    }

    private void ReadDevice(string name, TunDevice device, int queue)
    {
        var buffer = new PacketBuffer(_config.Settings.Mtu + PacketBuffer.Headroom + PacketBuffer.Tailroom + 64);
        while (!_stop.IsSet)
        {
            var room = buffer.ResetForInnerPacket();
            var n = device.Read(queue, room.Span, 1000);
            if (n == 0)
                return;
            if (n < 0)
            {
                // A timeout, a signal or an oversized packet: read on. Anything else (the device is gone) ends the reader.
                if (n is -Libc.EAgain or -Libc.EIntr or -Libc.EMsgSize)
                    continue;
                Log.DeviceFailed(_log, name, -n);
                return;
            }
            buffer.SetLength(n);
            _core!.OnTun(name, buffer);
        }
    }

    private void TimerLoop()
    {
        while (!_stop.IsSet)
        {
            DateTimeOffset next;
            _core!.OnTimer();
            lock (_core.Sync)
                next = _core.Engine.NextDeadline;
            var wait = next - DateTimeOffset.UtcNow;
            _stop.Wait(wait < TimeSpan.FromMilliseconds(10) ? TimeSpan.FromMilliseconds(10) : wait > TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait);
        }
    }

    /// <summary>Deletes the SAs (one try, short), then closes sockets and devices and removes routes.</summary>
    private void Shutdown()
    {
        _stop.Set();
        if (_core is not null && _udp is not null)
        {
            _core.Control(engine =>
            {
                foreach (var c in _config.Connections)
                    engine.Terminate(c.Name);
            });
            Thread.Sleep(200);
        }
        // Device readers first: they would otherwise still send through the sockets being closed.
        foreach (var device in _devices.Values)
            device.Shutdown();
        foreach (var t in _threads)
            t.Join(TimeSpan.FromSeconds(2));
        _udp?.Dispose();
        foreach (var link in _links)
        {
            try
            {
                link.Dispose();
            }
            catch (InvalidOperationException e)
            {
                Log.CleanupFailed(_log, e.Message);
            }
        }
        foreach (var device in _devices.Values)
            device.Dispose();
        _devices.Clear();
        Log.Stopped(_log);
    }

    public void SendUdp(IPEndPoint local, IPEndPoint remote, ReadOnlySpan<byte> payload) => _udp?.Send(local, remote, payload);

    public void WriteTun(string device, ReadOnlySpan<byte> packet)
    {
        if (_devices.TryGetValue(device, out var d))
            d.Write(packet);
    }

    public void Dispose()
    {
        _stop.Dispose();
        _udp?.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(3001, LogLevel.Information, "s2s running: {Connections} connection(s), devices {Devices}, {Workers} worker(s)")]
        public static partial void Started(ILogger logger, int connections, string devices, int workers);

        [LoggerMessage(3002, LogLevel.Error, "s2s could not start: {Reason}")]
        public static partial void StartFailed(ILogger logger, string reason);

        [LoggerMessage(3003, LogLevel.Warning, "clean-up: {Reason}")]
        public static partial void CleanupFailed(ILogger logger, string reason);

        [LoggerMessage(3005, LogLevel.Error, "tunnel device {Device} failed (errno {Errno}); its reader stops")]
        public static partial void DeviceFailed(ILogger logger, string device, int errno);

        [LoggerMessage(3004, LogLevel.Information, "s2s stopped; devices, routes and sockets removed")]
        public static partial void Stopped(ILogger logger);
    }
}
