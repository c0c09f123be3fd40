namespace S2SEndpoint.Esp;

/// <summary>Which counter reached a lifetime limit.</summary>
public enum LifetimeLimit
{
    /// <summary>Bytes of inner packets carried.</summary>
    Bytes = 0,

    /// <summary>Packets carried.</summary>
    Packets = 1,

    /// <summary>Time since the SA was installed, seen by <see cref="EspSa.PollLifetime"/>.</summary>
    Time = 2,

    /// <summary>The outbound sequence number is about to cycle (RFC 4303 3.3.3).</summary>
    SequenceNumber = 3,
}
