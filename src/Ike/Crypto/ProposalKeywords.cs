using System.Globalization;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Crypto;

/// <summary>
/// strongSwan's proposal keyword syntax (swanctl.conf "proposals" and "esp_proposals"), both ways:
/// <c>aes256-sha256-modp2048</c>, <c>aes256gcm16-prfsha384-ecp384</c>, ESP <c>aes256gcm16-modp2048</c> (PFS), and
/// strongSwan 6's additional key exchanges (RFC 9370) <c>aes256gcm16-prfsha384-x25519-ke1_mlkem768</c>, where
/// <c>keN_none</c> makes the N-th one optional.
/// Parsing errors are one sentence naming the keyword and the valid ones: they come from a user's config.
/// </summary>
public static class ProposalKeywords
{
    private sealed record Entry(string Keyword, Transform Transform, bool Canonical);

    private static readonly Entry[] Entries = BuildEntries();

    private static Entry[] BuildEntries()
    {
        var list = new List<Entry>();
        void Add(string keyword, TransformType type, ushort id, ushort? keyLength = null, bool canonical = true) =>
            list.Add(new Entry(keyword, new Transform(type, id, keyLength), canonical));

        foreach (var bits in new ushort[] { 128, 192, 256 })
        {
            Add($"aes{bits}", TransformType.Encryption, (ushort)EncryptionAlgorithm.AesCbc, bits);
            Add($"aes{bits}gcm16", TransformType.Encryption, (ushort)EncryptionAlgorithm.AesGcm16, bits);
            Add($"aes{bits}gcm128", TransformType.Encryption, (ushort)EncryptionAlgorithm.AesGcm16, bits, canonical: false);
        }
        Add("aes", TransformType.Encryption, (ushort)EncryptionAlgorithm.AesCbc, 128, canonical: false);
        Add("chacha20poly1305", TransformType.Encryption, (ushort)EncryptionAlgorithm.ChaCha20Poly1305);
        Add("null", TransformType.Encryption, (ushort)EncryptionAlgorithm.Null);

        Add("sha1", TransformType.Integrity, (ushort)IntegrityAlgorithm.HmacSha1_96);
        Add("sha", TransformType.Integrity, (ushort)IntegrityAlgorithm.HmacSha1_96, canonical: false);
        Add("sha256", TransformType.Integrity, (ushort)IntegrityAlgorithm.HmacSha2_256_128);
        Add("sha2_256", TransformType.Integrity, (ushort)IntegrityAlgorithm.HmacSha2_256_128, canonical: false);
        Add("sha384", TransformType.Integrity, (ushort)IntegrityAlgorithm.HmacSha2_384_192);
        Add("sha2_384", TransformType.Integrity, (ushort)IntegrityAlgorithm.HmacSha2_384_192, canonical: false);
        Add("sha512", TransformType.Integrity, (ushort)IntegrityAlgorithm.HmacSha2_512_256);
        Add("sha2_512", TransformType.Integrity, (ushort)IntegrityAlgorithm.HmacSha2_512_256, canonical: false);

        Add("prfsha1", TransformType.Prf, (ushort)PrfAlgorithm.HmacSha1);
        Add("prfsha256", TransformType.Prf, (ushort)PrfAlgorithm.HmacSha2_256);
        Add("prfsha384", TransformType.Prf, (ushort)PrfAlgorithm.HmacSha2_384);
        Add("prfsha512", TransformType.Prf, (ushort)PrfAlgorithm.HmacSha2_512);

        Add("modp1024", TransformType.KeyExchange, (ushort)KeyExchangeMethod.Modp1024);
        Add("modp1536", TransformType.KeyExchange, (ushort)KeyExchangeMethod.Modp1536);
        Add("modp2048", TransformType.KeyExchange, (ushort)KeyExchangeMethod.Modp2048);
        Add("modp3072", TransformType.KeyExchange, (ushort)KeyExchangeMethod.Modp3072);
        Add("modp4096", TransformType.KeyExchange, (ushort)KeyExchangeMethod.Modp4096);
        Add("modp2048s256", TransformType.KeyExchange, (ushort)KeyExchangeMethod.Modp2048S256);
        Add("ecp256", TransformType.KeyExchange, (ushort)KeyExchangeMethod.Ecp256);
        Add("ecp384", TransformType.KeyExchange, (ushort)KeyExchangeMethod.Ecp384);
        Add("ecp521", TransformType.KeyExchange, (ushort)KeyExchangeMethod.Ecp521);
        Add("x25519", TransformType.KeyExchange, (ushort)KeyExchangeMethod.Curve25519);
        Add("curve25519", TransformType.KeyExchange, (ushort)KeyExchangeMethod.Curve25519, canonical: false);
        Add("x448", TransformType.KeyExchange, (ushort)KeyExchangeMethod.Curve448);
        Add("curve448", TransformType.KeyExchange, (ushort)KeyExchangeMethod.Curve448, canonical: false);
        Add("mlkem512", TransformType.KeyExchange, (ushort)KeyExchangeMethod.MlKem512);
        Add("mlkem768", TransformType.KeyExchange, (ushort)KeyExchangeMethod.MlKem768);
        Add("mlkem1024", TransformType.KeyExchange, (ushort)KeyExchangeMethod.MlKem1024);

        Add("esn", TransformType.SequenceNumbers, (ushort)SequenceNumbers.Esn);
        Add("noesn", TransformType.SequenceNumbers, (ushort)SequenceNumbers.NoEsn);
        return [.. list];
    }

    /// <summary>
    /// strongSwan derives an IKE PRF from each integrity algorithm when none is written; null for integrity
    /// algorithms without a keyword here (a peer's offer may name any transform ID).
    /// </summary>
    private static PrfAlgorithm? PrfFor(IntegrityAlgorithm integrity) => integrity switch
    {
        IntegrityAlgorithm.HmacSha1_96 => PrfAlgorithm.HmacSha1,
        IntegrityAlgorithm.HmacSha2_256_128 => PrfAlgorithm.HmacSha2_256,
        IntegrityAlgorithm.HmacSha2_384_192 => PrfAlgorithm.HmacSha2_384,
        IntegrityAlgorithm.HmacSha2_512_256 => PrfAlgorithm.HmacSha2_512,
        _ => null,
    };

    /// <summary>The keywords valid for a protocol, canonical spellings, in a stable order.</summary>
    public static IReadOnlyList<string> ValidKeywords(ProtocolId protocol) =>
        [.. Entries.Where(e => e.Canonical && IsAllowed(e.Transform, protocol)).Select(e => e.Keyword)];

    private static bool IsAllowed(Transform t, ProtocolId protocol) => t.Type switch
    {
        TransformType.Prf => protocol == ProtocolId.Ike,
        TransformType.SequenceNumbers => protocol == ProtocolId.Esp,
        TransformType.Encryption => protocol == ProtocolId.Esp || t.Id != (ushort)EncryptionAlgorithm.Null,
        _ => true,
    };

    /// <summary>The prefix of an additional key exchange keyword, <c>ke1_</c> to <c>ke7_</c> (strongSwan 6).</summary>
    private const string AdditionalPrefix = "ke";

    /// <summary>strongSwan 6 writes NONE of an additional key exchange type as <c>keN_none</c>: that exchange is optional.</summary>
    private const string NoneKeyword = "none";

    private static string AdditionalSyntax => "keN_<method> (N 1 to 7, a key exchange method above or none)";

    /// <summary>
    /// Reads <c>keN_method</c> or <c>keN_none</c> as a transform of type ADDKEn (RFC 9370 2.2.1), whose IDs are the
    /// key exchange methods' with 0 for NONE.
    /// </summary>
    private static Transform? ParseAdditional(string keyword)
    {
        if (keyword.Length < 5 || !keyword.StartsWith(AdditionalPrefix, StringComparison.Ordinal) || keyword[3] != '_' ||
            keyword[2] is < '1' or > '7')
            return null;
        var type = AdditionalKeyExchange.Type(keyword[2] - '0');
        var method = keyword[4..];
        if (method == NoneKeyword)
            return new Transform(type, (ushort)KeyExchangeMethod.None);
        var entry = Array.Find(Entries, e => e.Keyword == method && e.Transform.Type == TransformType.KeyExchange);
        return entry is null ? null : new Transform(type, entry.Transform.Id);
    }

    /// <summary>Parses a comma-separated list of proposals, numbering them 1, 2, ...</summary>
    public static bool TryParseList(string text, ProtocolId protocol, out IReadOnlyList<Proposal> proposals, out string error)
    {
        var list = new List<Proposal>();
        proposals = list;
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!TryParse(part, protocol, out var proposal, out error))
                return false;
            list.Add(proposal.With(checked((byte)(list.Count + 1)), proposal.Spi));
        }
        error = string.Empty;
        return true;
    }

    /// <summary>Parses one proposal such as <c>aes256-sha256-modp2048</c> for IKE or ESP.</summary>
    public static bool TryParse(string text, ProtocolId protocol, out Proposal proposal, out string error)
    {
        proposal = null!;
        if (protocol is not (ProtocolId.Ike or ProtocolId.Esp))
            throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "proposals are for IKE or ESP");
        var what = protocol == ProtocolId.Ike ? "IKE" : "ESP";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = $"empty {what} proposal; write one such as {(protocol == ProtocolId.Ike ? "aes256-sha256-modp2048" : "aes256gcm16")}";
            return false;
        }
        var transforms = new List<Transform>();
        foreach (var raw in text.Split('-'))
        {
            var keyword = raw.Trim().ToLowerInvariant();
            var entry = Array.Find(Entries, e => e.Keyword == keyword);
            var transform = entry is not null && IsAllowed(entry.Transform, protocol) ? entry.Transform : ParseAdditional(keyword);
            if (transform is null)
            {
                error = $"unknown {what} algorithm '{raw}' in proposal '{text}'; valid: {string.Join(", ", ValidKeywords(protocol))}, {AdditionalSyntax}";
                return false;
            }
            if (!transforms.Contains(transform))
                transforms.Add(transform);
        }

        var encryption = transforms.Where(t => t.Type == TransformType.Encryption).ToList();
        var integrity = transforms.Where(t => t.Type == TransformType.Integrity).ToList();
        var prf = transforms.Where(t => t.Type == TransformType.Prf).ToList();
        var ke = transforms.Where(t => t.Type == TransformType.KeyExchange).ToList();
        var esn = transforms.Where(t => t.Type == TransformType.SequenceNumbers).ToList();
        var additional = transforms.Where(t => t.Type.IsAdditionalKeyExchange()).OrderBy(t => t.Type).ToList();

        if (encryption.Count == 0)
            return Fail($"{what} proposal '{text}' has no encryption algorithm (such as aes256 or aes256gcm16)", out error);
        var aead = encryption.Where(IsAead).ToList();
        if (aead.Count > 0 && aead.Count != encryption.Count)
            return Fail($"{what} proposal '{text}' mixes AEAD and non-AEAD encryption; write them as two proposals", out error);
        if (aead.Count > 0 && integrity.Count > 0)
            return Fail($"{what} proposal '{text}' combines an AEAD cipher with an integrity algorithm; AEADs need none", out error);
        if (aead.Count == 0 && integrity.Count == 0)
            return Fail($"{what} proposal '{text}' needs an integrity algorithm (such as sha256) with a non-AEAD cipher", out error);

        if (protocol == ProtocolId.Ike)
        {
            if (prf.Count == 0)
            {
                if (aead.Count > 0)
                    return Fail($"IKE proposal '{text}' uses an AEAD cipher and so needs a PRF (such as prfsha256)", out error);
                prf = [.. integrity.Select(i => new Transform(TransformType.Prf, (ushort)PrfFor((IntegrityAlgorithm)i.Id)!.Value)).Distinct()];
            }
            if (ke.Count == 0)
                return Fail($"IKE proposal '{text}' needs a key exchange method (such as modp2048, ecp256 or x25519)", out error);
        }
        else if (esn.Count == 0)
        {
            esn = [new Transform(TransformType.SequenceNumbers, (ushort)SequenceNumbers.NoEsn)];
        }

        if (additional.Count > 0 && ke.Count == 0)
            return Fail($"{what} proposal '{text}' has additional key exchanges (keN_) but no key exchange method before them", out error);

        // The order strongSwan writes: encryption, integrity, PRF, key exchange, additional key exchanges, ESN.
        proposal = new Proposal(1, protocol, [], [.. encryption, .. integrity, .. prf, .. ke, .. additional, .. esn]);
        error = string.Empty;
        return true;
    }

    private static bool IsAead(Transform t) =>
        EncryptionTransform.Find(t.Id, t.KeyLength) is { IsAead: true };

    private static bool Fail(string message, out string error)
    {
        error = message;
        return false;
    }

    /// <summary>
    /// Writes a proposal in keyword syntax. IKE PRFs that strongSwan would derive from the integrity
    /// algorithms, and ESP's default <c>noesn</c>, are left out, so that parsing and formatting round-trip.
    /// </summary>
    public static string Format(Proposal proposal)
    {
        var words = new List<string>();
        var integrity = proposal.OfType(TransformType.Integrity).ToList();
        var prfs = proposal.OfType(TransformType.Prf).ToList();
        var impliedPrfs = integrity.Select(i => PrfFor((IntegrityAlgorithm)i.Id)).OfType<PrfAlgorithm>()
            .Select(p => new Transform(TransformType.Prf, (ushort)p)).Distinct().ToList();
        var omitPrf = integrity.Count > 0 && prfs.SequenceEqual(impliedPrfs);
        var esn = proposal.OfType(TransformType.SequenceNumbers).ToList();
        var omitEsn = esn.Count == 1 && esn[0].Id == (ushort)SequenceNumbers.NoEsn;

        TransformType[] order =
        [
            TransformType.Encryption, TransformType.Integrity, TransformType.Prf, TransformType.KeyExchange,
            .. Enumerable.Range(1, AdditionalKeyExchange.MaxCount).Select(AdditionalKeyExchange.Type), TransformType.SequenceNumbers,
        ];
        foreach (var type in order)
        {
            if ((type == TransformType.Prf && omitPrf) || (type == TransformType.SequenceNumbers && omitEsn))
                continue;
            foreach (var t in proposal.OfType(type))
                words.Add(KeywordOf(t));
        }
        return string.Join('-', words);
    }

    private static string KeywordOf(Transform t)
    {
        if (t.Type.IsAdditionalKeyExchange() && t.KeyLength is null)
        {
            var prefix = string.Create(CultureInfo.InvariantCulture, $"{AdditionalPrefix}{AdditionalKeyExchange.Number(t.Type)}_");
            if (t.Id == (ushort)KeyExchangeMethod.None)
                return prefix + NoneKeyword;
            var method = Array.Find(Entries, e => e.Canonical && e.Transform == new Transform(TransformType.KeyExchange, t.Id));
            return prefix + (method?.Keyword ?? string.Create(CultureInfo.InvariantCulture, $"keyexchange{t.Id}"));
        }
        var entry = Array.Find(Entries, e => e.Canonical && e.Transform == t);
        return entry?.Keyword ?? string.Create(CultureInfo.InvariantCulture,
            $"{t.Type.ToString().ToLowerInvariant()}{t.Id}{(t.KeyLength is { } k ? "_" + k : "")}");
    }
}
