using System.Net;
using S2SEndpoint.Esp;
using S2SEndpoint.Gateway.Net;
using S2SEndpoint.Gateway.Tun;

namespace S2SEndpoint.Gateway;

/// <summary>
/// One data-path worker's output, between a batch read and the end of its batch: the ESP datagrams its packets sealed
/// (one <see cref="UdpSendBatch"/>: sendmmsg, and UDP GSO for runs to one peer) and the inner packets they opened (one
/// <see cref="TunWriteBatch"/> per device: TCP segments of a flow coalesced). The daemon's readers own one each: a TUN
/// queue's reader flushes after the segments of one read, a port-4500 reader after each recvmmsg. Nothing here is
/// shared, and nothing is allocated per packet once each device was written to.
/// </summary>
internal sealed class WorkerOutput(UdpSendBatch udp, Func<string, TunDevice?> deviceOf, int queue, GatewayCounters counters) : IPacketSink
{
    private readonly Dictionary<string, TunWriteBatch> _tun = new(StringComparer.Ordinal);
    private readonly List<(string Device, TunWriteBatch Batch)> _pending = [];
    private bool _sends;

    public void SendEsp(IPEndPoint local, IPEndPoint remote, PacketBuffer datagram)
    {
        udp.Add(local, remote, datagram);
        _sends = true;
    }

    public void WriteTun(string device, PacketBuffer packet)
    {
        if (!_tun.TryGetValue(device, out var batch))
        {
            // A device name comes from the configuration, so the names a worker meets are few; a closed device's batch goes at the next flush to it.
            batch = new TunWriteBatch();
            _tun[device] = batch;
        }
        if (!ContainsPending(batch))
            _pending.Add((device, batch));
        batch.Add(packet);
    }

    /// <summary>Sends and writes what the batch queued; every queued buffer is its reader's again.</summary>
    public void Flush()
    {
        for (var i = 0; i < _pending.Count; i++)
        {
            var (device, batch) = _pending[i];
            // A device closed by a reload since: its packets go nowhere, as a write to it would.
            if (deviceOf(device) is { } tun)
            {
                var (failed, coalesced) = (batch.Failed, batch.SuperPackets);
                batch.Flush(tun, queue % tun.QueueCount);
                if (batch.Failed != failed)
                    counters.Count(GatewayDropReason.TunWriteFailed, batch.Failed - failed);
                if (batch.SuperPackets != coalesced)
                    counters.CountSuperPacketsWritten(batch.SuperPackets - coalesced);
            }
            else
            {
                counters.Count(GatewayDropReason.TunWriteFailed, batch.Count);
                batch.Clear();
                // Its batch (with a coalescing buffer of 64 KiB) goes with it: reloads cannot pile them up.
                _tun.Remove(device);
            }
        }
        _pending.Clear();
        if (_sends)
        {
            udp.Flush();
            _sends = false;
        }
    }

    private bool ContainsPending(TunWriteBatch batch)
    {
        foreach (var (_, pending) in _pending)
        {
            if (ReferenceEquals(pending, batch))
                return true;
        }
        return false;
    }
}
