namespace S2SEndpoint.Esp;

/// <summary>
/// Told when an SA reaches a soft or hard lifetime limit, once per stage (a stage that is skipped is reported
/// too, soft before hard). Called on the thread that crossed the limit, often the data path: an implementation
/// hands the event to the IKE side (a queue, a channel) and returns.
/// </summary>
public interface ILifetimeObserver
{
    /// <summary><paramref name="sa"/> reached <paramref name="stage"/> because of <paramref name="limit"/>.</summary>
    void OnLifetimeLimit(EspSa sa, LifetimeStage stage, LifetimeLimit limit);
}
