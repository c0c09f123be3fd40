using System.Globalization;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Gateway.Azure;

/// <summary>
/// An Azure connection's IPsec/IKE policy, in Azure's names (the portal's and `az network vpn-connection ipsec-policy
/// add`'s) and as s2s proposal keywords: Azure's default policy, or one custom combination. "Once an IPsec/IKE policy
/// is specified on a connection, the Azure VPN gateway will only send or accept the IPsec/IKE proposal with specified
/// cryptographic algorithms and key strengths on that particular connection": the on-premises side offers exactly that.
/// </summary>
internal sealed class AzurePolicy
{
    /// <summary>An Azure algorithm name and its s2s keyword ("" for none, as GCM's integrity); null where s2s has none.</summary>
    private sealed record Algorithm(string Azure, string? Keyword);

    // The custom policy's options, in the order of Azure's algorithm table. 3DES, DES, MD5 and the 768-bit MODP group are
    // Azure's but not s2s's.
    private static readonly Algorithm[] IkeEncryptions = [new("GCMAES256", "aes256gcm16"), new("GCMAES128", "aes128gcm16"), new("AES256", "aes256"), new("AES192", "aes192"), new("AES128", "aes128")];
    private static readonly Algorithm[] IkeIntegrities = [new("SHA384", "sha384"), new("SHA256", "sha256"), new("SHA1", "sha1"), new("MD5", null)];
    private static readonly Algorithm[] DhGroups =
        [new("DHGroup24", "modp2048s256"), new("ECP384", "ecp384"), new("ECP256", "ecp256"), new("DHGroup14", "modp2048"), new("DHGroup2048", "modp2048"), new("DHGroup2", "modp1024"), new("DHGroup1", null), new("None", null)];
    private static readonly Algorithm[] IpsecEncryptions =
    [
        new("GCMAES256", "aes256gcm16"), new("GCMAES192", "aes192gcm16"), new("GCMAES128", "aes128gcm16"), new("AES256", "aes256"), new("AES192", "aes192"), new("AES128", "aes128"),
        new("DES3", null), new("DES", null), new("None", "null"),
    ];
    private static readonly Algorithm[] IpsecIntegrities = [new("GCMAES256", ""), new("GCMAES192", ""), new("GCMAES128", ""), new("SHA256", "sha256"), new("SHA1", "sha1"), new("MD5", null)];
    private static readonly Algorithm[] PfsGroups =
        [new("PFS24", "modp2048s256"), new("ECP384", "ecp384"), new("ECP256", "ecp256"), new("PFS2048", "modp2048"), new("PFS14", "modp2048"), new("PFS2", "modp1024"), new("PFS1", null), new("None", "")];

    /// <summary>
    /// The default policy's IKE proposals, as Azure offers them (1. AES256, SHA1; 2. AES256, SHA256; 3. AES128, SHA1;
    /// 4. AES128, SHA256; then 3DES, which s2s does not have), all with DH group 2: "the IKEv2 main mode policies for Azure
    /// VPN gateways utilize only Diffie-Hellman Group 2 (1024 bits)".
    /// </summary>
    public static readonly IReadOnlyList<string> DefaultIkeOffers = ["aes256-sha1-modp1024", "aes256-sha256-modp1024", "aes128-sha1-modp1024", "aes128-sha256-modp1024"];

    /// <summary>
    /// The default policy's Child SA proposals as Azure initiates (its rekeys among them): GCM AES256, AES256 SHA1, AES256
    /// SHA256, AES128 SHA1 (3DES left out), every one without PFS.
    /// </summary>
    public static readonly IReadOnlyList<string> DefaultEspOffers = ["aes256gcm16", "aes256-sha1", "aes256-sha256", "aes128-sha1"];

    /// <summary>
    /// What the default policy accepts as responder without PFS (its offers, and AES128 SHA256; 3DES and DES left out): a
    /// proposal of these alone brings a Child SA up, and fails when Azure rekeys it with its own offers.
    /// </summary>
    public static readonly IReadOnlyList<string> DefaultEspAccepted = [.. DefaultEspOffers, "aes128-sha256"];

    private static readonly Lazy<HashSet<string>> CustomIke = new(() => Expressible(ProtocolId.Ike));
    private static readonly Lazy<HashSet<string>> CustomEsp = new(() => Expressible(ProtocolId.Esp));

    /// <summary>Azure's default policy.</summary>
    public static AzurePolicy Default { get; } = new();

    private AzurePolicy()
    {
        SaLifetimeSeconds = AzureFacts.ChildSaLifetimeSeconds;
        SaLifetimeKilobytes = AzureFacts.ChildSaLifetimeKilobytes;
    }

    private AzurePolicy(string[] names, int lifetime, long kilobytes)
    {
        (IkeEncryption, IkeIntegrity, DhGroup, IpsecEncryption, IpsecIntegrity, PfsGroup) = (names[0], names[1], names[2], names[3], names[4], names[5]);
        SaLifetimeSeconds = lifetime;
        SaLifetimeKilobytes = kilobytes;
        IsCustom = true;
    }

    public bool IsCustom { get; }

    // A custom policy's algorithms, as Azure spells them; null for the default policy.
    public string? IkeEncryption { get; }
    public string? IkeIntegrity { get; }
    public string? DhGroup { get; }
    public string? IpsecEncryption { get; }
    public string? IpsecIntegrity { get; }
    public string? PfsGroup { get; }

    /// <summary>The Child SA's lifetime on Azure's side, in seconds and in kilobytes (the on-premises side rekeys by them too).</summary>
    public int SaLifetimeSeconds { get; }

    /// <inheritdoc cref="SaLifetimeSeconds"/>
    public long SaLifetimeKilobytes { get; }

    /// <summary>
    /// The on-premises side's IKE proposals: a custom policy's one, or the default policy's offers, AES256 and SHA256
    /// first (the initiator's order decides which Azure picks).
    /// </summary>
    public string IkeProposals => IsCustom
        ? Keywords(Keyword(IkeEncryptions, IkeEncryption!), IsGcm(IkeEncryption!) ? "prf" + Keyword(IkeIntegrities, IkeIntegrity!) : Keyword(IkeIntegrities, IkeIntegrity!), Keyword(DhGroups, DhGroup!))
        : "aes256-sha256-modp1024, aes256-sha1-modp1024, aes128-sha256-modp1024, aes128-sha1-modp1024";

    /// <summary>The on-premises side's ESP proposals: a custom policy's one (its PFS group, if any), or the default policy's, without PFS.</summary>
    public string EspProposals => IsCustom
        ? Keywords(Keyword(IpsecEncryptions, IpsecEncryption!), Keyword(IpsecIntegrities, IpsecIntegrity!), Keyword(PfsGroups, PfsGroup!))
        : "aes256gcm16, aes256-sha256, aes256-sha1, aes128-sha1";

    /// <summary>`az network vpn-connection ipsec-policy add`'s policy options for a custom policy.</summary>
    public string AzOptions => string.Create(CultureInfo.InvariantCulture,
        $"--ike-encryption {IkeEncryption} --ike-integrity {IkeIntegrity} --dh-group {DhGroup} --ipsec-encryption {IpsecEncryption} --ipsec-integrity {IpsecIntegrity} --pfs-group {PfsGroup} --sa-lifetime {SaLifetimeSeconds} --sa-max-size {SaLifetimeKilobytes}");

    /// <summary>For a line that names the policy: "default" or its six algorithms.</summary>
    public override string ToString() => IsCustom
        ? $"custom: IKE {IkeEncryption}, {IkeIntegrity}, {DhGroup}; IPsec {IpsecEncryption}, {IpsecIntegrity}, PFS {PfsGroup}; {SaLifetimeSeconds.ToString(CultureInfo.InvariantCulture)} s, {SaLifetimeKilobytes.ToString(CultureInfo.InvariantCulture)} KB"
        : "Azure's default";

    /// <summary>The options of a custom policy, as given on the command line; all null: the default policy.</summary>
    public sealed record Options(string? IkeEncryption, string? IkeIntegrity, string? DhGroup, string? IpsecEncryption, string? IpsecIntegrity, string? PfsGroup, string? SaLifetime, string? SaMaxSize);

    /// <summary>
    /// The policy the options name, or null with one line per mistake in <paramref name="problems"/>: an unknown name, one s2s
    /// does not implement, a partial policy ("You must specify all algorithms and parameters for both IKE (Main Mode) and
    /// IPsec (Quick Mode)"), and what Azure refuses: "If GCMAES is used as for IPsec Encryption algorithm, you must select
    /// the same GCMAES algorithm and key length for IPsec Integrity".
    /// </summary>
    public static AzurePolicy? From(Options o, List<string> problems)
    {
        var before = problems.Count;
        (string Option, string? Value, Algorithm[] Valid, string What)[] algorithms =
        [
            ("--ike-encryption", o.IkeEncryption, IkeEncryptions, "IKE encryptions"),
            ("--ike-integrity", o.IkeIntegrity, IkeIntegrities, "IKE integrity algorithms"),
            ("--dh-group", o.DhGroup, DhGroups, "DH groups"),
            ("--ipsec-encryption", o.IpsecEncryption, IpsecEncryptions, "IPsec encryptions"),
            ("--ipsec-integrity", o.IpsecIntegrity, IpsecIntegrities, "IPsec integrity algorithms"),
            ("--pfs-group", o.PfsGroup, PfsGroups, "PFS groups"),
        ];
        if (algorithms.All(a => a.Value is null))
        {
            if (o.SaLifetime is not null)
                problems.Add($"--sa-lifetime: '{o.SaLifetime}' is part of a custom policy; Azure's default policy has {AzureFacts.ChildSaLifetimeSeconds} s: give the six algorithm options too, or leave it out");
            if (o.SaMaxSize is not null)
                problems.Add($"--sa-max-size: '{o.SaMaxSize}' is part of a custom policy; Azure's default policy has {AzureFacts.ChildSaLifetimeKilobytes} KB: give the six algorithm options too, or leave it out");
            return problems.Count > before ? null : Default;
        }
        var names = new string[algorithms.Length];
        for (var i = 0; i < algorithms.Length; i++)
        {
            var (option, value, valid, what) = algorithms[i];
            var usable = string.Join(", ", valid.Where(a => a.Keyword is not null).Select(a => a.Azure));
            if (value is null)
            {
                problems.Add($"{option}: missing; a custom policy names all six of --ike-encryption, --ike-integrity, --dh-group, --ipsec-encryption, --ipsec-integrity and --pfs-group (Azure takes no partial policy; leave all six out for Azure's default policy); valid: {usable}");
                continue;
            }
            var found = Array.Find(valid, a => string.Equals(a.Azure, value, StringComparison.OrdinalIgnoreCase));
            if (found is null)
                problems.Add($"{option}: '{value}' is not one of Azure's {what}; valid: {usable}");
            else if (option == "--dh-group" && found.Azure == "None")
                problems.Add($"{option}: '{value}': an IKE SA needs a Diffie-Hellman group; valid: {usable}");
            else if (found.Keyword is null)
                problems.Add($"{option}: '{value}' is one Azure has but s2s does not implement; valid: {usable}");
            else
                names[i] = found.Azure;
        }
        var lifetime = Whole(o.SaLifetime, "--sa-lifetime", "seconds", AzureFacts.MinChildSaLifetimeSeconds, AzureFacts.ChildSaLifetimeSeconds, problems);
        var kilobytes = Whole(o.SaMaxSize, "--sa-max-size", "kilobytes", AzureFacts.MinChildSaLifetimeKilobytes, AzureFacts.ChildSaLifetimeKilobytes, problems);
        if (problems.Count > before)
            return null;
        var (encryption, integrity) = (names[3], names[4]);
        if (IsGcm(encryption) && integrity != encryption)
            problems.Add($"--ipsec-integrity: '{integrity}' does not go with --ipsec-encryption {encryption}: Azure takes GCM for both IPsec encryption and integrity, with one key length; valid: {encryption}");
        else if (!IsGcm(encryption) && IsGcm(integrity))
            problems.Add($"--ipsec-integrity: '{integrity}' goes with --ipsec-encryption {integrity} only, not {encryption}; valid with {encryption}: SHA256, SHA1");
        return problems.Count > before ? null : new AzurePolicy(names, (int)lifetime, kilobytes);
    }

    /// <summary>Whether an IKE proposal is one a custom Azure policy can be (its algorithms, one of each).</summary>
    public static bool IsCustomIke(Proposal p) => CustomIke.Value.Contains(ProposalKeywords.Format(p));

    /// <summary>Whether an ESP proposal is one a custom Azure policy can be (its algorithms, one of each, and a PFS group or none).</summary>
    public static bool IsCustomEsp(Proposal p) => CustomEsp.Value.Contains(ProposalKeywords.Format(p));

    /// <summary>Proposals from keyword lists of this file (<see cref="DefaultIkeOffers"/> and the others).</summary>
    public static IReadOnlyList<Proposal> Proposals(IReadOnlyList<string> texts, ProtocolId protocol) =>
        ProposalKeywords.TryParseList(string.Join(',', texts), protocol, out var proposals, out var error)
            ? proposals : throw new InvalidOperationException(error);

    /// <summary>Azure's name of a PFS group, from the s2s keyword of a key exchange method; null for one Azure has not.</summary>
    public static string? PfsGroupName(string keyword) => Array.Find(PfsGroups, a => a.Keyword == keyword && a.Keyword.Length > 0)?.Azure;

    private static bool IsGcm(string azure) => azure.StartsWith("GCMAES", StringComparison.Ordinal);

    private static string Keyword(Algorithm[] table, string azure) => Array.Find(table, a => a.Azure == azure)!.Keyword!;

    private static string Keywords(params string[] words) => string.Join('-', words.Where(w => w.Length > 0));

    private static long Whole(string? text, string option, string unit, long min, long fallback, List<string> problems)
    {
        if (text is null)
            return fallback;
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min && n <= int.MaxValue)
            return n;
        problems.Add($"{option}: '{text}' is not a whole number of {unit} from {min} (Azure's minimum) to {int.MaxValue}");
        return fallback;
    }

    /// <summary>Every proposal a custom policy can be, in s2s's canonical keyword form.</summary>
    private static HashSet<string> Expressible(ProtocolId protocol)
    {
        var texts = new List<string>();
        if (protocol == ProtocolId.Ike)
        {
            foreach (var e in IkeEncryptions)
            {
                foreach (var i in IkeIntegrities.Where(a => a.Keyword is not null))
                {
                    foreach (var g in DhGroups.Where(a => a.Keyword is not null))
                        texts.Add(Keywords(e.Keyword!, IsGcm(e.Azure) ? "prf" + i.Keyword : i.Keyword!, g.Keyword!));
                }
            }
        }
        else
        {
            foreach (var e in IpsecEncryptions.Where(a => a.Keyword is not null))
            {
                foreach (var i in IpsecIntegrities.Where(a => a.Keyword is not null && (IsGcm(e.Azure) ? a.Azure == e.Azure : !IsGcm(a.Azure))))
                {
                    foreach (var g in PfsGroups.Where(a => a.Keyword is not null))
                        texts.Add(Keywords(e.Keyword!, i.Keyword!, g.Keyword!));
                }
            }
        }
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var text in texts)
        {
            if (!ProposalKeywords.TryParse(text, protocol, out var proposal, out var error))
                throw new InvalidOperationException(error);
            set.Add(ProposalKeywords.Format(proposal));
        }
        return set;
    }
}
