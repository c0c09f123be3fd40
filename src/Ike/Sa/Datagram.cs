using System.Net;

namespace S2SEndpoint.Ike.Sa;

/// <summary>
/// One IKE message on the wire between two endpoints. On port 4500 the UDP layer adds and strips the
/// four-octet non-ESP marker (RFC 3948 2.2); the engine sees IKE messages only.
/// </summary>
public sealed record Datagram(IPEndPoint Local, IPEndPoint Remote, byte[] Data);
