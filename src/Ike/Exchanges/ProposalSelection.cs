using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Exchanges;

/// <summary>
/// Proposal selection (RFC 7296 2.7 and 3.3.6) in the responder's configured order, as strongSwan does by
/// default: for each configured proposal, the first offered proposal of the same protocol that has an
/// acceptable transform of every type the configured one has; of each type, the configured algorithm
/// that comes first wins. The additional key exchanges of RFC 9370 (ADDKE1 to ADDKE7) match like the other
/// types, except that NONE (ID 0) among them makes that exchange optional.
/// </summary>
public static class ProposalSelection
{
    /// <summary>The chosen proposal, numbered as the offer it came from, carrying <paramref name="spi"/>.</summary>
    public static Proposal? Select(IReadOnlyList<Proposal> configured, IReadOnlyList<Proposal> offered, byte[] spi)
    {
        foreach (var mine in configured)
        {
            foreach (var theirs in offered)
            {
                if (theirs.Protocol == mine.Protocol && TryMatch(mine, theirs, out var chosen))
                    return new Proposal(theirs.Number, theirs.Protocol, spi, chosen);
            }
        }
        return null;
    }

    private static bool TryMatch(Proposal mine, Proposal theirs, out List<Transform> chosen)
    {
        chosen = [];
        var methods = new HashSet<ushort>();
        foreach (var type in mine.Transforms.Select(t => t.Type).Distinct())
        {
            if (type.IsAdditionalKeyExchange())
                continue;
            var pick = mine.OfType(type).FirstOrDefault(m => theirs.Transforms.Contains(m));
            // RFC 7296 3.3.3: for ESP, "Diffie-Hellman group (optional)" and for ESN "NONE" is an
            // explicit transform; a type only one side lists is no match.
            if (pick is null)
                return false;
            chosen.Add(pick);
            if (type == TransformType.KeyExchange)
                methods.Add(pick.Id);
        }
        // A type the peer requires that we did not configure makes no match either.
        if (!theirs.Transforms.Select(t => t.Type).Distinct().All(t => t.IsAdditionalKeyExchange() || mine.Transforms.Any(m => m.Type == t)))
            return false;
        for (var n = 1; n <= AdditionalKeyExchange.MaxCount; n++)
        {
            var type = AdditionalKeyExchange.Type(n);
            var ours = mine.OfType(type).ToList();
            var peers = theirs.OfType(type).ToList();
            if (ours.Count == 0 && peers.Count == 0)
                continue;
            // RFC 9370 2.2.1: NONE among the transforms of an additional key exchange type means that exchange is
            // optional. A side that lists no transform of the type accepts only NONE; as strongSwan does, a key
            // exchange method is used once per proposal, and NONE is left out of the chosen proposal.
            if (ours.Count == 0 || peers.Count == 0)
            {
                if (!(ours.Count == 0 ? peers : ours).Exists(t => t.Id == (ushort)KeyExchangeMethod.None))
                    return false;
                continue;
            }
            var pick = ours.Find(m => peers.Contains(m) && (m.Id == (ushort)KeyExchangeMethod.None || !methods.Contains(m.Id)));
            if (pick is null)
                return false;
            if (pick.Id == (ushort)KeyExchangeMethod.None)
                continue;
            chosen.Add(pick);
            methods.Add(pick.Id);
        }
        return true;
    }

    /// <summary>
    /// Initiator side: the responder's choice must be one of the offered proposals, with one transform of
    /// each of its types taken from that proposal (RFC 7296 2.7); an additional key exchange type whose
    /// offer includes NONE may be left out (RFC 9370 2.2.1, as strongSwan answers).
    /// </summary>
    public static Proposal? MatchChoice(IReadOnlyList<Proposal> offered, Proposal chosen)
    {
        foreach (var mine in offered)
        {
            if (mine.Number != chosen.Number || mine.Protocol != chosen.Protocol)
                continue;
            var ok = mine.Transforms.Select(t => t.Type).Distinct().All(type => chosen.OfType(type).Count() switch
            {
                1 => true,
                0 => type.IsAdditionalKeyExchange() && mine.OfType(type).Any(t => t.Id == (ushort)KeyExchangeMethod.None),
                _ => false,
            });
            if (ok && chosen.Transforms.All(t => mine.Transforms.Contains(t)))
                return mine;
        }
        return null;
    }

    /// <summary>
    /// A proposal without its key exchange transforms, the additional ones too (the first Child SA in IKE_AUTH has
    /// no KE).
    /// </summary>
    public static Proposal WithoutKeyExchange(Proposal p) =>
        new(p.Number, p.Protocol, p.Spi, [.. p.Transforms.Where(t => t.Type != TransformType.KeyExchange && !t.Type.IsAdditionalKeyExchange())]);

    /// <summary>A proposal without its additional key exchanges (RFC 9370), keeping the first one.</summary>
    public static Proposal WithoutAdditionalKeyExchanges(Proposal p) =>
        p.Transforms.Any(t => t.Type.IsAdditionalKeyExchange())
            ? new(p.Number, p.Protocol, p.Spi, [.. p.Transforms.Where(t => !t.Type.IsAdditionalKeyExchange())])
            : p;

    /// <summary>The additional key exchanges of a chosen proposal, in the order ADDKE1 to ADDKE7, NONE left out.</summary>
    public static IReadOnlyList<KeyExchangeMethod> AdditionalKeyExchanges(Proposal chosen) =>
        [.. chosen.Transforms.Where(t => t.Type.IsAdditionalKeyExchange() && t.Id != (ushort)KeyExchangeMethod.None)
            .OrderBy(t => t.Type).Select(t => (KeyExchangeMethod)t.Id)];

    /// <summary>Whether a proposal offers any additional key exchange other than NONE.</summary>
    public static bool HasAdditionalKeyExchanges(Proposal p) =>
        p.Transforms.Any(t => t.Type.IsAdditionalKeyExchange() && t.Id != (ushort)KeyExchangeMethod.None);
}
