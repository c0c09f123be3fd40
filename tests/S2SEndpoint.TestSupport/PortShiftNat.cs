using System.Net;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.TestSupport;

/// <summary>
/// A masquerading NAT in front of one host, for <see cref="MemoryNetwork{THost}.Filter"/>: what the inside host sends
/// leaves from <see cref="Outside"/> with its port moved up by <see cref="PortOffset"/>; what comes back to
/// <see cref="Outside"/> on a mapped port (the IKE ports 500 and 4500, moved up) goes in to <see cref="Inside"/>. A test
/// that changes <see cref="PortOffset"/> makes the NAT forget its mappings: datagrams to the old ports are dropped.
/// </summary>
public sealed class PortShiftNat(IPAddress inside, IPAddress outside, int portOffset = 40000)
{
    public IPAddress Inside { get; } = inside;
    public IPAddress Outside { get; } = outside;
    public int PortOffset { get; set; } = portOffset;

    /// <summary>The filter: <paramref name="insideHost"/>'s datagrams are mapped out, those to <see cref="Outside"/> mapped in.</summary>
    public Func<THost, Datagram, IEnumerable<Datagram>> Filter<THost>(THost insideHost)
        where THost : class =>
        (from, datagram) => from == insideHost ? [MapOut(datagram)] : MapIn(datagram) is { } mapped ? [mapped] : [];

    /// <summary>A datagram from the inside host leaves from the outside address.</summary>
    public Datagram MapOut(Datagram datagram)
    {
        ArgumentNullException.ThrowIfNull(datagram);
        return datagram with { Local = new IPEndPoint(Outside, datagram.Local.Port + PortOffset) };
    }

    /// <summary>A datagram to the outside address goes to the inside host if its port is mapped, or nowhere (null); others pass.</summary>
    public Datagram? MapIn(Datagram datagram)
    {
        ArgumentNullException.ThrowIfNull(datagram);
        if (!datagram.Remote.Address.Equals(Outside))
            return datagram;
        var port = datagram.Remote.Port - PortOffset;
        return port is 500 or 4500 ? datagram with { Remote = new IPEndPoint(Inside, port) } : null;
    }
}
