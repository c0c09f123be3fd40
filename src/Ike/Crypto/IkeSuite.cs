using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Crypto;

/// <summary>
/// The algorithms of an IKE SA, taken from the one proposal the responder chose: encryption, PRF,
/// integrity (none with an AEAD) and key exchange (RFC 7296 3.3.3).
/// </summary>
public sealed record IkeSuite(EncryptionTransform Encryption, Prf Prf, Integrity? Integrity, KeyExchangeMethod KeyExchange)
{
    /// <summary>Reads a chosen proposal: exactly one transform of each type IKE needs, all implemented here.</summary>
    public static bool TryFromProposal(Proposal proposal, out IkeSuite suite, out string error)
    {
        suite = null!;
        if (proposal.Protocol != ProtocolId.Ike)
            return SuiteErrors.Fail($"proposal is for {proposal.Protocol}, not IKE", out error);
        if (!SuiteErrors.TryOne(proposal, TransformType.Encryption, true, out var encr, out error) ||
            !SuiteErrors.TryOne(proposal, TransformType.Prf, true, out var prfTransform, out error) ||
            !SuiteErrors.TryOne(proposal, TransformType.Integrity, false, out var integ, out error) ||
            !SuiteErrors.TryOne(proposal, TransformType.KeyExchange, true, out var ke, out error))
            return false;
        var encryption = EncryptionTransform.Find(encr!.Id, encr.KeyLength);
        if (encryption is null || !encryption.AllowedInIke)
            return SuiteErrors.Fail($"encryption {encr.Id} with key length {encr.KeyLength?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"} is not supported for IKE", out error);
        var prf = Prf.For((PrfAlgorithm)prfTransform!.Id);
        if (prf is null)
            return SuiteErrors.Fail($"PRF {prfTransform.Id} is not supported", out error);
        if (!SuiteErrors.TryIntegrity(encryption, integ, out var integrity, out error))
            return false;
        var method = (KeyExchangeMethod)ke!.Id;
        if (!Crypto.KeyExchange.IsSupported(method))
            return SuiteErrors.Fail($"key exchange method {ke.Id} is not supported", out error);
        if (!SuiteErrors.TryAdditional(proposal, out error))
            return false;
        suite = new IkeSuite(encryption, prf, integrity, method);
        return true;
    }

    /// <summary>SK_ei/SK_er length: the cipher key plus, for an AEAD, its salt (RFC 5282 7.1, RFC 7634 3).</summary>
    public int EncryptionKeySize => Encryption.KeyMaterialSize;

    public int IntegrityKeySize => Integrity?.KeySize ?? 0;
}

/// <summary>
/// The algorithms of a Child SA: encryption, integrity (none with an AEAD), the key exchange of PFS
/// (<see cref="KeyExchangeMethod.None"/> without) and extended sequence numbers.
/// </summary>
public sealed record ChildSuite(EncryptionTransform Encryption, Integrity? Integrity, KeyExchangeMethod KeyExchange, bool ExtendedSequenceNumbers)
{
    public static bool TryFromProposal(Proposal proposal, out ChildSuite suite, out string error)
    {
        suite = null!;
        if (proposal.Protocol != ProtocolId.Esp)
            return SuiteErrors.Fail($"proposal is for {proposal.Protocol}, only ESP is supported", out error);
        if (!SuiteErrors.TryOne(proposal, TransformType.Encryption, true, out var encr, out error) ||
            !SuiteErrors.TryOne(proposal, TransformType.Integrity, false, out var integ, out error) ||
            !SuiteErrors.TryOne(proposal, TransformType.KeyExchange, false, out var ke, out error) ||
            !SuiteErrors.TryOne(proposal, TransformType.SequenceNumbers, true, out var esn, out error))
            return false;
        var encryption = EncryptionTransform.Find(encr!.Id, encr.KeyLength);
        if (encryption is null)
            return SuiteErrors.Fail($"ESP encryption {encr.Id} with key length {encr.KeyLength?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"} is not supported", out error);
        if (!SuiteErrors.TryIntegrity(encryption, integ, out var integrity, out error))
            return false;
        if (encryption.Algorithm == EncryptionAlgorithm.Null && integrity is null)
            return SuiteErrors.Fail("ESP with NULL encryption needs an integrity algorithm", out error);
        var method = ke is null ? KeyExchangeMethod.None : (KeyExchangeMethod)ke.Id;
        if (method != KeyExchangeMethod.None && !Crypto.KeyExchange.IsSupported(method))
            return SuiteErrors.Fail($"key exchange method {ke!.Id} is not supported", out error);
        // RFC 9370 2.2.4: a Child SA's additional key exchanges run in IKE_FOLLOWUP_KE after the first one of CREATE_CHILD_SA;
        // without a first one there is nothing to follow up (strongSwan ignores them then, this side refuses the proposal).
        if (!SuiteErrors.TryAdditional(proposal, out error))
            return false;
        if (method == KeyExchangeMethod.None && proposal.Transforms.Any(t => t.Type.IsAdditionalKeyExchange() && t.Id != (ushort)KeyExchangeMethod.None))
            return SuiteErrors.Fail("additional key exchanges (keN_) for a Child SA need a first key exchange", out error);
        if (esn!.Id > (ushort)SequenceNumbers.Esn)
            return SuiteErrors.Fail($"sequence numbers transform {esn.Id} is not defined", out error);
        suite = new ChildSuite(encryption, integrity, method, esn.Id == (ushort)SequenceNumbers.Esn);
        return true;
    }

    public int EncryptionKeySize => Encryption.KeyMaterialSize;
    public int IntegrityKeySize => Integrity?.KeySize ?? 0;
}

internal static class SuiteErrors
{
    public static bool Fail(string message, out string error)
    {
        error = message;
        return false;
    }

    public static bool TryOne(Proposal proposal, TransformType type, bool required, out Transform? transform, out string error)
    {
        transform = null;
        foreach (var t in proposal.OfType(type))
        {
            if (transform is not null)
                return Fail($"a chosen proposal carries more than one {type} transform", out error);
            if (t.OtherAttributes.Count > 0)
                return Fail($"{type} transform {t.Id} has attributes this implementation does not know", out error);
            transform = t;
        }
        if (required && transform is null)
            return Fail($"the proposal has no {type} transform", out error);
        error = string.Empty;
        return true;
    }

    /// <summary>
    /// The chosen proposal's additional key exchanges (RFC 9370 2.2.1): at most one transform of each ADDKE type, each a
    /// method implemented here or NONE.
    /// </summary>
    public static bool TryAdditional(Proposal proposal, out string error)
    {
        for (var n = 1; n <= AdditionalKeyExchange.MaxCount; n++)
        {
            if (!TryOne(proposal, AdditionalKeyExchange.Type(n), false, out var t, out error))
                return false;
            if (t is not null && t.Id != (ushort)KeyExchangeMethod.None && !Crypto.KeyExchange.IsSupported((KeyExchangeMethod)t.Id))
                return Fail($"additional key exchange {n} method {t.Id} is not supported", out error);
        }
        error = string.Empty;
        return true;
    }

    public static bool TryIntegrity(EncryptionTransform encryption, Transform? integ, out Integrity? integrity, out string error)
    {
        integrity = null;
        error = string.Empty;
        var id = integ is null ? IntegrityAlgorithm.None : (IntegrityAlgorithm)integ.Id;
        if (encryption.IsAead)
        {
            // RFC 5282 8 and RFC 7634 4: with an AEAD the integrity transform is omitted or NONE.
            return id == IntegrityAlgorithm.None || Fail($"{encryption.Algorithm} is an AEAD and takes no integrity algorithm, got {id}", out error);
        }
        integrity = Crypto.Integrity.For(id);
        return integrity is not null || Fail(id == IntegrityAlgorithm.None
            ? $"{encryption.Algorithm} needs an integrity algorithm"
            : $"integrity algorithm {(ushort)id} is not supported", out error);
    }
}
