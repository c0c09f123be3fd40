using System.Collections.Concurrent;
using S2SEndpoint.Ike.Diagnostics;

namespace S2SEndpoint.Esp;

// The SAD of the data path (RFC 4301 4.4.2): inbound SAs by SPI (RFC 4303 3.4.2, "for a unicast SA, this
// determination is based on the SPI"), and the current outbound SA of each policy by its reqid.
//
// Readers (the data path, one lookup per packet) take no lock: both maps are ConcurrentDictionary, whose lookups are
// lock-free, and the IKE side changes one entry at a time under a writer lock (an add costs the same with 10 SAs or
// 100,000; a copy-on-write map would copy every SA at each add). A rekey therefore swaps in order (RFC 7296 2.8): the
// new inbound SA is added first, so both are accepted while packets sealed
// with the old one are still in flight; then the outbound SA of the policy is replaced, and from the next packet
// on every packet uses the new one; the old inbound SA stays until IKE deletes it. The table never disposes an SA:
// whoever removes one disposes it once no packet is being processed with it.

/// <summary>Inbound ESP SAs by SPI and the current outbound SA of each policy, with lock-free lookups.</summary>
public sealed class SaTable
{
    private readonly Lock _writeLock = new();
    private readonly ConcurrentDictionary<uint, EspSa> _inbound = new();
    private readonly ConcurrentDictionary<uint, EspSa> _outbound = new();

    /// <summary>Packets dropped before an SA was known: too short for an SPI, unknown SPI, bad outer headers.</summary>
    public DropCounters<DropReason> Drops { get; } = new();

    public int InboundCount => _inbound.Count;
    public int OutboundCount => _outbound.Count;

    /// <summary>The inbound SA with <paramref name="spi"/>: one lookup, no lock.</summary>
    public bool TryGetInbound(uint spi, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out EspSa? sa) =>
        _inbound.TryGetValue(spi, out sa);

    /// <summary>The outbound SA that currently serves the policy <paramref name="reqId"/>.</summary>
    public bool TryGetOutbound(uint reqId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out EspSa? sa) =>
        _outbound.TryGetValue(reqId, out sa);

    /// <summary>Adds an inbound SA; its SPI must be free.</summary>
    public void AddInbound(EspSa sa)
    {
        ArgumentNullException.ThrowIfNull(sa);
        if (sa.Direction != SaDirection.Inbound)
            throw new ArgumentException($"{sa} is not an inbound SA", nameof(sa));
        lock (_writeLock)
        {
            if (!_inbound.TryAdd(sa.Spi, sa))
                throw new ArgumentException($"an inbound SA with SPI {sa.Spi:x8} is already installed", nameof(sa));
        }
    }

    /// <summary>Removes the inbound SA with <paramref name="spi"/> and returns it for the caller to dispose; null if there was none.</summary>
    public EspSa? RemoveInbound(uint spi)
    {
        lock (_writeLock)
            return _inbound.TryRemove(spi, out var removed) ? removed : null;
    }

    /// <summary>
    /// Makes <paramref name="sa"/> the outbound SA of its policy (<see cref="EspSa.ReqId"/>) from the next packet on,
    /// and returns the SA it replaces (after a rekey, the old one), or null.
    /// </summary>
    public EspSa? SetOutbound(EspSa sa)
    {
        ArgumentNullException.ThrowIfNull(sa);
        if (sa.Direction != SaDirection.Outbound)
            throw new ArgumentException($"{sa} is not an outbound SA", nameof(sa));
        lock (_writeLock)
        {
            _outbound.TryGetValue(sa.ReqId, out var previous);
            _outbound[sa.ReqId] = sa;
            return previous;
        }
    }

    /// <summary>Removes the outbound SA of policy <paramref name="reqId"/> and returns it, or null.</summary>
    public EspSa? RemoveOutbound(uint reqId)
    {
        lock (_writeLock)
            return _outbound.TryRemove(reqId, out var removed) ? removed : null;
    }

    /// <summary>
    /// A Child SA rekey in one call (RFC 7296 2.8): installs the new inbound SA beside the old one, then swaps the
    /// policy's outbound SA. Returns the old outbound SA; the old inbound SA stays until <see cref="RemoveInbound"/>.
    /// </summary>
    public EspSa? Rekey(EspSa newInbound, EspSa newOutbound)
    {
        AddInbound(newInbound);
        return SetOutbound(newOutbound);
    }
}
