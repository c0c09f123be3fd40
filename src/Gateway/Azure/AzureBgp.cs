using System.Net;

namespace S2SEndpoint.Gateway.Azure;

/// <summary>
/// BGP between the on-premises device and the Azure VPN gateway: the device's ASN and BGP peer IP (the local network
/// gateway's), the gateway's ASN (65515 unless it was given another) and its BGP address on each instance, in the order
/// of the public IPs (custom APIPA addresses from 169.254.21.0 to 169.254.22.255, or Azure's own in the GatewaySubnet).
/// </summary>
internal sealed record AzureBgp(uint Asn, uint AzureAsn, IPAddress Address, IReadOnlyList<IPAddress> AzureAddresses);
