using S2SEndpoint.Gateway.Tests.Tun;

namespace S2SEndpoint.Gateway.Tests.Namespaces;

/// <summary>
/// Two `s2s run` daemons in two network namespaces joined by a veth pair (192.0.2.1 and 192.0.2.2, inside
/// the namespaces only): IKE brings the tunnel up, and ping passes from a LAN address behind one gateway to
/// one behind the other, policy-based and route-based; a packet outside every policy is not sent; SIGTERM
/// deletes the SAs and leaves no device behind.
/// </summary>
public sealed class TwoGatewaysTests
{
    private static readonly string S2s = Path.Combine(AppContext.BaseDirectory, "s2s.dll");

    private sealed class Lab : IDisposable
    {
        public Lab()
        {
            A = TestNamespace.Create();
            B = TestNamespace.Create();
            var suffix = A.Name[^4..];
            // The veth pair is made in A and its far end moved to B: nothing touches the host's own links.
            A.Ip("link", "add", $"s2sva{suffix}", "type", "veth", "peer", "name", $"s2svb{suffix}");
            A.Ip("link", "set", $"s2svb{suffix}", "netns", B.Name);
            A.Ip("addr", "add", "192.0.2.1/24", "dev", $"s2sva{suffix}");
            B.Ip("addr", "add", "192.0.2.2/24", "dev", $"s2svb{suffix}");
            foreach (var (ns, link) in new[] { (A, $"s2sva{suffix}"), (B, $"s2svb{suffix}") })
            {
                ns.Ip("link", "set", link, "up");
                ns.Ip("link", "set", "lo", "up");
            }
            // A host address on each LAN side, on loopback.
            A.Ip("addr", "add", "10.1.0.1/32", "dev", "lo");
            B.Ip("addr", "add", "10.2.0.1/32", "dev", "lo");
        }

        public TestNamespace A { get; }
        public TestNamespace B { get; }

        /// <summary>`s2s run` in B, then in A, each with its configuration file and its own control socket (two daemons on one machine).</summary>
        public Gateways StartGateways(string fileA, string fileB)
        {
            var controlA = Path.Combine(Path.GetTempPath(), $"s2s-test-{Guid.NewGuid():N}", "a.sock");
            var controlB = Path.Combine(Path.GetTempPath(), $"s2s-test-{Guid.NewGuid():N}", "b.sock");
            var b = B.Start("dotnet", S2s, "run", "--config", fileB, "--control", controlB);
            try
            {
                return new Gateways(A.Start("dotnet", S2s, "run", "--config", fileA, "--control", controlA), b, controlA, controlB);
            }
            catch
            {
                b.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            A.Dispose();
            B.Dispose();
        }
    }

    /// <summary>The two daemons of a <see cref="Lab"/> and their control sockets; disposing stops what still runs.</summary>
    private sealed record Gateways(NamespaceProcess A, NamespaceProcess B, string ControlA, string ControlB) : IDisposable
    {
        public void Dispose()
        {
            A.Dispose();
            B.Dispose();
        }
    }

    private static string Config(string name, string local, string remote, string localId, string remoteId, string child, bool offload = true,
        string proposals = "aes256gcm16-prfsha384-ecp384") => $$"""
        {
          "gateway": { "tun_name": "s2s0", "log_level": "info", "offload": {{(offload ? "true" : "false")}} },
          "connections": {
            "{{name}}": {
              "local_addrs": "{{local}}", "remote_addrs": "{{remote}}", "proposals": "{{proposals}}",
              "local": { "auth": "psk", "id": "{{localId}}" }, "remote": { "auth": "psk", "id": "{{remoteId}}" },
              "children": { {{child}} }
            }
          },
          "secrets": { "ike-{{name}}": { "id": "{{remoteId}}", "secret": "namespace-test-psk" } }
        }
        """;

    private static string Write(string json)
    {
        var file = Path.Combine(Path.GetTempPath(), $"s2s-test-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, json);
        return file;
    }

    /// <summary>Runs an `s2s` client command on the host (the control socket is a file: no namespace needed).</summary>
    private static (int ExitCode, string Output) S2sCommand(params string[] arguments)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(S2s);
        foreach (var a in arguments)
            start.ArgumentList.Add(a);
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(20)))
        {
            process.Kill();
            return (-1, "s2s client timed out");
        }
        return (process.ExitCode, output.Result + error.Result);
    }

    /// <summary>The first Child SA in `s2s status --json`.</summary>
    private static System.Text.Json.Nodes.JsonObject ChildStatus(string control) => IkeStatus(control)["children"]![0]!.AsObject();

    /// <summary>The first IKE SA in `s2s status --json`.</summary>
    private static System.Text.Json.Nodes.JsonObject IkeStatus(string control)
    {
        var (exit, output) = S2sCommand("status", "--json", "--control", control);
        Assert.True(exit == 0, output);
        var status = System.Text.Json.Nodes.JsonNode.Parse(output)!;
        return status["connections"]![0]!["ike_sas"]![0]!.AsObject();
    }

    /// <param name="protocol">What follows each selector's prefix: "" for all traffic, "[icmp]" for ICMP alone.</param>
    private static (string A, string B) PolicyBased(string protocol = "") => (
        Config("moon", "192.0.2.1", "192.0.2.2", "moon", "sun", $$""" "net": { "local_ts": "10.1.0.0/24{{protocol}}", "remote_ts": "10.2.0.0/24{{protocol}}", "esp_proposals": "aes256gcm16", "start_action": "start" } """),
        Config("sun", "192.0.2.2", "192.0.2.1", "sun", "moon", $$""" "net": { "local_ts": "10.2.0.0/24{{protocol}}", "remote_ts": "10.1.0.0/24{{protocol}}", "esp_proposals": "aes256gcm16" } """));

    private static (string A, string B) RouteBased(bool offload = true) => (
        Config("moon", "192.0.2.1", "192.0.2.2", "moon", "sun", """ "vti": { "interface": "vti-s2s", "routes": "10.2.0.0/24", "esp_proposals": "chacha20poly1305", "start_action": "start" } """, offload),
        Config("sun", "192.0.2.2", "192.0.2.1", "sun", "moon", """ "vti": { "interface": "vti-s2s", "routes": "10.1.0.0/24", "esp_proposals": "chacha20poly1305" } """, offload));

    private static (string A, string B) PolicyBasedGcm(bool offload) => (
        Config("moon", "192.0.2.1", "192.0.2.2", "moon", "sun", """ "net": { "local_ts": "10.1.0.0/24", "remote_ts": "10.2.0.0/24", "esp_proposals": "aes256gcm16", "start_action": "start" } """, offload),
        Config("sun", "192.0.2.2", "192.0.2.1", "sun", "moon", """ "net": { "local_ts": "10.2.0.0/24", "remote_ts": "10.1.0.0/24", "esp_proposals": "aes256gcm16" } """, offload));

    /// <summary>
    /// TCP through the tunnel both ways, 32 MiB each (the same SHA-256 at both ends), with the data path's offloads on (TSO super-packets read from the
    /// device and split, UDP GSO and GRO, segments coalesced into the device) and off (one packet per system call): every
    /// octet arrives, and `s2s status` says which path ran.
    /// </summary>
    [NamespaceFact(needsPing: true, needsPython: true)]
    public void PolicyBased_BulkTcpBothWays_OffloadOn() => BulkTcpThrough(PolicyBasedGcm(offload: true), offload: true);

    [NamespaceFact(needsPing: true, needsPython: true)]
    public void PolicyBased_BulkTcpBothWays_OffloadOff() => BulkTcpThrough(PolicyBasedGcm(offload: false), offload: false);

    [NamespaceFact(needsPing: true, needsPython: true)]
    public void RouteBased_BulkTcpBothWays_OffloadOn() => BulkTcpThrough(RouteBased(offload: true), offload: true);

    [NamespaceFact(needsPing: true, needsPython: true)]
    public void RouteBased_BulkTcpBothWays_OffloadOff() => BulkTcpThrough(RouteBased(offload: false), offload: false);

    /// <summary>Python's receiving end: takes one connection, reads it to its end, prints the octets and their SHA-256.</summary>
    private const string Receiver = """
        import hashlib, socket, sys
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((sys.argv[1], 5201)); s.listen(1); s.settimeout(30)
        c, _ = s.accept(); c.settimeout(30)
        h, n = hashlib.sha256(), 0
        while True:
            b = c.recv(1 << 16)
            if not b: break
            h.update(b); n += len(b)
        print(n, h.hexdigest())
        """;

    /// <summary>Python's sending end: connects from its address, sends N pseudo-random octets of seed 7, prints the count and their SHA-256.</summary>
    private const string Sender = """
        import hashlib, random, socket, sys, time
        data = random.Random(7).randbytes(int(sys.argv[3]))
        for _ in range(50):
            try:
                c = socket.create_connection((sys.argv[2], 5201), timeout=30, source_address=(sys.argv[1], 0)); break
            except ConnectionRefusedError:
                time.sleep(0.1)
        c.sendall(data); c.shutdown(socket.SHUT_WR); c.recv(1)
        print(len(data), hashlib.sha256(data).hexdigest())
        """;

    /// <summary>TCP from <paramref name="fromAddress"/> in one namespace to <paramref name="toAddress"/> in the other: every octet arrives, in order.</summary>
    private static void Transfer(TestNamespace from, string fromAddress, TestNamespace to, string toAddress, long bytes)
    {
        using var receiver = to.Start("python3", "-c", Receiver, toAddress);
        using var sender = from.Start("python3", "-c", Sender, fromAddress, toAddress, $"{bytes}");
        var (sent, sentOutput) = sender.Finish(TimeSpan.FromSeconds(60));
        var (received, receivedOutput) = receiver.Finish(TimeSpan.FromSeconds(10));
        Assert.True(sent == 0 && received == 0, $"{fromAddress} to {toAddress}: sender {sent}: {sentOutput}; receiver {received}: {receivedOutput}");
        Assert.Equal(sentOutput.Trim(), receivedOutput.Trim());
    }

    /// <summary>Pings from A's LAN address to B's until the tunnel is up (one echo a try, a try at most every 250 ms), at most 60 s.</summary>
    private static void PingUntilUp(Lab lab)
    {
        var last = "";
        var ok = Eventually.Holds(() =>
        {
            using var ping = lab.A.Start("ping", "-c", "1", "-W", "1", "-I", "10.1.0.1", "10.2.0.1");
            var (exit, output) = ping.Finish(TimeSpan.FromSeconds(5));
            last = output;
            return exit == 0;
        }, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(250));
        Assert.True(ok, $"no ping through the tunnel: {last}");
    }

    private static void BulkTcpThrough((string A, string B) configs, bool offload)
    {
        const long Bytes = 32 << 20;
        using var lab = new Lab();
        var fileA = Write(configs.A);
        var fileB = Write(configs.B);
        try
        {
            using var gateways = lab.StartGateways(fileA, fileB);
            var (a, b, controlA, controlB) = (gateways.A, gateways.B, gateways.ControlA, gateways.ControlB);
            PingUntilUp(lab);

            Transfer(lab.A, "10.1.0.1", lab.B, "10.2.0.1", Bytes);
            Transfer(lab.B, "10.2.0.1", lab.A, "10.1.0.1", Bytes);

            var (statusExit, statusOutput) = S2sCommand("status", "--json", "--control", controlA);
            Assert.True(statusExit == 0, statusOutput);
            var gateway = System.Text.Json.Nodes.JsonNode.Parse(statusOutput)!["gateway"]!;
            Assert.Equal(offload, gateway["offload"]!["enabled"]!.GetValue<bool>());
            // A read TSO super-packets from its device (A to B) and wrote coalesced ones into it (B to A); without offload,
            // one packet per read and write.
            var read = gateway["super_packets_read"]!.GetValue<long>();
            var written = gateway["super_packets_written"]!.GetValue<long>();
            Assert.True(offload ? read > 0 && written > 0 : read == 0 && written == 0, gateway.ToJsonString());
            Assert.Equal(offload, gateway["offload"]!["udp_gso"]!.GetValue<bool>());

            var (exitA, logA) = a.Terminate(TimeSpan.FromSeconds(10));
            var (exitB, logB) = b.Terminate(TimeSpan.FromSeconds(10));
            Assert.True(exitA == 0, $"gateway A exited {exitA}: {logA}");
            Assert.True(exitB == 0, $"gateway B exited {exitB}: {logB}");
            Assert.DoesNotContain("internal error", logA + logB, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(fileA);
            File.Delete(fileB);
        }
    }

    [NamespaceFact(needsPing: true)]
    public void PolicyBased_PingPassesAndSigtermCleansUp() => PingThrough(PolicyBased(), "s2s0");

    /// <summary>Selectors that name a protocol: the route into the shared device is their address part, and ping passes.</summary>
    [NamespaceFact(needsPing: true)]
    public void PolicyBased_IcmpSelectors_RoutedByTheirAddresses_PingPasses() => PingThrough(PolicyBased("[icmp]"), "s2s0");

    [NamespaceFact(needsPing: true)]
    public void RouteBased_PingPassesThroughTheChildsInterface() => PingThrough(RouteBased(), "vti-s2s");

    /// <summary>The same with gateway.offload false: one packet per read, write and datagram, the path before the batches.</summary>
    [NamespaceFact(needsPing: true)]
    public void PolicyBased_OffloadOff_PingPassesAndSigtermCleansUp() => PingThrough(PolicyBasedGcm(offload: false), "s2s0");

    [NamespaceFact(needsPing: true)]
    public void RouteBased_OffloadOff_PingPassesThroughTheChildsInterface() => PingThrough(RouteBased(offload: false), "vti-s2s");

    /// <summary>
    /// `s2s run` with a route-based child whose interface has an APIPA point-to-point address (as for BGP to Azure) and a
    /// route with a metric: the device starts without carrier, has it while the Child SA is installed (ping between the
    /// APIPA addresses passes), loses it when the child is terminated, has it again once initiated, and is gone at exit.
    /// </summary>
    [NamespaceFact(needsPing: true)]
    public void RouteBased_CarrierFollowsTheChild_AndTheApipaPeersReachEachOther()
    {
        const string Device = "vti-s2s";
        using var lab = new Lab();
        var fileA = Write(Config("moon", "192.0.2.1", "192.0.2.2", "moon", "sun",
            """ "vti": { "interface": "vti-s2s", "interface_addrs": "169.254.21.2 peer 169.254.21.1", "routes": "10.2.0.0/24 metric 50", "esp_proposals": "chacha20poly1305" } """));
        var fileB = Write(Config("sun", "192.0.2.2", "192.0.2.1", "sun", "moon",
            """ "vti": { "interface": "vti-s2s", "interface_addrs": "169.254.21.1/30", "routes": "10.1.0.0/24", "esp_proposals": "chacha20poly1305" } """));
        try
        {
            using var gateways = lab.StartGateways(fileA, fileB);
            var (a, b, controlA, controlB) = (gateways.A, gateways.B, gateways.ControlA, gateways.ControlB);
            string Link(TestNamespace ns)
            {
                var links = ns.Ip("-o", "link", "show");
                return links.Split('\n').FirstOrDefault(l => l.Contains($": {Device}: ", StringComparison.Ordinal)) ?? "";
            }
            bool Carrier(TestNamespace ns) => Link(ns).Contains("LOWER_UP", StringComparison.Ordinal);
            bool NoCarrier(TestNamespace ns) => Link(ns).Contains("NO-CARRIER", StringComparison.Ordinal);
            Assert.True(Eventually.Holds(() => NoCarrier(lab.A) && File.Exists(controlA), TimeSpan.FromSeconds(60)), $"A's device did not come up without carrier: {Link(lab.A)}");
            Assert.True(Eventually.Holds(() => NoCarrier(lab.B) && File.Exists(controlB), TimeSpan.FromSeconds(60)), $"B's device did not come up without carrier: {Link(lab.B)}");
            // Addresses and routes follow the device's opening; the daemon may still be adding them.
            Assert.True(Eventually.Holds(() => lab.A.Ip("route", "show").Contains($"10.2.0.0/24 dev {Device} scope link metric 50", StringComparison.Ordinal)), lab.A.Ip("route", "show"));
            Assert.True(Eventually.Holds(() => lab.B.Ip("route", "show").Contains($"10.1.0.0/24 dev {Device}", StringComparison.Ordinal)), lab.B.Ip("route", "show"));
            Assert.Contains("inet 169.254.21.2 peer 169.254.21.1/32", lab.A.Ip("-o", "address", "show", "dev", Device), StringComparison.Ordinal);
            Assert.Contains("inet 169.254.21.1/30", lab.B.Ip("-o", "address", "show", "dev", Device), StringComparison.Ordinal);

            var (initiated, initiateOutput) = S2sCommand("initiate", "moon", "--control", controlA);
            Assert.True(initiated == 0, initiateOutput);
            Assert.True(Eventually.Holds(() => Carrier(lab.A) && Carrier(lab.B)), $"no carrier: {Link(lab.A)} / {Link(lab.B)}");
            using (var ping = lab.A.Start("ping", "-c", "1", "-W", "2", "-I", "169.254.21.2", "169.254.21.1"))
            {
                var (exit, output) = ping.Finish(TimeSpan.FromSeconds(5));
                Assert.True(exit == 0, $"no ping between the APIPA addresses: {output}");
            }

            var (terminated, terminateOutput) = S2sCommand("terminate", "moon/vti", "--control", controlA);
            Assert.True(terminated == 0, terminateOutput);
            Assert.True(Eventually.Holds(() => NoCarrier(lab.A) && NoCarrier(lab.B)), $"carrier stayed: {Link(lab.A)} / {Link(lab.B)}");

            (initiated, initiateOutput) = S2sCommand("initiate", "moon/vti", "--control", controlA);
            Assert.True(initiated == 0, initiateOutput);
            Assert.True(Eventually.Holds(() => Carrier(lab.A) && Carrier(lab.B)), $"no carrier again: {Link(lab.A)} / {Link(lab.B)}");

            var (exitA, logA) = a.Terminate(TimeSpan.FromSeconds(10));
            var (exitB, logB) = b.Terminate(TimeSpan.FromSeconds(10));
            Assert.True(exitA == 0, $"gateway A exited {exitA}: {logA}");
            Assert.True(exitB == 0, $"gateway B exited {exitB}: {logB}");
            Assert.Contains($"tunnel device {Device} carrier off", logA, StringComparison.Ordinal);
            Assert.Empty(Link(lab.A));
            Assert.Empty(Link(lab.B));
            Assert.DoesNotContain("10.2.0.0/24", lab.A.Ip("route", "show"), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(fileA);
            File.Delete(fileB);
        }
    }

    /// <summary>
    /// Post-quantum IKE between two daemons (RFC 9370, draft-ietf-ipsecme-ikev2-mlkem): x25519 in IKE_SA_INIT and ML-KEM-768
    /// in an IKE_INTERMEDIATE, and ML-KEM-1024 as the only key exchange. The tunnel comes up, `s2s status` names every
    /// key exchange on both sides, and ping passes before and after a Child SA rekey (with the child's own key exchanges,
    /// IKE_FOLLOWUP_KE for the additional one) and an IKE SA rekey.
    /// </summary>
    [NamespaceTheory(needsPing: true)]
    [InlineData("aes256gcm16-prfsha384-x25519-ke1_mlkem768", "aes256gcm16-x25519-ke1_mlkem768")]
    [InlineData("aes256gcm16-prfsha384-mlkem1024", "aes256gcm16-mlkem1024")]
    public void PostQuantumKeyExchanges_PingPassesAcrossRekeys(string ike, string esp)
    {
        using var lab = new Lab();
        var fileA = Write(Config("moon", "192.0.2.1", "192.0.2.2", "moon", "sun",
            $$""" "net": { "local_ts": "10.1.0.0/24", "remote_ts": "10.2.0.0/24", "esp_proposals": "{{esp}}", "start_action": "start" } """, proposals: ike));
        var fileB = Write(Config("sun", "192.0.2.2", "192.0.2.1", "sun", "moon",
            $$""" "net": { "local_ts": "10.2.0.0/24", "remote_ts": "10.1.0.0/24", "esp_proposals": "{{esp}}" } """, proposals: ike));
        try
        {
            using var gateways = lab.StartGateways(fileA, fileB);
            var (a, b, controlA, controlB) = (gateways.A, gateways.B, gateways.ControlA, gateways.ControlB);
            PingUntilUp(lab);
            Assert.Equal(ike, IkeStatus(controlA)["proposal"]!.GetValue<string>());
            Assert.Equal(ike, IkeStatus(controlB)["proposal"]!.GetValue<string>());

            var spi = ChildStatus(controlA)["spi_in"]!.GetValue<string>();
            var (exit, output) = S2sCommand("rekey", "moon/net", "--control", controlA);
            Assert.True(exit == 0, output);
            Assert.True(Eventually.Holds(() => ChildStatus(controlA)["spi_in"]!.GetValue<string>() != spi, interval: TimeSpan.FromMilliseconds(100)),
                "the Child SA was not rekeyed");
            Assert.Equal(esp, ChildStatus(controlB)["proposal"]!.GetValue<string>());
            PingUntilUp(lab);

            var ikeSpi = IkeStatus(controlA)["initiator_spi"]!.GetValue<string>();
            (exit, output) = S2sCommand("rekey", "moon", "--control", controlA);
            Assert.True(exit == 0, output);
            Assert.True(Eventually.Holds(() => IkeStatus(controlA)["initiator_spi"]!.GetValue<string>() != ikeSpi, interval: TimeSpan.FromMilliseconds(100)),
                "the IKE SA was not rekeyed");
            Assert.Equal(ike, IkeStatus(controlB)["proposal"]!.GetValue<string>());
            PingUntilUp(lab);

            var (exitA, logA) = a.Terminate(TimeSpan.FromSeconds(10));
            var (exitB, logB) = b.Terminate(TimeSpan.FromSeconds(10));
            Assert.True(exitA == 0, $"gateway A exited {exitA}: {logA}");
            Assert.True(exitB == 0, $"gateway B exited {exitB}: {logB}");
            Assert.Contains("IKE SA rekeyed", logA, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(fileA);
            File.Delete(fileB);
        }
    }

    private static void PingThrough((string A, string B) configs, string device)
    {
        using var lab = new Lab();
        var fileA = Write(configs.A);
        var fileB = Write(configs.B);
        try
        {
            using var gateways = lab.StartGateways(fileA, fileB);
            var (a, b, controlA, controlB) = (gateways.A, gateways.B, gateways.ControlA, gateways.ControlB);
            PingUntilUp(lab);
            Assert.Contains(device, lab.A.Ip("link", "show"), StringComparison.Ordinal);

            // A packet to an address no policy covers is not sent into the tunnel (and there is no route for it).
            using (var stray = lab.A.Start("ping", "-c", "1", "-W", "1", "-I", "10.1.0.1", "10.9.0.1"))
                Assert.NotEqual(0, stray.Finish(TimeSpan.FromSeconds(5)).ExitCode);

            // s2s status --json over the control socket: the SAs with their counters.
            var child = ChildStatus(controlA);
            Assert.Equal("INSTALLED", child["state"]!.GetValue<string>());
            Assert.True(child["packets_out"]!.GetValue<long>() > 0 && child["packets_in"]!.GetValue<long>() > 0, child.ToJsonString());
            Assert.True(child["bytes_out"]!.GetValue<long>() > 0 && child["bytes_in"]!.GetValue<long>() > 0, child.ToJsonString());
            var spi = child["spi_in"]!.GetValue<string>();

            // s2s rekey CONN/CHILD: a new Child SA takes over and traffic still passes.
            var (rekeyExit, rekeyOutput) = S2sCommand("rekey", "moon/" + child["name"]!.GetValue<string>(), "--control", controlA);
            Assert.True(rekeyExit == 0, rekeyOutput);
            var rekeyed = Eventually.Holds(() => ChildStatus(controlA)["spi_in"]!.GetValue<string>() != spi, interval: TimeSpan.FromMilliseconds(100));
            Assert.True(rekeyed, "the Child SA was not rekeyed");
            using (var again = lab.A.Start("ping", "-c", "1", "-W", "2", "-I", "10.1.0.1", "10.2.0.1"))
                Assert.Equal(0, again.Finish(TimeSpan.FromSeconds(5)).ExitCode);

            // s2s reload with the same file changes nothing; the text status names the connection.
            var (reloadExit, reloadOutput) = S2sCommand("reload", "--control", controlA);
            Assert.True(reloadExit == 0, reloadOutput);
            Assert.Contains("nothing changed", reloadOutput, StringComparison.Ordinal);
            Assert.Contains("moon", S2sCommand("status", "--control", controlA).Output, StringComparison.Ordinal);

            var (exitA, logA) = a.Terminate(TimeSpan.FromSeconds(10));
            var (exitB, logB) = b.Terminate(TimeSpan.FromSeconds(10));
            Assert.True(exitA == 0, $"gateway A exited {exitA}: {logA}");
            Assert.True(exitB == 0, $"gateway B exited {exitB}: {logB}");
            Assert.Contains("IKE SA established", logA, StringComparison.Ordinal);
            Assert.Contains("CHILD_SA", logB, StringComparison.Ordinal);
            Assert.Contains("IKE SA closed", logB, StringComparison.Ordinal);
            Assert.DoesNotContain(device, lab.A.Ip("link", "show"), StringComparison.Ordinal);
            Assert.DoesNotContain(device, lab.B.Ip("link", "show"), StringComparison.Ordinal);
            Assert.False(File.Exists(controlA), "the control socket was left behind");
            // No key or secret in what either daemon printed.
            Assert.DoesNotContain("namespace-test-psk", logA + logB, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(fileA);
            File.Delete(fileB);
        }
    }
}
