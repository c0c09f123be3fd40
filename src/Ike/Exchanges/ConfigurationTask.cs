using System.Net;
using System.Net.Sockets;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Ike.Exchanges;

/// <summary>
/// The configuration payload of IKE_AUTH (RFC 7296 2.19, 3.15), as strongSwan's ike_config task: the client asks for
/// virtual IPs (swanctl's vips) with CP(CFG_REQUEST) and takes what CP(CFG_REPLY) gives, with the DNS servers; the
/// responder leases addresses from the connection's pools (<see cref="AddressPool"/>) and answers with them. It runs
/// after authentication and before the first child, which narrows its dynamic selectors to the virtual IPs (2.19).
/// When the responder has no address to give, the child that needs one is refused (<see cref="IkeSa.VirtualIpFailure"/>);
/// the IKE SA stays (3.15.4).
/// </summary>
internal sealed class ConfigurationTask(IkeSa sa, bool initiator) : IkeTask(sa, initiator)
{
    private const int Ipv4Length = 4;
    private const int Ipv6Length = 16;

    /// <summary>RFC 7296 3.15.1: INTERNAL_IP6_ADDRESS is "a 16-octet IPv6 address, and ... a one-octet prefix-length".</summary>
    private const int Ipv6AddressLength = Ipv6Length + 1;

    private bool _requested;
    private readonly List<(IPAddress Address, AddressPoolConfig Pool)> _leased = [];

    public override TaskType Type => TaskType.IkeConfig;
    public override ExchangeType Exchange => ExchangeType.IkeAuth;

    public override TaskOutcome Build(OutgoingMessage message)
    {
        if (message.Exchange != ExchangeType.IkeAuth)
            return TaskOutcome.NeedMore;
        if (IsInitiator)
        {
            // RFC 7296 2.19: "CP(CFG_REQUEST) MUST contain at least an INTERNAL_ADDRESS attribute (either IPv4 or IPv6) but
            // MAY contain any number of additional attributes the initiator wants returned in the response."
            var attributes = new List<ConfigurationAttribute>();
            foreach (var vip in Sa.Config.VirtualIps)
                attributes.Add(AddressAttribute(vip, vip.AddressFamily == AddressFamily.InterNetworkV6 ? 128 : 32, request: true));
            foreach (var family in Sa.Config.VirtualIps.Select(v => v.AddressFamily).Distinct())
                attributes.Add(new ConfigurationAttribute(family == AddressFamily.InterNetwork ? ConfigurationAttributeType.InternalIp4Dns : ConfigurationAttributeType.InternalIp6Dns, []));
            message.Add(new ConfigurationPayload(ConfigurationType.Request, attributes));
            return TaskOutcome.NeedMore;
        }
        // RFC 7296 2.19: "The responder MUST NOT send a CFG_REPLY without having first received a CP(CFG_REQUEST) from the
        // initiator". Without an address to give there is nothing to reply: the refused child carries the notify.
        if (_requested && _leased.Count > 0)
        {
            var reply = new List<ConfigurationAttribute>();
            foreach (var (address, pool) in _leased)
                reply.Add(AddressAttribute(address, pool.PrefixLength, request: false));
            foreach (var dns in _leased.SelectMany(l => l.Pool.Dns).Distinct())
                reply.Add(new ConfigurationAttribute(dns.AddressFamily == AddressFamily.InterNetwork ? ConfigurationAttributeType.InternalIp4Dns : ConfigurationAttributeType.InternalIp6Dns, dns.GetAddressBytes()));
            message.Add(new ConfigurationPayload(ConfigurationType.Reply, reply));
        }
        return TaskOutcome.Success;
    }

    /// <summary>
    /// INTERNAL_IP4_ADDRESS or INTERNAL_IP6_ADDRESS (RFC 7296 3.15.1): empty in a request for any address ("a zero-length
    /// address if no specific address is requested"), else the address, for IPv6 with its prefix length.
    /// </summary>
    private static ConfigurationAttribute AddressAttribute(IPAddress address, int prefixLength, bool request)
    {
        var ipv6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        var type = ipv6 ? ConfigurationAttributeType.InternalIp6Address : ConfigurationAttributeType.InternalIp4Address;
        if (request && (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)))
            return new ConfigurationAttribute(type, []);
        var bytes = address.GetAddressBytes();
        return new ConfigurationAttribute(type, ipv6 ? [.. bytes, (byte)prefixLength] : bytes);
    }

    public override TaskOutcome Process(IncomingMessage message)
    {
        if (message.Header.Exchange != ExchangeType.IkeAuth)
            return TaskOutcome.NeedMore;
        return IsInitiator ? ProcessResponse(message) : ProcessRequest(message);
    }

    private TaskOutcome ProcessRequest(IncomingMessage request)
    {
        var cp = request.Payloads.OfType<ConfigurationPayload>().FirstOrDefault(c => c.ConfigurationType == ConfigurationType.Request);
        var wanted = cp is null ? [] : Wanted(cp);
        _requested = cp is not null;
        if (Sa.Config.Pools.Count == 0)
            return TaskOutcome.NeedMore;
        if (wanted.Count == 0)
        {
            // RFC 7296 2.19: "In the case where the IRAS's configuration requires that CP be used for a given identity IDi,
            // but IRAC has failed to send a CP(CFG_REQUEST), IRAS MUST fail the request, and terminate the Child SA creation
            // with a FAILED_CP_REQUIRED error. The FAILED_CP_REQUIRED is not fatal to the IKE SA".
            Sa.VirtualIpFailure = NotifyType.FailedCpRequired;
            return TaskOutcome.NeedMore;
        }
        foreach (var (family, wish) in wanted)
        {
            if (Sa.Context.TryLease(Sa, family, wish, out var address, out var pool))
            {
                _leased.Add((address, pool));
                Sa.Context.Log.VirtualIpLeased(Sa.Config.Name, Sa.Id, address.ToString(), pool.Name, SafeText.Clean(Sa.RemoteId!.ToString()));
            }
        }
        if (_leased.Count == 0)
        {
            // RFC 7296 3.15.4: "If the responder encounters an error while attempting to assign an IP address to the
            // initiator during the processing of a Configuration payload, it responds with an INTERNAL_ADDRESS_FAILURE
            // notification. The IKE SA is still created even if the initial Child SA cannot be created because of this failure."
            Sa.VirtualIpFailure = NotifyType.InternalAddressFailure;
            var families = string.Join(" and ", wanted.Select(w => w.Family == AddressFamily.InterNetwork ? "IPv4" : "IPv6").Distinct());
            Sa.Context.Log.NoVirtualIp(Sa.Config.Name, Sa.Id, SafeText.Clean(Sa.RemoteId!.ToString()), families,
                string.Join(", ", Sa.Config.Pools.Select(p => $"{p.Name} ({p})")));
        }
        return TaskOutcome.NeedMore;
    }

    /// <summary>The address families a CFG_REQUEST asks for, one each, with the address wished for (none: any).</summary>
    private static List<(AddressFamily Family, IPAddress? Wish)> Wanted(ConfigurationPayload request)
    {
        var wanted = new List<(AddressFamily, IPAddress?)>();
        foreach (var a in request.Attributes)
        {
            var family = a.AttributeType switch
            {
                ConfigurationAttributeType.InternalIp4Address => AddressFamily.InterNetwork,
                ConfigurationAttributeType.InternalIp6Address => AddressFamily.InterNetworkV6,
                _ => AddressFamily.Unspecified,
            };
            if (family == AddressFamily.Unspecified || wanted.Exists(w => w.Item1 == family))
                continue;
            IPAddress? wish = null;
            if (family == AddressFamily.InterNetwork && a.Value.Length == Ipv4Length)
                wish = new IPAddress(a.Value);
            else if (family == AddressFamily.InterNetworkV6 && a.Value.Length == Ipv6AddressLength)
                wish = new IPAddress(a.Value.AsSpan(0, Ipv6Length));
            if (wish is not null && (wish.Equals(IPAddress.Any) || wish.Equals(IPAddress.IPv6Any)))
                wish = null;
            wanted.Add((family, wish));
        }
        return wanted;
    }

    private TaskOutcome ProcessResponse(IncomingMessage response)
    {
        var addresses = new List<IPAddress>();
        var dns = new List<IPAddress>();
        foreach (var cp in response.Payloads.OfType<ConfigurationPayload>().Where(c => c.ConfigurationType == ConfigurationType.Reply))
        {
            foreach (var a in cp.Attributes)
            {
                // Values of another length than 3.15.1 gives are not addresses: left out.
                switch (a.AttributeType)
                {
                    case ConfigurationAttributeType.InternalIp4Address when a.Value.Length == Ipv4Length && Asked(AddressFamily.InterNetwork):
                        addresses.Add(new IPAddress(a.Value));
                        break;
                    case ConfigurationAttributeType.InternalIp6Address when a.Value.Length == Ipv6AddressLength && Asked(AddressFamily.InterNetworkV6):
                        addresses.Add(new IPAddress(a.Value.AsSpan(0, Ipv6Length)));
                        break;
                    case ConfigurationAttributeType.InternalIp4Dns when a.Value.Length == Ipv4Length:
                        dns.Add(new IPAddress(a.Value));
                        break;
                    case ConfigurationAttributeType.InternalIp6Dns when a.Value.Length == Ipv6Length:
                        dns.Add(new IPAddress(a.Value));
                        break;
                    default:
                        break;
                }
            }
        }
        addresses = [.. addresses.Distinct().Where(a => !a.Equals(IPAddress.Any) && !a.Equals(IPAddress.IPv6Any))];
        dns = [.. dns.Distinct()];
        if (addresses.Count == 0)
        {
            var why = response.FindNotify(NotifyType.InternalAddressFailure) is not null ? NotifyType.InternalAddressFailure
                : response.FindNotify(NotifyType.FailedCpRequired) is not null ? NotifyType.FailedCpRequired : NotifyType.None;
            Sa.Context.Log.NoVirtualIpReceived(Sa.Config.Name, Sa.Id, string.Join(", ", Sa.Config.VirtualIps),
                why == NotifyType.None ? "" : $" ({why.ToRfcName()})");
            return TaskOutcome.Success;
        }
        Sa.SetLocalVirtualIps(addresses, dns);
        foreach (var address in addresses)
            Sa.Context.Kernel.AddVirtualIp(Sa.Config.Name, Sa.Id, address);
        Sa.Context.Log.VirtualIpReceived(Sa.Config.Name, Sa.Id, string.Join(", ", addresses), dns.Count == 0 ? "none" : string.Join(", ", dns));
        return TaskOutcome.Success;
    }

    private bool Asked(AddressFamily family) => Sa.Config.VirtualIps.Any(v => v.AddressFamily == family);
}
