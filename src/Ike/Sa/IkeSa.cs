using System.Net;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Sa;

/// <summary>
/// One IKE SA: who started it, its SPIs and endpoints, the negotiated algorithms and keys, the nonces
/// and IKE_SA_INIT messages that IKE_AUTH signs, its Child SAs and its task manager. Only the engine's
/// one consumer for this SA touches it.
/// </summary>
public sealed partial class IkeSa
{
    internal IkeSa(IkeSaManager manager, IkeSaConfig config, uint id, bool originalInitiator, ulong localSpi, IPEndPoint local, IPEndPoint remote)
    {
        Context = manager;
        Config = config;
        Id = id;
        IsOriginalInitiator = originalInitiator;
        LocalEndpoint = local;
        RemoteEndpoint = remote;
        if (originalInitiator)
            InitiatorSpi = localSpi;
        else
            ResponderSpi = localSpi;
        Tasks = new TaskManager(this, manager);
        Timers = new SaTimers(manager);
    }

    /// <summary>What its tasks use of the engine: the data plane, randomness, clock, log and SA lifecycle.</summary>
    internal ISaContext Context { get; }
    public IkeSaConfig Config { get; internal set; }
    public uint Id { get; }
    public bool IsOriginalInitiator { get; }
    public IkeSaState State { get; internal set; } = IkeSaState.Connecting;

    public ulong InitiatorSpi { get; internal set; }
    public ulong ResponderSpi { get; internal set; }
    public ulong LocalSpi => IsOriginalInitiator ? InitiatorSpi : ResponderSpi;

    public IPEndPoint LocalEndpoint { get; internal set; }
    public IPEndPoint RemoteEndpoint { get; internal set; }

    /// <summary>NAT detection results (RFC 7296 2.23): this host, or the peer, is behind a NAT.</summary>
    public bool LocalBehindNat { get; internal set; }
    public bool RemoteBehindNat { get; internal set; }
    /// <summary>
    /// No NAT was seen but one was faked (forced encapsulation, as strongSwan's COND_NAT_FAKE) so that ESP
    /// travels in UDP: encapsulated, but no keepalives and no reason to stop following the peer's address.
    /// </summary>
    public bool NatFaked { get; internal set; }
    public bool NatDetected => LocalBehindNat || RemoteBehindNat || NatFaked;

    public IkeSuite? Suite { get; internal set; }
    public Proposal? Proposal { get; internal set; }
    internal IkeKeys? Keys { get; set; }
    internal IkeCipher? OutboundCipher { get; set; }
    internal IkeCipher? InboundCipher { get; set; }

    internal byte[] NonceI { get; set; } = [];
    internal byte[] NonceR { get; set; } = [];

    /// <summary>The IKE_SA_INIT request and response exactly as sent and received: RealMessage1 and 2 of RFC 7296 2.15.</summary>
    internal byte[] InitRequest { get; set; } = [];
    internal byte[] InitResponse { get; set; } = [];

    /// <summary>The peer sent INTERMEDIATE_EXCHANGE_SUPPORTED in IKE_SA_INIT (RFC 9242 3).</summary>
    internal bool PeerSupportsIntermediate { get; set; }

    /// <summary>How many additional key exchanges (RFC 9370) have completed in IKE_INTERMEDIATE exchanges.</summary>
    internal int AdditionalKeyExchangesDone { get; set; }

    /// <summary>The additional key exchanges of the chosen proposal, in order, NONE left out (RFC 9370 2.2.1).</summary>
    internal IReadOnlyList<KeyExchangeMethod> AdditionalKeyExchanges =>
        Proposal is null ? [] : Exchanges.ProposalSelection.AdditionalKeyExchanges(Proposal);

    /// <summary>IKE_SA_INIT is done and an additional key exchange has yet to run in IKE_INTERMEDIATE.</summary>
    internal bool IntermediatePending => State == IkeSaState.Authenticating && AdditionalKeyExchangesDone < AdditionalKeyExchanges.Count;

    /// <summary>The IntAuth_i and IntAuth_r chains over the IKE_INTERMEDIATE messages so far (RFC 9242 3.3).</summary>
    internal byte[] IntAuthI { get; set; } = [];
    internal byte[] IntAuthR { get; set; } = [];

    /// <summary>How many IKE_INTERMEDIATE requests went into IntAuth_i (RFC 9242 3.3).</summary>
    internal int IntermediateExchanges { get; private set; }

    /// <summary>
    /// A responder's key update (RFC 9370 2.2.2) waiting for its IKE_INTERMEDIATE response to be protected with the keys in
    /// force before it: the shared secret of the exchange.
    /// </summary>
    internal byte[]? PendingKeyUpdate { get; set; }

    public Identity? RemoteId { get; internal set; }
    public bool PeerSupportsFragmentation { get; internal set; }

    public List<ChildSa> Children { get; } = [];

    internal TaskManager Tasks { get; }

    internal SaTimers Timers { get; }

    public DateTimeOffset Created { get; internal set; }
    public DateTimeOffset EstablishedAt { get; internal set; }
    public DateTimeOffset RekeyAt { get; internal set; } = DateTimeOffset.MaxValue;
    public DateTimeOffset ExpireAt { get; internal set; } = DateTimeOffset.MaxValue;

    /// <summary>When this SA is reauthenticated (reauth_time less a random part of rand_time); an IKE rekey passes it on.</summary>
    public DateTimeOffset ReauthAt { get; internal set; } = DateTimeOffset.MaxValue;

    /// <summary>The established SA this new one reauthenticates (make-before-break): deleted once this one and its Child SAs are up.</summary>
    internal IkeSa? ReauthOf { get; set; }

    /// <summary>The new SA under way that reauthenticates this one; null when none is.</summary>
    internal IkeSa? ReauthBy { get; set; }

    /// <summary>When a valid message last arrived from the peer: the start of the liveness quiet time.</summary>
    public DateTimeOffset LastInbound { get; internal set; }

    /// <summary>Which of the configured remote addresses this SA uses (active-passive failover).</summary>
    internal int RemoteAddressIndex { get; set; }

    /// <summary>A fatal error a responder task wants sent as the only payload of its response.</summary>
    internal (NotifyType Type, byte[] Data)? FatalNotify { get; set; }

    /// <summary>The peer's source key (an IPv4 address, an IPv6 /64) for the half-open limits per source.</summary>
    internal UInt128 Source { get; init; }

    /// <summary>The peer answered a cookie (RFC 7296 2.6) before this SA was made: its address is its own.</summary>
    internal bool AddressProved { get; init; }

    /// <summary>A failure line of this SA was left out by the per-source log limit; so is its closing line if it never came up.</summary>
    internal bool LogSuppressed { get; set; }

    /// <summary>Why the SA went, for the closing event and log.</summary>
    internal string? CloseReason { get; set; }

    public Prf Prf => Suite?.Prf ?? throw new InvalidOperationException("IKE SA has no PRF before IKE_SA_INIT completes");

    /// <summary>The header for a message of this SA (RFC 7296 3.1 flags: Initiator as the original initiator, Response).</summary>
    internal IkeHeader Header(ExchangeType exchange, bool response, uint messageId) => new(
        InitiatorSpi, ResponderSpi, PayloadType.NoNextPayload, exchange,
        (IsOriginalInitiator ? HeaderFlags.Initiator : HeaderFlags.None) | (response ? HeaderFlags.Response : HeaderFlags.None),
        messageId, 0);

    /// <summary>Derives the keys and ciphers once both nonces and the shared secret are known (RFC 7296 2.14).</summary>
    internal void DeriveKeys(IkeSuite suite, ReadOnlySpan<byte> sharedSecret, ReadOnlySpan<byte> skeyseedOverride = default)
    {
        Suite = suite;
        var skeyseed = skeyseedOverride.IsEmpty
            ? IkeKeys.ComputeSkeyseed(suite.Prf, NonceI, NonceR, sharedSecret)
            : skeyseedOverride.ToArray();
        Keys?.Dispose();
        Keys = IkeKeys.Derive(suite, skeyseed, NonceI, NonceR, InitiatorSpi, ResponderSpi);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(skeyseed);
        OutboundCipher?.Dispose();
        InboundCipher?.Dispose();
        var (outEncr, outInteg, inEncr, inInteg) = IsOriginalInitiator
            ? (Keys.SkEi, Keys.SkAi, Keys.SkEr, Keys.SkAr)
            : (Keys.SkEr, Keys.SkAr, Keys.SkEi, Keys.SkAi);
        OutboundCipher = IkeCipher.Create(suite, outEncr, outInteg, Context.Random);
        InboundCipher = IkeCipher.Create(suite, inEncr, inInteg, Context.Random);
        Context.KeyLog?.Keyed(InitiatorSpi, ResponderSpi, suite, Keys.SkEi, Keys.SkEr, Keys.SkAi, Keys.SkAr);
    }

    /// <summary>
    /// Extends the IntAuth chain of the side that sent an IKE_INTERMEDIATE message (RFC 9242 3.3), with the SK_pi or SK_pr
    /// in force, which protected the message.
    /// </summary>
    internal void AddIntermediateMessage(bool fromInitiator, IkeHeader header, PayloadType firstInnerPayload, ReadOnlySpan<byte> innerPayloads)
    {
        var keys = Keys ?? throw new InvalidOperationException("IKE_INTERMEDIATE without keys");
        var data = IntermediateAuth.Data(header, firstInnerPayload, innerPayloads);
        if (fromInitiator)
        {
            IntAuthI = IntermediateAuth.Next(Prf, keys.SkPi, IntAuthI, data);
            IntermediateExchanges++;
        }
        else
            IntAuthR = IntermediateAuth.Next(Prf, keys.SkPr, IntAuthR, data);
    }

    /// <summary>
    /// The key update after an additional key exchange (RFC 9370 2.2.2):
    ///   SKEYSEED(n) = prf(SK_d(n-1), SK(n) | Ni | Nr)
    ///   {SK_d(n) | SK_ai(n) | SK_ar(n) | SK_ei(n) | SK_er(n) | SK_pi(n) | SK_pr(n)} = prf+ (SKEYSEED(n), Ni | Nr | SPIi | SPIr)
    /// </summary>
    internal void UpdateKeys(ReadOnlySpan<byte> sharedSecret)
    {
        var suite = Suite ?? throw new InvalidOperationException("key update before IKE_SA_INIT");
        var skeyseed = IkeKeys.ComputeRekeySkeyseed(suite.Prf, Keys!.SkD, sharedSecret, NonceI, NonceR);
        DeriveKeys(suite, sharedSecret, skeyseed);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(skeyseed);
    }

    /// <summary>Applies a responder's <see cref="PendingKeyUpdate"/> once its response has been protected and sent.</summary>
    internal void ApplyPendingKeyUpdate()
    {
        if (PendingKeyUpdate is not { } secret)
            return;
        PendingKeyUpdate = null;
        UpdateKeys(secret);
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(secret);
    }

    /// <summary>RFC 7296 2.23: after NAT detection the initiator moves to port 4500 for IKE_AUTH and beyond.</summary>
    internal void MoveToNatPort()
    {
        if (LocalEndpoint.Port == Exchanges.NatTraversal.Port && RemoteEndpoint.Port == Exchanges.NatTraversal.Port)
            return;
        LocalEndpoint = new IPEndPoint(LocalEndpoint.Address, Exchanges.NatTraversal.Port);
        RemoteEndpoint = new IPEndPoint(RemoteEndpoint.Address, Exchanges.NatTraversal.Port);
    }

    internal void DisposeKeys()
    {
        if (Keys is not null)
            Context.KeyLog?.Forgotten(InitiatorSpi, ResponderSpi);
        Keys?.Dispose();
        OutboundCipher?.Dispose();
        InboundCipher?.Dispose();
        Keys = null;
        OutboundCipher = null;
        InboundCipher = null;
    }

    public override string ToString() => $"{Config.Name}[{Id}]";
}
