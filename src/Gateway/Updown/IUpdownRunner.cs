namespace S2SEndpoint.Gateway.Updown;

/// <summary>
/// Where the control plane hands each child's updown runs (<see cref="UpdownEvent"/>), after it applied the kernel's
/// changes and under its lock: the call only queues, it never waits for a script. The daemon implements it with
/// processes (<see cref="UpdownRunner"/>); tests with a list.
/// </summary>
public interface IUpdownRunner
{
    /// <summary>Queues <paramref name="run"/> behind the child's earlier runs; returns at once.</summary>
    void Enqueue(UpdownEvent run);
}
