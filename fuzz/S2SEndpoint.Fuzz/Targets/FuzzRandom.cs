using S2SEndpoint.Ike.Crypto;

namespace S2SEndpoint.Fuzz.Targets;

/// <summary>IVs and masks from a counter: every run of a target with the same input does the same thing.</summary>
internal sealed class FuzzRandom : IRandomSource
{
    private byte _next;

    public void Fill(Span<byte> destination)
    {
        for (var i = 0; i < destination.Length; i++)
            destination[i] = unchecked(++_next);
    }
}
