using System.Net;
using System.Net.Sockets;

namespace S2SEndpoint.Gateway.Tun;

// Puts the TUN interface into service once TunDevice has created it: MTU, the gateway's inner addresses, link up,
// and the sysctl that makes the kernel pass over its routes while it has no carrier. The routes into it are
// RouteTable's, which holds those of every interface (one prefix may go into several as one multipath route).
// Every change is an iproute2 command (`ip [-n NETNS] link|address ...`); the namespace option is what the namespace
// tests and the interop harness use. What was added is remembered and taken away again on Dispose, and anything
// already gone (the interface closed, the namespace deleted) is not an error then.

/// <summary>Configures one network interface with iproute2 and undoes its additions on Dispose.</summary>
public sealed class LinkConfigurator : IDisposable
{
    /// <summary>The IPv4 minimum (RFC 791: every host accepts 68-octet datagrams); IPv6 needs 1280 (RFC 8200 5).</summary>
    public const int MinMtu = 68;

    /// <summary>The largest MTU of a TUN interface (MAX_MTU in drivers/net/tun.c).</summary>
    public const int MaxMtu = 65535;

    private readonly Func<IReadOnlyList<string>, IpCommand.Result> _run;
    private readonly List<string[]> _addresses = [];
    private readonly Lock _lock = new();

    /// <summary>Configures <paramref name="interfaceName"/> in the current network namespace, or in the named one.</summary>
    /// <param name="networkNamespace">A name from <c>ip netns list</c> (commands run as <c>ip -n NAME ...</c>), or null.</param>
    /// <exception cref="ArgumentException">The interface or namespace name is not valid.</exception>
    public LinkConfigurator(string interfaceName, string? networkNamespace = null)
        : this(interfaceName, networkNamespace, IpCommand.Run)
    {
    }

    /// <summary>The same with another way to run ip commands, for tests.</summary>
    internal LinkConfigurator(string interfaceName, string? networkNamespace, Func<IReadOnlyList<string>, IpCommand.Result> run)
    {
        InterfaceName.Validate(interfaceName, nameof(interfaceName), allowPattern: false);
        IpCommand.ValidateNamespace(networkNamespace, nameof(networkNamespace));
        Name = interfaceName;
        NetworkNamespace = networkNamespace;
        _run = run;
    }

    /// <summary>The interface configured.</summary>
    public string Name { get; }

    /// <summary>The network namespace the commands run in, or null for the current one.</summary>
    public string? NetworkNamespace { get; }

    /// <summary>Sets the interface's MTU: <c>ip link set dev NAME mtu MTU</c>.</summary>
    public void SetMtu(int mtu)
    {
        if (mtu is < MinMtu or > MaxMtu)
        {
            throw new ArgumentOutOfRangeException(nameof(mtu), mtu,
                $"MTU {mtu} is not valid: it is {MinMtu} to {MaxMtu} octets, and at least 1280 where IPv6 is used.");
        }
        Execute(["link", "set", "dev", Name, "mtu", mtu.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
    }

    /// <summary>Brings the interface up: <c>ip link set dev NAME up</c>.</summary>
    /// <summary>
    /// The most segments a TSO super-packet the kernel hands this device may have (IFLA_GSO_MAX_SEGS, `ip link set ...
    /// gso_max_segs`), so that TCP sizes its super-packets to what one read can split (<see cref="TunReadBatch.MaxSegments"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">ip refused (a kernel before 5.19 cannot change it).</exception>
    public void SetGsoMaxSegments(int segments) =>
        Execute(["link", "set", "dev", Name, "gso_max_segs", segments.ToString(System.Globalization.CultureInfo.InvariantCulture)]);

    public void BringUp() => Execute(["link", "set", "dev", Name, "up"]);

    /// <summary>Adds an IPv4 or IPv6 address with its prefix length: <c>ip address add ADDRESS/PREFIX dev NAME</c>.</summary>
    public void AddAddress(IPAddress address, int prefixLength) => Remember(AddressArguments("add", address, prefixLength, null));

    /// <summary>
    /// Adds the address of one end of a point-to-point link, with the other end's: <c>ip address add ADDRESS peer
    /// PEER/PREFIX dev NAME</c> (the prefix length is the peer's; the kernel routes PEER/PREFIX into the interface).
    /// </summary>
    public void AddAddress(IPAddress address, IPAddress peer, int peerPrefixLength)
    {
        ArgumentNullException.ThrowIfNull(peer);
        Remember(AddressArguments("add", address, peerPrefixLength, peer));
    }

    /// <summary>Removes an address added with <see cref="AddAddress(IPAddress, int)"/> or, with its peer, the other overload.</summary>
    /// <exception cref="InvalidOperationException">ip failed, also when there is no such address.</exception>
    public void RemoveAddress(IPAddress address, int prefixLength, IPAddress? peer = null)
    {
        var arguments = AddressArguments("del", address, prefixLength, peer);
        Execute(arguments);
        lock (_lock)
            _addresses.RemoveAll(added => Undo(added).SequenceEqual(arguments));
    }

    /// <summary>
    /// Makes the kernel pass over the routes through this interface while it has no carrier (sysctl
    /// net.ipv4.conf.NAME.ignore_routes_with_linkdown = 1, and for IPv6 when the kernel has it): without it the kernel
    /// keeps sending into a "linkdown" route, a route of the same prefix with a higher metric never takes over, and a
    /// multipath route keeps hashing flows onto this interface's nexthop. The setting goes with the interface.
    /// </summary>
    /// <exception cref="IOException">The setting could not be written (/proc/sys read-only).</exception>
    /// <exception cref="InvalidOperationException">In a named namespace: ip netns exec ... sysctl failed.</exception>
    public void IgnoreRoutesWhileCarrierDown()
    {
        foreach (var family in (string[])["ipv4", "ipv6"])
        {
            if (!Directory.Exists($"/proc/sys/net/{family}"))
                continue;
            var key = $"net/{family}/conf/{Name}/ignore_routes_with_linkdown";
            if (NetworkNamespace is null)
                File.WriteAllText($"/proc/sys/{key}", "1");
            else
                Run(["netns", "exec", NetworkNamespace, "sysctl", "-q", "-w", $"{key}=1"]);
        }
    }

    /// <summary>
    /// Removes the addresses that this object added, newest first (the routes that lean on them went first, through
    /// RouteTable). What is already gone is skipped; any other failure is thrown as one exception once everything was
    /// tried. A second call does nothing.
    /// </summary>
    public void Dispose()
    {
        string[][] undo;
        lock (_lock)
        {
            undo = [.. Enumerable.Reverse(_addresses).Select(Undo)];
            _addresses.Clear();
        }
        List<string>? failures = null;
        foreach (var arguments in undo)
        {
            var run = IpCommand.InNamespace(NetworkNamespace, arguments);
            var result = _run(run);
            if (result.ExitCode != 0 && !result.IsGone)
                (failures ??= []).Add(IpCommand.Failure(run, result));
        }
        if (failures is not null)
            ThrowCleanupFailed(failures);
    }

    private static void ThrowCleanupFailed(List<string> failures) =>
        throw new InvalidOperationException(string.Join(" ", failures));

    private string[] AddressArguments(string verb, IPAddress address, int prefixLength, IPAddress? peer)
    {
        var bits = Bits(address, nameof(address));
        if (peer is not null && Bits(peer, nameof(peer)) != bits)
            throw new ArgumentException($"Peer {peer} is not valid for address {address}: both are IPv4 or both IPv6.", nameof(peer));
        if (prefixLength < 0 || prefixLength > bits)
        {
            throw new ArgumentOutOfRangeException(nameof(prefixLength), prefixLength,
                $"Prefix length {prefixLength} for {peer ?? address} is not valid: it is 0 to {bits}.");
        }
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        return peer is null
            ? ["address", verb, string.Create(culture, $"{address}/{prefixLength}"), "dev", Name]
            : ["address", verb, address.ToString(), "peer", string.Create(culture, $"{peer}/{prefixLength}"), "dev", Name];
    }

    private static int Bits(IPAddress address, string parameter)
    {
        ArgumentNullException.ThrowIfNull(address, parameter);
        return address.AddressFamily switch
        {
            AddressFamily.InterNetwork => 32,
            AddressFamily.InterNetworkV6 when address.ScopeId == 0 => 128,
            _ => throw new ArgumentException(
                $"Address {address} is not valid for an interface: it is an IPv4 or IPv6 address without a zone.", parameter),
        };
    }

    private void Remember(string[] arguments)
    {
        Execute(arguments);
        lock (_lock)
            _addresses.Add(arguments);
    }

    private void Execute(string[] arguments) => Run(IpCommand.InNamespace(NetworkNamespace, arguments));

    /// <summary>Runs ip with <paramref name="arguments"/> as they are (no -n added).</summary>
    private void Run(string[] arguments)
    {
        var result = _run(arguments);
        if (result.ExitCode != 0)
            throw new InvalidOperationException(IpCommand.Failure(arguments, result));
    }

    /// <summary>The command that takes back <paramref name="added"/>: the same arguments with "del" for "add".</summary>
    private static string[] Undo(string[] added)
    {
        var undo = (string[])added.Clone();
        undo[1] = "del";
        return undo;
    }
}
