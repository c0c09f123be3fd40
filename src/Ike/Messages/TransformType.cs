namespace S2SEndpoint.Ike.Messages;

/// <summary>
/// Transform types (RFC 7296 section 3.3.2; type 4 renamed "Key Exchange Method" by RFC 9370, which adds the
/// Additional Key Exchange types 6 to 12, RFC 9370 2.2.1).
/// </summary>
public enum TransformType : byte
{
    Encryption = 1,
    Prf = 2,
    Integrity = 3,
    KeyExchange = 4,
    SequenceNumbers = 5,
    AdditionalKeyExchange1 = 6,
    AdditionalKeyExchange2 = 7,
    AdditionalKeyExchange3 = 8,
    AdditionalKeyExchange4 = 9,
    AdditionalKeyExchange5 = 10,
    AdditionalKeyExchange6 = 11,
    AdditionalKeyExchange7 = 12,
}

/// <summary>Helpers for the RFC 9370 Additional Key Exchange transform types.</summary>
public static class AdditionalKeyExchange
{
    /// <summary>RFC 9370 2.2.1: at most seven additional key exchanges, ADDKE1 to ADDKE7.</summary>
    public const int MaxCount = 7;

    public static bool IsAdditionalKeyExchange(this TransformType type) =>
        type is >= TransformType.AdditionalKeyExchange1 and <= TransformType.AdditionalKeyExchange7;

    /// <summary>ADDKE<paramref name="n"/> for n = 1 to 7.</summary>
    public static TransformType Type(int n) =>
        n is >= 1 and <= MaxCount ? (TransformType)((int)TransformType.AdditionalKeyExchange1 + n - 1)
            : throw new ArgumentOutOfRangeException(nameof(n), n, "additional key exchanges are numbered 1 to 7");

    /// <summary>The n of ADDKEn.</summary>
    public static int Number(TransformType type) => (int)type - (int)TransformType.AdditionalKeyExchange1 + 1;
}
