using S2SEndpoint.Ike.Sa;
using Microsoft.Extensions.Logging;

namespace S2SEndpoint.Gateway.Config;

/// <summary>
/// A loaded and checked configuration: gateway-wide settings, the connections as the IKE engine takes
/// them, and per child what only the gateway needs (its own tunnel interface and routes).
/// </summary>
public sealed record GatewayConfig(GatewaySettings Settings, IReadOnlyList<IkeSaConfig> Connections, IReadOnlyList<ChildRouting> Routing)
{
    /// <summary>What loads but should be fixed (see <see cref="ConfigProblems.Warnings"/>); `s2s check` and `s2s run` print them.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>
    /// The remote_addrs of each connection that names a host (<see cref="IkeSaConfig.HasRemoteNames"/>), every entry in its
    /// order, addresses and names: what the gateway resolves each time it initiates. A connection without names is not here.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<RemoteHost>> RemoteHosts { get; init; } = new Dictionary<string, IReadOnlyList<RemoteHost>>();
}

/// <summary>Gateway-wide settings (the "gateway" section).</summary>
public sealed record GatewaySettings
{
    /// <summary>Name of the shared TUN device of policy-based children; "%d" takes a number.</summary>
    public string TunName { get; init; } = "s2s%d";
    public int Mtu { get; init; } = 1400;
    public string ControlSocket { get; init; } = "/run/s2s/s2s.sock";
    /// <summary>The group that may use the control socket besides root (gateway.control_group); null: root alone.</summary>
    public ControlGroup? ControlGroup { get; init; }
    public int ReplayWindow { get; init; } = 1024;
    /// <summary>Worker threads for the data path; zero means one per core.</summary>
    public int Workers { get; init; }
    /// <summary>
    /// gateway.offload: batches on the data path (recvmmsg and sendmmsg, UDP GSO and GRO, TUN segmentation and
    /// coalescing offloads), each where the kernel has it; false: one packet per system call, the path before them.
    /// </summary>
    public bool Offload { get; init; } = true;
    public LogLevel LogLevel { get; init; } = LogLevel.Information;
    /// <summary>Levels per subsystem (gateway, ike, esp, tun, config, control): the logger categories.</summary>
    public IReadOnlyDictionary<string, LogLevel> LogLevels { get; init; } = new Dictionary<string, LogLevel>();
    /// <summary>How log lines are written (gateway.log_format).</summary>
    public LogFormat LogFormat { get; init; } = LogFormat.Auto;
    /// <summary>
    /// The directory where the IKE and ESP keys of the SAs up now are kept for Wireshark (gateway.wireshark_keys, the name
    /// of strongSwan's save-keys option): files esp_sa and ikev2_decryption_table in Wireshark's formats. Null: off.
    /// </summary>
    public string? WiresharkKeys { get; init; }
    /// <summary>Where Prometheus scrapes the metrics (gateway.metrics); null: no metrics endpoint.</summary>
    public System.Net.IPEndPoint? Metrics { get; init; }
}

/// <summary>How s2s writes its log lines to standard output.</summary>
public enum LogFormat
{
    /// <summary>For journald when systemd started s2s (JOURNAL_STREAM is set), plain text otherwise.</summary>
    Auto,

    /// <summary>One line each: date and time, level, category and event ID, message.</summary>
    Text,

    /// <summary>One JSON object per line, with a UTC timestamp, for log collectors.</summary>
    Json,

    /// <summary>journald's console format: the level as a syslog priority (&lt;6&gt; info), no timestamp (journald adds its own).</summary>
    Systemd,
}

/// <summary>
/// What only the gateway needs of a child. A route-based (VTI-style) child has its own tunnel interface, the addresses
/// on it and the routes through it; a child without an interface is policy-based and uses the shared device (its
/// remote_ts are routed there).
/// </summary>
/// <param name="Updown">children.NAME.updown: the script run with strongSwan's updown environment when the child comes up and goes down; null: none.</param>
/// <param name="MssClamp">children.NAME.mss_clamp: the largest TCP MSS a SYN through the child may carry, each way; 0: not clamped.</param>
public sealed record ChildRouting(string Connection, string Child, string? Interface, IReadOnlyList<TunnelRoute> Routes, IReadOnlyList<InterfaceAddress> InterfaceAddresses, DpdAction DpdAction,
    string? Updown = null, int MssClamp = 0);
