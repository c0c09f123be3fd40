using System.Text.Json.Nodes;
using S2SEndpoint.Gateway.Tracing;

namespace S2SEndpoint.Gateway.Control;

/// <summary>
/// What the control socket asks of a running gateway. The daemon implements it; each call may block
/// briefly on the gateway's control lock and returns what the CLI prints. Problems (an unknown
/// connection, a config that fails its check) come back as <see cref="ControlException"/> with one line
/// per problem.
/// </summary>
public interface IControlHandler
{
    /// <summary>The status document `s2s status --json` prints.</summary>
    JsonObject Status();

    /// <summary>Brings up a connection's children, or one child; returns a one-line summary.</summary>
    string Initiate(string connection, string? child);

    /// <summary>Deletes a connection's IKE SAs, or one child's Child SAs.</summary>
    string Terminate(string connection, string? child);

    /// <summary>Rekeys a connection's IKE SA (no child) or one child's Child SAs.</summary>
    string Rekey(string connection, string? child);

    /// <summary>Re-reads the config file; unchanged tunnels stay up. Returns what changed.</summary>
    string Reload();

    /// <summary>A live feed of SA events (`s2s monitor`); dispose it to stop. Throws <see cref="ControlException"/> when too many listen.</summary>
    EventFeed.Subscription Monitor();

    /// <summary>
    /// A live trace of packets (`s2s trace`): a connection's (or one child's; every packet's when null), in one direction
    /// or both, <paramref name="count"/> of them (0: until disposed). Throws <see cref="ControlException"/> for a name the
    /// configuration does not have, or when too many trace already.
    /// </summary>
    TraceSession Trace(string? connection, string? child, TraceDirection direction, int count);
}

/// <summary>A control request that cannot be carried out; <see cref="Exception.Message"/> is what the user reads.</summary>
public sealed class ControlException(string message) : Exception(message);
