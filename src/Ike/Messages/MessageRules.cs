namespace S2SEndpoint.Ike.Messages;

/// <summary>
/// Which payloads each exchange may carry (RFC 7296 sections 1.2 to 1.5 and 3), checked before any task
/// sees a message, and the order in which this implementation writes them (the order strongSwan writes,
/// so that captures of both read alike).
/// </summary>
public static class MessageRules
{
    private static readonly PayloadType[] InitPayloads =
        [PayloadType.SecurityAssociation, PayloadType.KeyExchange, PayloadType.Nonce, PayloadType.Notify, PayloadType.VendorId, PayloadType.CertificateRequest];

    private static readonly PayloadType[] AuthPayloads =
    [
        PayloadType.IdInitiator, PayloadType.IdResponder, PayloadType.Certificate, PayloadType.CertificateRequest,
        PayloadType.Authentication, PayloadType.SecurityAssociation, PayloadType.TrafficSelectorInitiator,
        PayloadType.TrafficSelectorResponder, PayloadType.Notify, PayloadType.Configuration,
        PayloadType.ExtensibleAuthentication, PayloadType.VendorId,
    ];

    private static readonly PayloadType[] CreateChildPayloads =
    [
        PayloadType.SecurityAssociation, PayloadType.Nonce, PayloadType.KeyExchange, PayloadType.TrafficSelectorInitiator,
        PayloadType.TrafficSelectorResponder, PayloadType.Notify, PayloadType.VendorId, PayloadType.Configuration,
    ];

    /// <summary>
    /// RFC 9242 3 leaves what IKE_INTERMEDIATE carries to its users; RFC 9370 2.2.2 puts one KE payload in each that runs
    /// an additional key exchange.
    /// </summary>
    private static readonly PayloadType[] IntermediatePayloads = [PayloadType.KeyExchange, PayloadType.Notify, PayloadType.VendorId];

    /// <summary>RFC 9370 2.2.4: an IKE_FOLLOWUP_KE message carries the KE payload of one additional key exchange and the link data.</summary>
    private static readonly PayloadType[] FollowupKePayloads = [PayloadType.KeyExchange, PayloadType.Notify, PayloadType.VendorId];

    private static readonly PayloadType[] InformationalPayloads =
        [PayloadType.Notify, PayloadType.Delete, PayloadType.Configuration, PayloadType.VendorId];

    /// <summary>Payloads that may appear at most once in a message (RFC 7296 1.2 to 1.3).</summary>
    private static readonly PayloadType[] AtMostOnce =
    [
        PayloadType.SecurityAssociation, PayloadType.KeyExchange, PayloadType.Nonce, PayloadType.IdInitiator,
        PayloadType.IdResponder, PayloadType.Authentication, PayloadType.TrafficSelectorInitiator, PayloadType.TrafficSelectorResponder,
    ];

    /// <summary>
    /// Checks the (decrypted) payloads of a message against its exchange. Unknown payloads that were not
    /// critical are allowed: RFC 7296 3.2 has them skipped.
    /// </summary>
    public static bool TryValidate(ExchangeType exchange, IReadOnlyList<IkePayload> payloads, out ParseError error)
    {
        var allowed = exchange switch
        {
            ExchangeType.IkeSaInit => InitPayloads,
            ExchangeType.IkeAuth => AuthPayloads,
            ExchangeType.CreateChildSa => CreateChildPayloads,
            ExchangeType.Informational => InformationalPayloads,
            ExchangeType.IkeIntermediate => IntermediatePayloads,
            ExchangeType.IkeFollowupKe => FollowupKePayloads,
            _ => null,
        };
        if (allowed is null)
        {
            error = ParseError.Syntax(null, 18, $"exchange type {(byte)exchange} is not supported");
            return false;
        }
        Span<int> counts = stackalloc int[256];
        foreach (var p in payloads)
        {
            if (p is UnknownPayload)
                continue;
            if (Array.IndexOf(allowed, p.Type) < 0)
            {
                error = ParseError.Syntax(p.Type, 0, $"{p.Type} payload is not allowed in {exchange}");
                return false;
            }
            if (++counts[(byte)p.Type] > 1 && Array.IndexOf(AtMostOnce, p.Type) >= 0)
            {
                error = ParseError.Syntax(p.Type, 0, $"{exchange} carries more than one {p.Type} payload");
                return false;
            }
        }
        error = default;
        return true;
    }

    /// <summary>True when messages of this exchange travel inside an SK payload (everything after IKE_SA_INIT).</summary>
    public static bool IsProtected(ExchangeType exchange) => exchange != ExchangeType.IkeSaInit;

    /// <summary>Sorts payloads into the order this implementation writes them; stable for equal ranks.</summary>
    public static List<IkePayload> InWireOrder(ExchangeType exchange, IEnumerable<IkePayload> payloads) =>
        [.. payloads.OrderBy(p => Rank(exchange, p))];

    private static int Rank(ExchangeType exchange, IkePayload payload)
    {
        if (payload is NotifyPayload n)
        {
            // RFC 7296 2.6: the COOKIE notify comes first; REKEY_SA leads CREATE_CHILD_SA as strongSwan writes it.
            if (n.NotifyType is NotifyType.Cookie or NotifyType.RekeySa)
                return 0;
            if (n.NotifyType.IsError())
                return 1;
            // SA, KE, Nonce, NAT detection, then the other notifies, as strongSwan writes IKE_SA_INIT.
            if (exchange == ExchangeType.IkeSaInit && n.NotifyType is NotifyType.NatDetectionSourceIp or NotifyType.NatDetectionDestinationIp)
                return 35;
            // IDi, CERT, N(INITIAL_CONTACT), CERTREQ, IDr: strongSwan puts INITIAL_CONTACT after IDi and its CERT.
            if (exchange == ExchangeType.IkeAuth && n.NotifyType == NotifyType.InitialContact)
                return 25;
        }
        var order = exchange switch
        {
            ExchangeType.IkeSaInit => [PayloadType.SecurityAssociation, PayloadType.KeyExchange, PayloadType.Nonce, PayloadType.Notify, PayloadType.CertificateRequest, PayloadType.VendorId],
            ExchangeType.IkeAuth =>
            [
                PayloadType.IdInitiator, PayloadType.Certificate, PayloadType.CertificateRequest, PayloadType.IdResponder,
                PayloadType.Authentication, PayloadType.ExtensibleAuthentication, PayloadType.Configuration, PayloadType.SecurityAssociation,
                PayloadType.TrafficSelectorInitiator, PayloadType.TrafficSelectorResponder, PayloadType.Notify, PayloadType.VendorId,
            ],
            ExchangeType.CreateChildSa =>
            [
                PayloadType.SecurityAssociation, PayloadType.Nonce, PayloadType.KeyExchange, PayloadType.TrafficSelectorInitiator,
                PayloadType.TrafficSelectorResponder, PayloadType.Notify, PayloadType.VendorId,
            ],
            ExchangeType.IkeIntermediate => IntermediatePayloads,
            ExchangeType.IkeFollowupKe => FollowupKePayloads,
            _ => (PayloadType[])[PayloadType.Notify, PayloadType.Delete, PayloadType.Configuration, PayloadType.VendorId],
        };
        var index = Array.IndexOf(order, payload.Type);
        return 10 + ((index < 0 ? order.Length : index) * 10);
    }
}
