using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Exchanges;

/// <summary>
/// Proposal selection (RFC 7296 2.7 and 3.3.6) in the responder's configured order, as strongSwan does by
/// default: for each configured proposal, the first offered proposal of the same protocol that has an
/// acceptable transform of every type the configured one has; of each type, the configured algorithm
/// that comes first wins.
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
                if (theirs.Protocol != mine.Protocol)
                    continue;
                var chosen = new List<Transform>();
                var ok = true;
                foreach (var type in mine.Transforms.Select(t => t.Type).Distinct())
                {
                    var pick = mine.OfType(type).FirstOrDefault(m => theirs.Transforms.Contains(m));
                    // RFC 7296 3.3.3: for ESP, "Diffie-Hellman group (optional)" and for ESN "NONE" is an
                    // explicit transform; a type only one side lists is no match.
                    if (pick is null)
                    {
                        ok = false;
                        break;
                    }
                    chosen.Add(pick);
                }
                // A type the peer requires that we did not configure makes no match either.
                if (ok && theirs.Transforms.Select(t => t.Type).Distinct().All(t => mine.Transforms.Any(m => m.Type == t)))
                    return new Proposal(theirs.Number, theirs.Protocol, spi, chosen);
            }
        }
        return null;
    }

    /// <summary>
    /// Initiator side: the responder's choice must be one of the offered proposals, with one transform of
    /// each of its types taken from that proposal (RFC 7296 2.7).
    /// </summary>
    public static Proposal? MatchChoice(IReadOnlyList<Proposal> offered, Proposal chosen)
    {
        foreach (var mine in offered)
        {
            if (mine.Number != chosen.Number || mine.Protocol != chosen.Protocol)
                continue;
            var types = mine.Transforms.Select(t => t.Type).Distinct().ToList();
            if (chosen.Transforms.Count == types.Count &&
                types.All(t => chosen.OfType(t).Count() == 1) &&
                chosen.Transforms.All(t => mine.Transforms.Contains(t)))
                return mine;
        }
        return null;
    }

    /// <summary>A proposal without its key exchange transforms (the first Child SA in IKE_AUTH has no KE).</summary>
    public static Proposal WithoutKeyExchange(Proposal p) =>
        new(p.Number, p.Protocol, p.Spi, [.. p.Transforms.Where(t => t.Type != TransformType.KeyExchange)]);
}
