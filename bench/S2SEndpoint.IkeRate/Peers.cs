using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;
using S2SEndpoint.TestSupport;

namespace S2SEndpoint.IkeRate;

/// <summary>
/// The connections of the bench: one responder accepting any peer (remote_addrs %any, any identity its PSK or its root
/// vouches for) and initiator number i at 198.18.x.y (RFC 2544's benchmarking range) as client{i}.s2s.test, each with
/// one child 10.1.0.0/24 === 10.2.0.0/24, IKE proposal <see cref="DefaultIke"/> or the one asked for, ESP aes256gcm16.
/// </summary>
internal sealed class Peers
{
    public static readonly IPAddress ResponderAddress = IPAddress.Parse("192.0.2.1");
    private const string ResponderId = "gw.s2s.test";
    private static readonly byte[] Psk = Encoding.UTF8.GetBytes("ike-rate-bench-psk");

    /// <summary>The IKE proposal of a run without --ike.</summary>
    public const string DefaultIke = "aes256gcm16-prfsha256-x25519";

    private readonly BenchAuth _auth;
    private readonly IReadOnlyList<Proposal> _ike;
    private readonly TestPki.Ca? _root;
    private readonly TestKey? _initiatorKey;

    public Peers(BenchAuth auth, string ike)
    {
        _auth = auth;
        _ike = Parse(ike, ProtocolId.Ike);
        if (auth == BenchAuth.EcdsaP256)
        {
            _root = TestPki.CreateCa("C=CH, O=Bench, CN=Bench Root CA");
            _initiatorKey = TestKey.Get(SigningKeyType.EcdsaP256, 1);
        }
    }

    public IkeSaConfig Responder()
    {
        var config = Connection("hub", ResponderAddress, [], ResponderId, null, "10.2.0.0/24", "10.1.0.0/24");
        if (_root is null)
            return config;
        var key = TestKey.Get(SigningKeyType.EcdsaP256, 2);
        return WithCertificate(config, TestPki.Issue(_root, "C=CH, O=Bench, CN=gw", key, dns: [ResponderId]), key);
    }

    /// <summary>Initiator <paramref name="i"/>'s address: 198.18.0.1 onwards, 250 to a /24.</summary>
    public static IPAddress InitiatorAddress(int i) => new([198, (byte)(18 + (i / 250 / 256)), (byte)(i / 250 % 256), (byte)((i % 250) + 1)]);

    public IkeSaConfig Initiator(int i)
    {
        var id = $"client{i}.s2s.test";
        var config = Connection("home", InitiatorAddress(i), [ResponderAddress], id, ResponderId, "10.1.0.0/24", "10.2.0.0/24");
        return _root is null ? config : WithCertificate(config, TestPki.Issue(_root, $"C=CH, O=Bench, CN=client{i}", _initiatorKey!, dns: [id]), _initiatorKey!);
    }

    private IkeSaConfig WithCertificate(IkeSaConfig config, X509Certificate2 certificate, TestKey key) => config with
    {
        LocalAuth = AuthClass.PublicKey,
        RemoteAuth = AuthClass.PublicKey,
        LocalCredential = new LocalCredential(certificate, [], key.Signing),
        TrustAnchors = [_root!.Certificate],
    };

    private IkeSaConfig Connection(string name, IPAddress local, IPAddress[] remote, string localId, string? remoteId, string localTs, string remoteTs) => new()
    {
        Name = name,
        LocalAddresses = [local],
        RemoteAddresses = remote,
        Proposals = _ike,
        LocalId = Identity.Parse(localId),
        RemoteId = remoteId is null ? null : Identity.Parse(remoteId),
        PreSharedKey = Psk,
        Children =
        [
            new ChildSaConfig
            {
                Name = "net",
                LocalTs = [Prefix(localTs)],
                RemoteTs = [Prefix(remoteTs)],
                EspProposals = Parse("aes256gcm16", ProtocolId.Esp),
            },
        ],
    };

    /// <summary>Whether <paramref name="keywords"/> is an IKE proposal list the engine takes; otherwise why not.</summary>
    public static bool TryParseIke(string keywords, out string problem) =>
        ProposalKeywords.TryParseList(keywords, ProtocolId.Ike, out _, out problem);

    private static IReadOnlyList<Proposal> Parse(string keywords, ProtocolId protocol) =>
        ProposalKeywords.TryParseList(keywords, protocol, out var proposals, out var error) ? proposals : throw new InvalidOperationException(error);

    private static TrafficSelector Prefix(string cidr)
    {
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        return TrafficSelector.FromPrefix(IPAddress.Parse(cidr[..slash]), int.Parse(cidr[(slash + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }
}
