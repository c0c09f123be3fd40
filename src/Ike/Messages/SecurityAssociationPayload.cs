namespace S2SEndpoint.Ike.Messages;

// RFC 7296 section 3.3, Security Association payload:
//                      1                   2                   3
//  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// | Next Payload  |C|  RESERVED   |         Payload Length        |
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
// ~                          <Proposals>                          ~
// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

/// <summary>The SA payload: proposals, most preferred first (RFC 7296 section 3.3).</summary>
public sealed class SecurityAssociationPayload(IReadOnlyList<Proposal> proposals) : IkePayload
{
    public IReadOnlyList<Proposal> Proposals { get; } = proposals;

    public override PayloadType Type => PayloadType.SecurityAssociation;

    public override int BodyLength => Proposals.Sum(p => p.Length);

    public override void WriteBody(Span<byte> destination)
    {
        var pos = 0;
        for (var i = 0; i < Proposals.Count; i++)
        {
            Proposals[i].Write(destination[pos..], i == Proposals.Count - 1);
            pos += Proposals[i].Length;
        }
    }

    public static bool TryRead(ReadOnlySpan<byte> body, int offset, out SecurityAssociationPayload payload, out ParseError error)
    {
        payload = null!;
        var proposals = new List<Proposal>();
        var pos = 0;
        var sawLast = false;
        while (pos < body.Length)
        {
            if (sawLast)
            {
                error = ParseError.Syntax(PayloadType.SecurityAssociation, offset + pos, "data after the last proposal");
                return false;
            }
            if (!Proposal.TryRead(body[pos..], offset + pos, out var proposal, out var used, out sawLast, out error))
                return false;
            proposals.Add(proposal);
            pos += used;
        }
        if (!sawLast)
        {
            error = ParseError.Syntax(PayloadType.SecurityAssociation, offset, proposals.Count == 0
                ? "SA payload holds no proposal"
                : "SA payload ends before its last proposal");
            return false;
        }
        payload = new SecurityAssociationPayload(proposals);
        error = default;
        return true;
    }
}
