using System.Net;
using System.Net.Sockets;
using PacketDotNet;
using SharpPcap;
using SharpPcap.LibPcap;
using S2SEndpoint.Gateway.Net;
using S2SEndpoint.Gateway.Tests.Tun;

namespace S2SEndpoint.Gateway.Tests.Net;

/// <summary>`s2s capture`: IKE and ESP of the WAN side, or a device's packets, into a pcap file that libpcap and tshark read.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class WireCaptureTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"s2s-capture-{Guid.NewGuid():N}.pcap");

    public void Dispose() => File.Delete(_file);

    [NamespaceFact]
    public void Wan_CapturesUdp500And4500Only_IntoAReadablePcapFile_0600()
    {
        using var ns = TestNamespace.Create();
        ns.Ip("link", "set", "lo", "up");
        var capture = Task.Run(() => ns.OnThread(() => WireCapture.Run(new WireCapture.Request(WireCapture.AnyDevice, WireCapture.WanFilter, _file, 3, TimeSpan.FromSeconds(8)), TimeProvider.System, CancellationToken.None)));
        // Sent until the capture has what it waits for (it opens its device while the first ones go out).
        ns.OnThread(() =>
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);
            for (var i = 0; i < 60 && !capture.IsCompleted; i++)
            {
                foreach (var port in new[] { 500, 4500, 5000 })
                    socket.SendTo([0, 0, 0, 0, (byte)i], new IPEndPoint(IPAddress.Loopback, port));
                Thread.Yield();
                capture.Wait(TimeSpan.FromMilliseconds(100));
            }
            return 0;
        });

        Assert.True(capture.Wait(TimeSpan.FromSeconds(10)));
        Assert.Equal(3, capture.Result);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_file));
        using var reader = new CaptureFileReaderDevice(_file);
        reader.Open();
        var ports = new List<int>();
        while (reader.GetNextPacket(out var packet) == GetPacketStatus.PacketRead)
            ports.Add(packet.GetPacket().GetPacket().Extract<UdpPacket>().DestinationPort);
        Assert.Equal(3, ports.Count);
        Assert.All(ports, p => Assert.Contains(p, new[] { 500, 4500 }));
        // And Wireshark's reader takes the file (tshark is in the project's apt list).
        if (Tshark(_file) is { } lines)
            Assert.Equal(3, lines.Count(l => l.Contains("192.0.2.", StringComparison.Ordinal) || l.Contains("127.0.0.1", StringComparison.Ordinal)));
    }

    /// <summary>tshark's one line per packet, or null where tshark is not installed (outside the test machine's apt list).</summary>
    private static string[]? Tshark(string file)
    {
        if (!File.Exists("/usr/bin/tshark"))
        {
            // ./test.sh installs it under CI; a machine without it checks the file with libpcap alone.
            Assert.NotEqual("true", Environment.GetEnvironmentVariable("CI"));
            return null;
        }
        var start = new System.Diagnostics.ProcessStartInfo("/usr/bin/tshark") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-n", "-r", file })
            start.ArgumentList.Add(a);
        using var tshark = System.Diagnostics.Process.Start(start)!;
        var output = tshark.StandardOutput.ReadToEnd();
        tshark.StandardError.ReadToEnd();
        Assert.True(tshark.WaitForExit(30_000));
        Assert.Equal(0, tshark.ExitCode);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public void UnknownDevice_OneLineNamingItAndTheDevicesThereAre()
    {
        var e = Assert.Throws<InvalidOperationException>(() => WireCapture.Run(new WireCapture.Request("no-such-dev0", null, _file, 1, TimeSpan.FromSeconds(1)), TimeProvider.System, CancellationToken.None));
        Assert.StartsWith("no device 'no-such-dev0' to capture on; there are: ", e.Message, StringComparison.Ordinal);
        Assert.Contains("lo", e.Message, StringComparison.Ordinal);
    }
}
