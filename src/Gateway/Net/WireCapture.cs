using SharpPcap;
using SharpPcap.LibPcap;

namespace S2SEndpoint.Gateway.Net;

/// <summary>
/// `s2s capture`: packets of the WAN side (IKE and ESP on UDP 500 and 4500, on every interface of the namespace) or of
/// one tunnel device (the plaintext), written as a pcap file that Wireshark and tshark read, through libpcap (Debian's
/// libpcap0.8) and SharpPcap. Runs in the CLI's process, beside the daemon: it takes nothing from the data path.
/// </summary>
public static class WireCapture
{
    /// <summary>The WAN side: IKE and ESP-in-UDP (RFC 7296 2, RFC 3948), on libpcap's "any" device.</summary>
    public const string WanFilter = "udp port 500 or udp port 4500";

    /// <summary>libpcap's pseudo-device that sees every interface of the namespace.</summary>
    public const string AnyDevice = "any";

    /// <summary>What to capture: a device (or <see cref="AnyDevice"/>), an optional BPF filter, where to write, and when to stop.</summary>
    public sealed record Request(string Device, string? Filter, string File, int Count, TimeSpan Duration);

    /// <summary>
    /// Captures until <see cref="Request.Count"/> packets (0: no limit), <see cref="Request.Duration"/> (zero: no
    /// limit) or <paramref name="cancel"/>; returns how many were written. The file is made 0600: a tunnel device's
    /// packets are the plaintext. Throws <see cref="InvalidOperationException"/> with one line for the user.
    /// </summary>
    public static int Run(Request request, TimeProvider time, CancellationToken cancel)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(time);
        var device = Find(request.Device);
        var started = time.GetTimestamp();
        try
        {
            device.Open(new DeviceConfiguration { Mode = DeviceModes.None, ReadTimeout = 200, Snaplen = 65535, Immediate = true });
        }
        catch (PcapException e)
        {
            throw new InvalidOperationException($"cannot capture on {request.Device}: {e.Message} (capturing needs root or CAP_NET_RAW)", e);
        }
        using var _ = device;
        if (request.Filter is { } filter)
            device.Filter = filter;
        using var writer = new CaptureFileWriterDevice(request.File, FileMode.Create);
        try
        {
            writer.Open(new DeviceConfiguration { LinkLayerType = device.LinkType });
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(request.File, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        catch (Exception e) when (e is PcapException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"cannot write {request.File}: {e.Message}", e);
        }
        var written = 0;
        while (!cancel.IsCancellationRequested && (request.Count == 0 || written < request.Count) &&
            (request.Duration == TimeSpan.Zero || time.GetElapsedTime(started) < request.Duration))
        {
            if (device.GetNextPacket(out var packet) != GetPacketStatus.PacketRead)
                continue;
            writer.Write(packet.GetPacket());
            written++;
        }
        return written;
    }

    private static LibPcapLiveDevice Find(string name)
    {
        LibPcapLiveDeviceList devices;
        try
        {
            devices = LibPcapLiveDeviceList.New();
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or PcapException)
        {
            throw new InvalidOperationException($"capturing needs libpcap (Debian package libpcap0.8): {e.Message}", e);
        }
        foreach (var d in devices)
        {
            if (d.Name == name)
                return d;
        }
        throw new InvalidOperationException($"no device '{name}' to capture on; there are: {string.Join(", ", devices.Select(d => d.Name).Where(n => !n.Contains("bus", StringComparison.Ordinal)))}");
    }
}
