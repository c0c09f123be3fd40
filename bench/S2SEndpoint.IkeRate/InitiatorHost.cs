using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Policy;
using S2SEndpoint.Ike.Sa;
using S2SEndpoint.TestSupport;

namespace S2SEndpoint.IkeRate;

/// <summary>One initiator, for one handshake: an engine of its own with seeded randomness, let go once its SA is up.</summary>
internal sealed class InitiatorHost(IkeSaConfig config, int seed) : INetworkHost
{
    public IkeEngine Engine { get; } = new([config], new EspKernel(new SaTable(), new SeededRandom(seed), TimeProvider.System, 64), TimeProvider.System, new SeededRandom(seed));

    public IReadOnlyList<Datagram> TakeSent() => Engine.TakeOutgoing();

    public void Receive(Datagram datagram) => Engine.Receive(datagram);
}
