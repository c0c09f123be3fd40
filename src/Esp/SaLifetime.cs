namespace S2SEndpoint.Esp;

// SA lifetimes (RFC 4301 4.4.2.1): a soft limit asks IKE to rekey, a hard limit ends the SA. Bytes and packets are
// counted by the data path (inner packet bytes, both directions); time is checked by EspSa.PollLifetime against
// the injected TimeProvider.

/// <summary>Soft and hard limits of an SA in bytes, packets and time. Unset limits are unlimited.</summary>
public sealed record SaLifetime
{
    /// <summary>No limits at all.</summary>
    public static SaLifetime Unlimited { get; } = new();

    public ulong SoftBytes { get; init; } = ulong.MaxValue;
    public ulong HardBytes { get; init; } = ulong.MaxValue;
    public ulong SoftPackets { get; init; } = ulong.MaxValue;
    public ulong HardPackets { get; init; } = ulong.MaxValue;
    public TimeSpan? SoftTime { get; init; }
    public TimeSpan? HardTime { get; init; }
}
