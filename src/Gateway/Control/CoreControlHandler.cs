using System.Text.Json.Nodes;
using S2SEndpoint.Gateway.Tracing;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Gateway.Control;

/// <summary>
/// The control commands carried out on a <see cref="GatewayCore"/>, each as one step of its control plane
/// (<see cref="GatewayCore.Control{T}"/>: the checks and the command see the same engine state), and status under its
/// lock (<see cref="GatewayCore.Inspect{T}"/>). Commands only queue work in the engine (the exchanges run as the
/// daemon pumps the core), so each answer says what was started; `s2s status` shows how it went.
/// </summary>
/// <param name="core">The gateway.</param>
/// <param name="reload">The daemon's reload, called without the lock held; null when the daemon has none.</param>
public sealed class CoreControlHandler(GatewayCore core, Func<string>? reload = null) : IControlHandler
{
    public JsonObject Status() => core.Inspect(StatusReport.Build);

    public EventFeed.Subscription Monitor() =>
        core.Events.Subscribe() ?? throw new ControlException($"{EventFeed.MaxSubscribers} monitors are listening already; try again later");

    public TraceSession Trace(string? connection, string? child, TraceDirection direction, int count)
    {
        if (connection is not null)
        {
            core.Inspect(_ =>
            {
                Check(connection, child);
                return true;
            });
        }
        return core.Trace(connection, child, direction, count)
            ?? throw new ControlException($"{PacketTracer.MaxSessions} traces are running already; try again later");
    }

    public string Initiate(string connection, string? child) => core.Control(_ =>
    {
        Check(connection, child);
        try
        {
            core.Initiate(connection, child);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            throw new ControlException(e.Message);
        }
        return $"{Target(connection, child)}: initiating";
    });

    public string Terminate(string connection, string? child) => core.Control(_ =>
    {
        Check(connection, child);
        int count;
        if (child is null)
        {
            // Also with no IKE SA up: a connection that keeps retrying (start_action start) is held down.
            count = Sas(connection).Count(s => s.State != IkeSaState.Destroyed);
            core.Terminate(connection);
            if (count == 0)
                return $"{connection}: no IKE SA was up; held down until `s2s initiate {connection}`";
        }
        else
        {
            count = Installed(connection, child);
            if (count == 0)
                throw new ControlException($"{connection}/{child}: no installed Child SA to terminate");
            core.Terminate(connection, child);
        }
        return $"{Target(connection, child)}: terminating {count} {(child is null ? "IKE" : "Child")} SA(s)";
    });

    public string Rekey(string connection, string? child) => core.Control(engine =>
    {
        Check(connection, child);
        int count;
        if (child is null)
        {
            count = Sas(connection).Count(s => s.State == IkeSaState.Established);
            if (count == 0)
                throw new ControlException($"{connection}: no established IKE SA to rekey");
            engine.RekeyIke(connection);
        }
        else
        {
            count = Installed(connection, child);
            if (count == 0)
                throw new ControlException($"{connection}/{child}: no installed Child SA to rekey");
            engine.Rekey(connection, child);
        }
        return $"{Target(connection, child)}: rekeying {count} {(child is null ? "IKE" : "Child")} SA(s)";
    });

    public string Reload() =>
        reload is null ? throw new ControlException("this daemon cannot reload its configuration") : reload();

    /// <summary>Refuses names the configuration does not have, naming the ones it does.</summary>
    private void Check(string connection, string? child)
    {
        var config = core.Engine.Connections.FirstOrDefault(c => c.Name == connection)
            ?? throw new ControlException($"no connection '{connection}'; known: {string.Join(", ", core.Engine.Connections.Select(c => c.Name))}");
        if (child is not null && !config.Children.Any(c => c.Name == child))
            throw new ControlException($"connection '{connection}' has no child '{child}'; it has: {string.Join(", ", config.Children.Select(c => c.Name))}");
    }

    private IEnumerable<IkeSa> Sas(string connection) => core.Engine.Sas.Where(s => s.Config.Name == connection);

    /// <summary>The child's installed Child SAs on the connection's established IKE SAs (what the engine acts on).</summary>
    private int Installed(string connection, string child) =>
        Sas(connection).Where(s => s.State == IkeSaState.Established)
            .Sum(s => s.Children.Count(c => c.Config.Name == child && c.State == ChildSaState.Installed));

    private static string Target(string connection, string? child) => child is null ? connection : $"{connection}/{child}";
}
