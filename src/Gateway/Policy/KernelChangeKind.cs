namespace S2SEndpoint.Gateway.Policy;

/// <summary>What the engine told the kernel about one Child SA (see <see cref="KernelChange"/>).</summary>
public enum KernelChangeKind
{
    /// <summary><see cref="S2SEndpoint.Ike.Sa.IChildSaKernel.Install"/>: both ESP SAs made; its inbound SA joins the table when applied.</summary>
    Installed,

    /// <summary><see cref="S2SEndpoint.Ike.Sa.IChildSaKernel.Remove"/>: its inbound SA leaves the table when applied.</summary>
    Removed,

    /// <summary><see cref="S2SEndpoint.Ike.Sa.IChildSaKernel.RemoveSuperseded"/>: its inbound SA lingers a few seconds when applied.</summary>
    Superseded,

    /// <summary><see cref="S2SEndpoint.Ike.Sa.IChildSaKernel.ActivateOutbound"/>: it carries its child's outbound traffic.</summary>
    OutboundActivated,

    /// <summary><see cref="S2SEndpoint.Ike.Sa.IChildSaKernel.UpdateEndpoints"/>: its ESP goes to other endpoints (a NAT's new mapping).</summary>
    EndpointsMoved,
}
