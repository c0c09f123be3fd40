using System.Net;
using Microsoft.Extensions.Logging;

namespace S2SEndpoint.Gateway;

/// <summary>
/// A road warrior's virtual IPs on its devices (RFC 7296 2.19): what the peers gave this host, as the kernel holds them
/// (<see cref="Policy.EspKernel.VirtualIps"/>), goes on the device of each child of the connection whose local_ts is
/// dynamic (the shared device for a policy-based child, the child's interface for a route-based one), and leaves it when
/// the IKE SA that held it went. Told through <see cref="Net.IGatewayIo.SetVirtualIp"/> after the kernel's changes.
/// </summary>
internal sealed partial class ControlPlane
{
    private HashSet<(string Connection, string Device, IPAddress Address)> _virtualIpsApplied = [];

    private void UpdateVirtualIps()
    {
        var wanted = new HashSet<(string, string, IPAddress)>();
        foreach (var (connection, addresses) in Kernel.VirtualIps)
        {
            if (_config.Connections.FirstOrDefault(c => c.Name == connection) is not { } config)
                continue;
            foreach (var child in config.Children.Where(c => c.LocalDynamic))
            {
                var device = Interface(connection, child.Name) ?? SharedDevice;
                foreach (var address in addresses)
                    wanted.Add((connection, device, address));
            }
        }
        if (wanted.SetEquals(_virtualIpsApplied))
            return;
        foreach (var (connection, device, address) in _virtualIpsApplied.Where(v => !wanted.Contains(v)))
        {
            _io.SetVirtualIp(connection, device, address, false);
            Log.VirtualIpRemoved(_log, connection, address.ToString(), device);
        }
        foreach (var (connection, device, address) in wanted.Where(v => !_virtualIpsApplied.Contains(v)))
        {
            _io.SetVirtualIp(connection, device, address, true);
            Log.VirtualIpAdded(_log, connection, address.ToString(), device);
        }
        _virtualIpsApplied = wanted;
    }

    private static partial class Log
    {
        [LoggerMessage(3120, LogLevel.Information, "{Connection}: virtual IP {Address} on {Device}, the source of its routes")]
        public static partial void VirtualIpAdded(ILogger logger, string connection, string address, string device);

        [LoggerMessage(3121, LogLevel.Information, "{Connection}: virtual IP {Address} off {Device}")]
        public static partial void VirtualIpRemoved(ILogger logger, string connection, string address, string device);
    }
}
