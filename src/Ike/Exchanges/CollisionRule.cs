namespace S2SEndpoint.Ike.Exchanges;

/// <summary>
/// RFC 7296 2.8.1 and 2.8.2: when two rekeys of one SA cross, "the SA created with the lowest of the four
/// nonces used in the two exchanges is redundant". Nonces compare as unsigned big-endian octet strings,
/// as strongSwan compares them (memcmp over the shorter length, then the shorter first).
/// </summary>
internal static class CollisionRule
{
    /// <summary>True when the lowest of the four nonces belongs to our exchange: our new SA is the redundant one.</summary>
    public static bool OursIsRedundant(byte[] ourNi, byte[] ourNr, byte[] theirNi, byte[] theirNr) =>
        Compare(Min(ourNi, ourNr), Min(theirNi, theirNr)) < 0;

    private static byte[] Min(byte[] a, byte[] b) => Compare(a, b) <= 0 ? a : b;

    private static int Compare(byte[] a, byte[] b)
    {
        var n = Math.Min(a.Length, b.Length);
        var c = a.AsSpan(0, n).SequenceCompareTo(b.AsSpan(0, n));
        return c != 0 ? c : a.Length.CompareTo(b.Length);
    }
}
