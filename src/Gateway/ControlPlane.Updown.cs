using S2SEndpoint.Gateway.Policy;
using S2SEndpoint.Gateway.Updown;

namespace S2SEndpoint.Gateway;

/// <summary>
/// updown follows the child, as carrier does: when a child's first Child SA is installed its script runs with up-client
/// (up-client-v6), when its last one is removed with down-client, once per pair of its selectors of one family, as
/// strongSwan runs it. A rekey installs the new SA before the old one goes, so the child stays up and no script runs,
/// as with strongSwan. The runs are only queued here, after the kernel's changes were applied and under the control
/// lock; the <see cref="IUpdownRunner"/> runs them later, in order per child.
/// </summary>
internal sealed partial class ControlPlane
{
    private readonly IUpdownRunner? _updown;

    /// <summary>Child SAs installed per child (request ID), counted from the kernel's changes in their order.</summary>
    private readonly Dictionary<uint, int> _childSas = [];

    /// <summary>The children up with a script, and the runs their down will repeat (refreshed from their newest SA).</summary>
    private readonly Dictionary<uint, List<UpdownEvent>> _upChildren = [];

    private bool _updownStopped;

    /// <summary>Queues the up and down runs that <paramref name="changes"/> make, in their order (a child may go and come in one step).</summary>
    private void QueueUpdown(List<KernelChange> changes)
    {
        if (_updown is null || _updownStopped)
            return;
        foreach (var (kind, installed) in changes)
        {
            var reqId = installed.ReqId;
            switch (kind)
            {
                case KernelChangeKind.Installed:
                    var count = _childSas.GetValueOrDefault(reqId);
                    _childSas[reqId] = count + 1;
                    if (count == 0)
                    {
                        var runs = UpdownRuns(installed);
                        if (runs.Count == 0)
                            break;
                        _upChildren[reqId] = runs;
                        foreach (var run in runs)
                            _updown.Enqueue(run);
                    }
                    else if (_upChildren.ContainsKey(reqId))
                    {
                        // A rekey: no run; the down will speak of the newest SA (its selectors, its IKE SA).
                        _upChildren[reqId] = UpdownRuns(installed);
                    }
                    break;
                case KernelChangeKind.Removed or KernelChangeKind.Superseded when _childSas.TryGetValue(reqId, out var left):
                    if (left > 1)
                    {
                        _childSas[reqId] = left - 1;
                        break;
                    }
                    _childSas.Remove(reqId);
                    if (_upChildren.Remove(reqId, out var up))
                    {
                        foreach (var run in up)
                            _updown.Enqueue(run with { Up = false });
                    }
                    break;
                case KernelChangeKind.EndpointsMoved when _upChildren.TryGetValue(reqId, out var moved):
                    _upChildren[reqId] = [.. moved.Select(r => r with { Me = installed.Local, Peer = installed.Remote })];
                    break;
            }
        }
    }

    /// <summary>
    /// At exit: queues the down runs of the children still up (strongSwan runs down-client as it stops) and queues
    /// nothing after. The daemon then waits a while for the runner.
    /// </summary>
    public void StopUpdown()
    {
        lock (_sync)
        {
            if (_updown is null || _updownStopped)
                return;
            _updownStopped = true;
            foreach (var up in _upChildren.Values)
            {
                foreach (var run in up)
                    _updown.Enqueue(run with { Up = false });
            }
            _upChildren.Clear();
            _childSas.Clear();
        }
    }

    /// <summary>The up runs of an installed Child SA's child, one per pair of selectors of one family; none without a script.</summary>
    private List<UpdownEvent> UpdownRuns(EspKernel.Installed installed)
    {
        var install = installed.Install;
        var routing = _config.Routing.FirstOrDefault(r => r.Connection == install.Connection && r.Child == install.Child);
        if (routing?.Updown is not { } script)
            return [];
        var ike = Engine.Sas.FirstOrDefault(s => s.Children.Any(c => c.InboundSpi == install.InboundSpi));
        var connection = _config.Connections.FirstOrDefault(c => c.Name == install.Connection);
        var myId = (ike?.Config.LocalId ?? connection?.LocalId)?.ToString() ?? "%any";
        var peerId = (ike?.RemoteId ?? connection?.RemoteId)?.ToString() ?? "%any";
        var device = routing.Interface ?? SharedDevice;
        var runs = new List<UpdownEvent>();
        foreach (var mine in install.LocalTs)
        {
            foreach (var other in install.RemoteTs)
            {
                // As strongSwan's policy enumerator: pairs of one family whose protocols can meet.
                if (mine.TsType != other.TsType || (mine.IpProtocol != 0 && other.IpProtocol != 0 && mine.IpProtocol != other.IpProtocol))
                    continue;
                runs.Add(new UpdownEvent(script, true, install.Connection, install.Child, installed.ReqId, ike?.Id ?? 0, installed.Local, installed.Remote,
                    myId, peerId, mine, other, device, install.UdpEncapsulation));
            }
        }
        return runs;
    }
}
