using Microsoft.Extensions.Logging;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Sa;

/// <summary>
/// The engine's log lines, source-generated with stable event IDs (1xxx for the IKE library). Information:
/// SA lifecycle. Debug: exchange flow. Keys and secrets never appear here.
/// </summary>
internal sealed partial class EngineLog(ILogger logger)
{
    /// <summary>Whether exchange-flow lines are wanted: their payload lists are only built then.</summary>
    public bool DebugEnabled => logger.IsEnabled(LogLevel.Debug);

    [LoggerMessage(1001, LogLevel.Information, "{Name}[{Id}] IKE SA established with {Remote} ({Proposal}), SPIs {SpiI:x16}_i {SpiR:x16}_r{Nat}")]
    public partial void IkeSaEstablished(string name, uint id, string remote, string proposal, ulong spiI, ulong spiR, string nat);

    [LoggerMessage(1002, LogLevel.Information, "{Name}[{Id}] IKE SA closed: {Reason}")]
    public partial void IkeSaClosed(string name, uint id, string reason);

    [LoggerMessage(1003, LogLevel.Information, "{Name}[{Id}] CHILD_SA {Child}{{{UniqueId}}} established ({Proposal}), SPIs {SpiIn:x8}_i {SpiOut:x8}_o, {LocalTs} === {RemoteTs}")]
    public partial void ChildSaEstablished(string name, uint id, string child, uint uniqueId, string proposal, uint spiIn, uint spiOut, string localTs, string remoteTs);

    [LoggerMessage(1004, LogLevel.Information, "{Name}[{Id}] CHILD_SA {Child}{{{UniqueId}}} closed ({SpiIn:x8}_i {SpiOut:x8}_o): {Reason}")]
    public partial void ChildSaClosed(string name, uint id, string child, uint uniqueId, uint spiIn, uint spiOut, string reason);

    [LoggerMessage(1005, LogLevel.Warning, "{Name}[{Id}] {Detail}")]
    public partial void NegotiationFailed(string name, uint id, string detail);

    [LoggerMessage(1006, LogLevel.Information, "{Name}[{Id}] initiating IKE SA to {Remote}")]
    public partial void Initiating(string name, uint id, string remote);

    [LoggerMessage(1007, LogLevel.Information, "{Name}[{OldId}] IKE SA rekeyed into {Name}[{NewId}] ({Proposal}), SPIs {SpiI:x16}_i {SpiR:x16}_r")]
    public partial void IkeSaRekeyed(string name, uint oldId, uint newId, string proposal, ulong spiI, ulong spiR);

    [LoggerMessage(1025, LogLevel.Information, "{Name}[{OldId}] reauthenticating: a new IKE SA {Name}[{NewId}] with its {Children} Child SA(s), the old one deleted once they are up")]
    public partial void Reauthenticating(string name, uint oldId, uint newId, int children);

    [LoggerMessage(1026, LogLevel.Information, "{Name}[{OldId}] IKE SA reauthenticated into {Name}[{NewId}]")]
    public partial void IkeSaReauthenticated(string name, uint oldId, uint newId);

    [LoggerMessage(1027, LogLevel.Warning, "{Name}[{OldId}] reauthentication failed ({Reason}): the IKE SA stays, tried again in {Retry} s")]
    public partial void ReauthFailed(string name, uint oldId, string reason, int retry);

    [LoggerMessage(1010, LogLevel.Debug, "{Name}[{Id}] sending {Exchange} request {MessageId} [ {Payloads} ]")]
    public partial void SendingRequest(string name, uint id, ExchangeType exchange, uint messageId, string payloads);

    [LoggerMessage(1011, LogLevel.Debug, "{Name}[{Id}] sending {Exchange} response {MessageId} [ {Payloads} ]")]
    public partial void SendingResponse(string name, uint id, ExchangeType exchange, uint messageId, string payloads);

    [LoggerMessage(1018, LogLevel.Debug, "{Name}[{Id}] received {Exchange} request {MessageId} [ {Payloads} ] from {Remote}")]
    public partial void ReceivedRequest(string name, uint id, ExchangeType exchange, uint messageId, string payloads, string remote);

    [LoggerMessage(1019, LogLevel.Debug, "{Name}[{Id}] received {Exchange} response {MessageId} [ {Payloads} ] from {Remote}")]
    public partial void ReceivedResponse(string name, uint id, ExchangeType exchange, uint messageId, string payloads, string remote);

    [LoggerMessage(1012, LogLevel.Debug, "{Name}[{Id}] retransmit {Count} of {Exchange} request {MessageId}")]
    public partial void Retransmitting(string name, uint id, ExchangeType exchange, uint messageId, int count);

    [LoggerMessage(1013, LogLevel.Debug, "{Name}[{Id}] request {MessageId} retransmitted by the peer: resending the cached response")]
    public partial void RetransmittingResponse(string name, uint id, uint messageId);

    [LoggerMessage(1014, LogLevel.Debug, "dropped IKE datagram from {Remote}: {Reason}")]
    public partial void Dropped(string remote, string reason);

    [LoggerMessage(1016, LogLevel.Error, "{Name}[{Id}] internal error while {During}: {Error} (at {Site}); this IKE SA is closed, the others go on")]
    public partial void InternalError(string name, uint id, string during, string error, string site);

    /// <summary>The whole exception, for a bug report: Debug only, as its text is not cut.</summary>
    [LoggerMessage(1017, LogLevel.Debug, "{Name}[{Id}] internal error in full")]
    public partial void InternalErrorDetail(string name, uint id, Exception exception);

    [LoggerMessage(1020, LogLevel.Information, "{Name}[{Id}] assigning virtual IP {Address} of pool {Pool} to peer '{Identity}'")]
    public partial void VirtualIpLeased(string name, uint id, string address, string pool, string identity);

    [LoggerMessage(1021, LogLevel.Information, "{Name}[{Id}] virtual IP {Address} back in pool {Pool}")]
    public partial void VirtualIpReleased(string name, uint id, string address, string pool);

    [LoggerMessage(1022, LogLevel.Warning, "{Name}[{Id}] no virtual IP for peer '{Identity}': every {Families} address of pools {Pools} is in use; sending INTERNAL_ADDRESS_FAILURE")]
    public partial void NoVirtualIp(string name, uint id, string identity, string families, string pools);

    [LoggerMessage(1023, LogLevel.Information, "{Name}[{Id}] peer assigned virtual IP {Addresses}; DNS servers {Dns}")]
    public partial void VirtualIpReceived(string name, uint id, string addresses, string dns);

    [LoggerMessage(1024, LogLevel.Warning, "{Name}[{Id}] asked the peer for virtual IP {Asked}, and it gave none{Why}")]
    public partial void NoVirtualIpReceived(string name, uint id, string asked, string why);

    [LoggerMessage(1015, LogLevel.Debug, "{Name}[{Id}] NAT detected: {Detail}; UDP encapsulation on port 4500")]
    public partial void NatDetected(string name, uint id, string detail);

    [LoggerMessage(1028, LogLevel.Debug, "{Name}[{Id}] {Detail}")]
    public partial void ExchangeFlow(string name, uint id, string detail);
}
