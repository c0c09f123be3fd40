using System.Net;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Gateway.Updown;

/// <summary>
/// One run of a child's updown script: the child came up (its first Child SA was installed) or went down (its last one
/// was removed), for one pair of its selectors, as strongSwan runs its updown once per pair of local and remote
/// selectors of one address family. The control plane makes it after it applied the kernel's changes; the
/// <see cref="IUpdownRunner"/> runs it later, with the environment <see cref="UpdownEnvironment"/> makes of it.
/// </summary>
/// <param name="Script">children.NAME.updown, as it was when the child came up.</param>
/// <param name="Up">up-client (true) or down-client (false).</param>
/// <param name="ReqId">The child's stable request ID: the runner keeps each child's runs in order by it.</param>
/// <param name="UniqueId">The unique ID of the IKE SA that carries the Child SA (its [N] in the logs); 0 when it was not found.</param>
/// <param name="Me">Our outer endpoint of the Child SA's ESP.</param>
/// <param name="Peer">The peer's outer endpoint of the Child SA's ESP.</param>
/// <param name="Device">The tunnel device the child's traffic goes through: its own interface, or the shared device of policy-based children.</param>
/// <param name="UdpEncapsulation">Whether ESP goes in UDP (RFC 3948): then PLUTO_UDP_ENC holds the peer's port.</param>
public sealed record UpdownEvent(
    string Script,
    bool Up,
    string Connection,
    string Child,
    uint ReqId,
    uint UniqueId,
    IPEndPoint Me,
    IPEndPoint Peer,
    string MyId,
    string PeerId,
    TrafficSelector MyTs,
    TrafficSelector PeerTs,
    string Device,
    bool UdpEncapsulation);
