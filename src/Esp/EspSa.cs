using System.Net.Sockets;
using S2SEndpoint.Esp.Transforms;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Diagnostics;

namespace S2SEndpoint.Esp;

// One unidirectional ESP SA (RFC 4303, tunnel mode RFC 4301 5.1.2): what Outbound.Seal and Inbound.Open need per
// packet, made once when IKE installs the Child SA: the keys and one transform per data-path worker (an AEAD, or a
// cipher and an HMAC; Transforms/WorkerTransforms.cs), the sequence counter (outbound) or the anti-replay window
// (inbound), the selectors as integers, the outer header fields, the lifetime counters (EspSa.Lifetime.cs) and the
// drop counters.
//
// Threads: any number of data-path workers may seal and open on one SA at once, and no step takes a lock: each worker
// has its own transform, the sequence number is taken by compare-and-swap, the replay window is lock-free, and the
// counters are interlocked. Counters may be read from anywhere. Dispose zeroes the keys and frees every transform; a
// packet racing with it is dropped as Expired (the gateway still disposes only after a grace time, once the SA is out
// of the SaTable).

/// <summary>One ESP SA in one direction: keys, transform, sequence numbers, window, selectors, lifetime and counters.</summary>
public sealed partial class EspSa : IDisposable
{
    private readonly WorkerTransforms _transforms;
    private readonly ReplayWindow? _window;
    private readonly Selector[] _localSelectors;
    private readonly Selector[] _remoteSelectors;
    private readonly bool _selectorsNeedTransport;
    private readonly byte[] _localAddress;
    private readonly byte[] _remoteAddress;
    private ulong _sequence;
    private int _nextIpId;
    private volatile bool _disposed;

    private EspSa(EspSaSettings settings, ChildSuite suite, WorkerTransforms transforms, IRandomSource random, TimeProvider time)
    {
        Settings = settings;
        Suite = suite;
        _transforms = transforms;
        _localSelectors = ToSelectors(settings.LocalSelectors);
        _remoteSelectors = ToSelectors(settings.RemoteSelectors);
        _selectorsNeedTransport = NeedTransport(_localSelectors) || NeedTransport(_remoteSelectors);
        _localAddress = settings.LocalAddress.GetAddressBytes();
        _remoteAddress = settings.RemoteAddress.GetAddressBytes();
        OuterIsIpv6 = settings.LocalAddress.AddressFamily == AddressFamily.InterNetworkV6;
        OuterHeaderSize = (OuterIsIpv6 ? IpPacket.Ipv6HeaderSize : IpPacket.Ipv4HeaderSize) + (settings.UdpEncapsulation ? PacketBuffer.UdpHeaderSize : 0);
        if (settings.Direction == SaDirection.Inbound)
            _window = new ReplayWindow(settings.ReplayWindowSize, suite.ExtendedSequenceNumbers);
        Span<byte> id = stackalloc byte[2];
        random.Fill(id);
        _nextIpId = System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(id);
        _sequenceLimit = suite.ExtendedSequenceNumbers ? ulong.MaxValue : uint.MaxValue;
        InitLifetime(settings.Lifetime, time);
    }

    /// <summary>
    /// The SA for one direction of a Child SA, with keys taken from its KEYMAT (RFC 7296 2.17): an initiator sends
    /// with the initiator-to-responder keys and receives with the others; a responder the other way round.
    /// </summary>
    public static EspSa Create(EspSaSettings settings, ChildSuite suite, ChildKeys keys, bool isInitiator,
        IRandomSource? random = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(keys);
        var initiatorToResponder = (settings.Direction == SaDirection.Outbound) == isInitiator;
        return initiatorToResponder
            ? Create(settings, suite, keys.EncryptionInitiatorToResponder, keys.IntegrityInitiatorToResponder, random, time)
            : Create(settings, suite, keys.EncryptionResponderToInitiator, keys.IntegrityResponderToInitiator, random, time);
    }

    /// <summary>
    /// The SA from its keys: <paramref name="encryptionKey"/> is the cipher key followed by the 4-octet salt of an
    /// AEAD (RFC 4106 8.1, RFC 7634 3); <paramref name="integrityKey"/> is empty with an AEAD.
    /// </summary>
    public static EspSa Create(EspSaSettings settings, ChildSuite suite, ReadOnlySpan<byte> encryptionKey, ReadOnlySpan<byte> integrityKey,
        IRandomSource? random = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(suite);
        if (suite.Encryption.Algorithm == EncryptionAlgorithm.AesCbc && suite.Integrity is null)
            throw new ArgumentException("ESP with AES-CBC needs an integrity algorithm: confidentiality without integrity is not offered", nameof(suite));
        return CreateCore(settings, suite, encryptionKey, integrityKey, random, time);
    }

    /// <summary>Also accepts AES-CBC without integrity, for the RFC 3602 sample packets.</summary>
    internal static EspSa CreateCore(EspSaSettings settings, ChildSuite suite, ReadOnlySpan<byte> encryptionKey, ReadOnlySpan<byte> integrityKey,
        IRandomSource? random, TimeProvider? time)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(suite);
        Validate(settings);
        random ??= SystemRandomSource.Instance;
        var transforms = new WorkerTransforms(suite.Encryption, suite.Integrity, suite.ExtendedSequenceNumbers, encryptionKey, integrityKey, random);
        return new EspSa(settings, suite, transforms, random, time ?? TimeProvider.System);
    }

    public EspSaSettings Settings { get; }
    public ChildSuite Suite { get; }
    public uint Spi => Settings.Spi;
    public SaDirection Direction => Settings.Direction;
    public uint ReqId => Settings.ReqId;
    public bool ExtendedSequenceNumbers => Suite.ExtendedSequenceNumbers;
    public bool IsUdpEncapsulated => Settings.UdpEncapsulation;

    /// <summary>Packets dropped on this SA, by reason.</summary>
    public DropCounters<DropReason> Drops { get; } = new();

    /// <summary>Outbound: the last sequence number sent. Inbound: the highest one authenticated.</summary>
    public ulong LastSequenceNumber => _window?.Highest ?? Volatile.Read(ref _sequence);

    public bool IsDisposed => _disposed;

    internal WorkerTransforms Transforms => _transforms;

    /// <summary>The calling thread's transform, outside the dispose guard: for tests and sample packets.</summary>
    internal EspTransform Transform => _transforms.ForThisThread;
    internal ReplayWindow Window => _window!;
    internal bool OuterIsIpv6 { get; }
    internal int OuterHeaderSize { get; }
    internal ReadOnlySpan<byte> LocalAddressBytes => _localAddress;
    internal ReadOnlySpan<byte> RemoteAddressBytes => _remoteAddress;

    /// <summary>The Identification of the next outer IPv4 header; set by tests to reproduce a sample packet.</summary>
    internal ushort NextIpId
    {
        get => unchecked((ushort)Volatile.Read(ref _nextIpId));
        set => Volatile.Write(ref _nextIpId, value);
    }

    /// <summary>The next Identification, atomically: workers seal concurrently.</summary>
    internal ushort TakeIpId() => unchecked((ushort)(Interlocked.Increment(ref _nextIpId) - 1));

    /// <summary>Makes the next packet carry <paramref name="last"/> + 1; for tests and sample packets.</summary>
    internal void SetLastSequenceNumber(ulong last) => _sequence = last;

    /// <summary>
    /// The next outbound sequence number. RFC 4303 3.3.3: "the sender MUST NOT send a packet on an SA if doing so
    /// would cause the sequence number to cycle": false, and the SA is hard-expired, when it would.
    /// </summary>
    internal bool TryNextSequenceNumber(out ulong sequence)
    {
        // Workers take numbers concurrently, so each number, and with it the AEAD nonce, is handed out once by
        // compare-and-swap: RFC 4106 3.1, "the same IV value is used only once for a given key".
        ulong current;
        do
        {
            current = Volatile.Read(ref _sequence);
            if (current == _sequenceLimit)
            {
                Expire(LifetimeStage.HardExpired, LifetimeLimit.SequenceNumber);
                sequence = 0;
                return false;
            }
        }
        while (Interlocked.CompareExchange(ref _sequence, current + 1, current) != current);
        sequence = current + 1;
        if (sequence == SequenceSoftLimit)
            Expire(LifetimeStage.SoftExpired, LifetimeLimit.SequenceNumber);
        return true;
    }

    /// <summary>RFC 4301 5.2: whether the decrypted inner packet's source lies in the peer's selectors and its destination in ours.</summary>
    internal bool AllowsInner(ReadOnlySpan<byte> inner, bool ipv6)
    {
        IpPacket.ReadAddresses(inner, ipv6, out var source, out var destination);
        byte protocol = 0;
        int sourcePort = IpPacket.NoPort, destinationPort = IpPacket.NoPort;
        if (_selectorsNeedTransport)
            IpPacket.ReadTransport(inner, ipv6, out protocol, out sourcePort, out destinationPort);
        return Selector.AnyMatches(_remoteSelectors, ipv6, source, protocol, sourcePort) &&
               Selector.AnyMatches(_localSelectors, ipv6, destination, protocol, destinationPort);
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _transforms.Dispose();
    }

    private static void Validate(EspSaSettings settings)
    {
        // RFC 4303 2.1: "The SPI value of zero (0) is reserved for local, implementation-specific use and MUST NOT
        // be sent on the wire."
        if (settings.Spi == 0)
            throw new ArgumentException("SPI 0 is reserved (RFC 4303 2.1); an ESP SA needs a non-zero SPI", nameof(settings));
        ArgumentNullException.ThrowIfNull(settings.LocalAddress);
        ArgumentNullException.ThrowIfNull(settings.RemoteAddress);
        if (settings.LocalAddress.AddressFamily != settings.RemoteAddress.AddressFamily ||
            settings.LocalAddress.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
            throw new ArgumentException($"outer addresses {settings.LocalAddress} and {settings.RemoteAddress} must both be IPv4 or both IPv6", nameof(settings));
        if (settings.ReplayWindowSize is < ReplayWindow.MinSize or > ReplayWindow.MaxSize)
            throw new ArgumentException($"replay window size {settings.ReplayWindowSize} is outside {ReplayWindow.MinSize}..{ReplayWindow.MaxSize}", nameof(settings));
        var lifetime = settings.Lifetime;
        if (lifetime.SoftBytes > lifetime.HardBytes && lifetime.SoftBytes != ulong.MaxValue ||
            lifetime.SoftPackets > lifetime.HardPackets && lifetime.SoftPackets != ulong.MaxValue ||
            lifetime.SoftTime > lifetime.HardTime)
            throw new ArgumentException("a soft lifetime limit is above its hard limit; soft limits must come first", nameof(settings));
    }

    private static Selector[] ToSelectors(IReadOnlyList<Ike.Messages.TrafficSelector> selectors)
    {
        var result = new Selector[selectors.Count];
        for (var i = 0; i < result.Length; i++)
            result[i] = Selector.FromTrafficSelector(selectors[i]);
        return result;
    }

    private static bool NeedTransport(Selector[] selectors)
    {
        foreach (var selector in selectors)
        {
            if (selector.NeedsTransport)
                return true;
        }
        return false;
    }

    public override string ToString() =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Direction} ESP SA {Spi:x8} {Settings.LocalAddress}..{Settings.RemoteAddress}");
}
