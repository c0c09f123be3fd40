namespace S2SEndpoint.Ike.Messages;

/// <summary>Transform types (RFC 7296 section 3.3.2; type 4 renamed "Key Exchange Method" by RFC 9370).</summary>
public enum TransformType : byte
{
    Encryption = 1,
    Prf = 2,
    Integrity = 3,
    KeyExchange = 4,
    SequenceNumbers = 5,
}
