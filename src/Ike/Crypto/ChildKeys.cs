using System.Security.Cryptography;

namespace S2SEndpoint.Ike.Crypto;

/// <summary>
/// The keys of a Child SA (RFC 7296 2.17): KEYMAT = prf+(SK_d, Ni | Nr), or with PFS
/// KEYMAT = prf+(SK_d, g^ir (new) | Ni | Nr), and with the additional key exchanges of RFC 9370 2.2.4
/// KEYMAT = prf+(SK_d, SK(0) | Ni | Nr | SK(1) | ... | SK(n)). "All keys for SAs carrying data from the initiator to the
/// responder are taken before SAs going from the responder to the initiator"; for each, the encryption key
/// (with its salt) comes first, then the integrity key.
/// </summary>
public sealed class ChildKeys : IDisposable
{
    private ChildKeys(byte[] encryptionI, byte[] integrityI, byte[] encryptionR, byte[] integrityR)
    {
        EncryptionInitiatorToResponder = encryptionI;
        IntegrityInitiatorToResponder = integrityI;
        EncryptionResponderToInitiator = encryptionR;
        IntegrityResponderToInitiator = integrityR;
    }

    public byte[] EncryptionInitiatorToResponder { get; }
    public byte[] IntegrityInitiatorToResponder { get; }
    public byte[] EncryptionResponderToInitiator { get; }
    public byte[] IntegrityResponderToInitiator { get; }

    /// <summary>
    /// Derives the keys. <paramref name="pfsSharedSecret"/> is empty without PFS; <paramref name="ni"/> and
    /// <paramref name="nr"/> are the nonces of the exchange that created the Child SA; <paramref name="additionalSecrets"/>
    /// is SK(1) | ... | SK(n), the shared secrets of the IKE_FOLLOWUP_KE exchanges in order, empty without them.
    /// </summary>
    public static ChildKeys Derive(Prf prf, ReadOnlySpan<byte> skD, ChildSuite suite, ReadOnlySpan<byte> pfsSharedSecret, ReadOnlySpan<byte> ni, ReadOnlySpan<byte> nr,
        ReadOnlySpan<byte> additionalSecrets = default)
    {
        var seed = IkeKeys.Concat(pfsSharedSecret, ni, nr, additionalSecrets);
        var encr = suite.EncryptionKeySize;
        var integ = suite.IntegrityKeySize;
        var stream = prf.PrfPlus(skD, seed, 2 * (encr + integ));
        try
        {
            var reader = new IkeKeys.KeyStream(stream);
            return new ChildKeys(reader.Take(encr), reader.Take(integ), reader.Take(encr), reader.Take(integ));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(stream);
            CryptographicOperations.ZeroMemory(seed);
        }
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(EncryptionInitiatorToResponder);
        CryptographicOperations.ZeroMemory(IntegrityInitiatorToResponder);
        CryptographicOperations.ZeroMemory(EncryptionResponderToInitiator);
        CryptographicOperations.ZeroMemory(IntegrityResponderToInitiator);
    }
}
