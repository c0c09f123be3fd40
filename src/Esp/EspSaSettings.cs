using System.Net;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Esp;

// What an ESP SA needs beyond its algorithms and keys: identity, outer endpoints, encapsulation, selectors,
// lifetimes and the local policy knobs of tunnel mode (RFC 4301 4.4.2.1 lists the SAD fields these come from).

/// <summary>The non-cryptographic parameters of one ESP SA, as IKE negotiated them and the configuration set them.</summary>
public sealed record EspSaSettings
{
    /// <summary>The SPI carried in every packet of the SA (chosen by the receiver, RFC 7296 3.3.1). Never 0.</summary>
    public required uint Spi { get; init; }

    public required SaDirection Direction { get; init; }

    /// <summary>
    /// Identifies the policy the SA serves, and stays the same across rekeys (strongSwan's reqid): the outbound SA
    /// of a policy is found by it in the <see cref="SaTable"/>.
    /// </summary>
    public uint ReqId { get; init; }

    /// <summary>Our outer (tunnel endpoint) address: the outer source of outbound packets.</summary>
    public required IPAddress LocalAddress { get; init; }

    /// <summary>The peer's outer address: the outer destination of outbound packets.</summary>
    public required IPAddress RemoteAddress { get; init; }

    /// <summary>Whether packets travel in UDP (RFC 3948), as they do once IKE has detected a NAT.</summary>
    public bool UdpEncapsulation { get; init; }

    /// <summary>Our UDP port when encapsulated.</summary>
    public ushort LocalPort { get; init; } = Esp.UdpEncapsulation.Port;

    /// <summary>The peer's UDP port when encapsulated (a NAT may have changed it from 4500).</summary>
    public ushort RemotePort { get; init; } = Esp.UdpEncapsulation.Port;

    /// <summary>Our side's traffic selectors: inner destinations of inbound packets must fall inside.</summary>
    public IReadOnlyList<TrafficSelector> LocalSelectors { get; init; } = AnyAddress;

    /// <summary>The peer's traffic selectors: inner sources of inbound packets must fall inside.</summary>
    public IReadOnlyList<TrafficSelector> RemoteSelectors { get; init; } = AnyAddress;

    public SaLifetime Lifetime { get; init; } = SaLifetime.Unlimited;

    /// <summary>Anti-replay window of an inbound SA, in packets.</summary>
    public int ReplayWindowSize { get; init; } = ReplayWindow.DefaultSize;

    /// <summary>TTL or hop limit of the outer header the library writes.</summary>
    public byte OuterTtl { get; init; } = 64;

    /// <summary>
    /// Whether the outbound path decrements the inner TTL or hop limit, as a router forwarding into the tunnel does.
    /// Off for packets the gateway itself originates, as in the RFC sample packets.
    /// </summary>
    public bool DecrementInnerHopLimit { get; init; } = true;

    /// <summary>Told about soft and hard lifetime limits; null when nobody listens.</summary>
    public ILifetimeObserver? LifetimeObserver { get; init; }

    /// <summary>0.0.0.0/0 and ::/0, every protocol and port.</summary>
    public static IReadOnlyList<TrafficSelector> AnyAddress { get; } =
    [
        TrafficSelector.FromPrefix(IPAddress.Any, 0),
        TrafficSelector.FromPrefix(IPAddress.IPv6Any, 0),
    ];
}
