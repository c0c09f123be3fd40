namespace S2SEndpoint.Ike.Crypto;

/// <summary>
/// ML-KEM (FIPS 203, draft-ietf-ipsecme-ikev2-mlkem) behind the <see cref="KeyExchange"/> abstraction, whose
/// callers treat both sides alike. A KEM's sides differ, and the exchange takes its role from its first use:
/// the initiator reads <see cref="PublicValue"/> first and gets the encapsulation key (key generation happens
/// then), and later decapsulates the responder's ciphertext in <see cref="TryDeriveSharedSecret"/>; the
/// responder calls <see cref="TryDeriveSharedSecret"/> first with the initiator's encapsulation key, which
/// encapsulates, and <see cref="PublicValue"/> is then the ciphertext for its KE payload. Every task already
/// works in that order (the responder derives before it builds its response).
/// </summary>
public sealed class MlKemMethod : KeyExchange
{
    private readonly IRandomSource _random;
    private MlKemKeyExchange? _initiator;
    private byte[]? _ciphertext;
    private bool _disposed;

    internal MlKemMethod(KeyExchangeMethod method, IRandomSource random) : base(method)
    {
        if (!MlKemKeyExchange.IsMlKem(method))
            throw new ArgumentOutOfRangeException(nameof(method), method, "not an ML-KEM key exchange method");
        _random = random;
    }

    /// <summary>The initiator's encapsulation key, or once the responder has encapsulated, its ciphertext.</summary>
    public override byte[] PublicValue
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_ciphertext is not null)
                return _ciphertext;
            _initiator ??= MlKemKeyExchange.CreateInitiator(Method, _random);
            return _initiator.PublicValue;
        }
    }

    /// <summary>What the peer's KE data must measure: the ciphertext for an initiator, the encapsulation key for a responder.</summary>
    public override int PublicValueLength => _initiator is not null
        ? MlKemKeyExchange.CiphertextLength(Method)
        : MlKemKeyExchange.EncapsulationKeyLength(Method);

    public override bool TryDeriveSharedSecret(ReadOnlySpan<byte> peerPublicValue, out byte[] sharedSecret, out string reason)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_initiator is not null)
            return _initiator.TryDecapsulate(peerPublicValue, out sharedSecret, out reason);
        if (_ciphertext is not null)
            return Refuse($"{Method} responder has already encapsulated", out sharedSecret, out reason);
        if (!MlKemKeyExchange.TryEncapsulate(Method, peerPublicValue, _random, out var ciphertext, out sharedSecret, out reason))
            return false;
        _ciphertext = ciphertext;
        return true;
    }

    protected override void ReleasePrivateValue()
    {
        _initiator?.Dispose();
        _initiator = null;
        _disposed = true;
    }
}
