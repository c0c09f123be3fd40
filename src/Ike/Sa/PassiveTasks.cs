using S2SEndpoint.Ike.Exchanges;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Sa;

/// <summary>
/// The responder's task factory (as strongSwan's task manager builds its passive tasks): the tasks that
/// answer a request are chosen from its exchange type and payloads, once per request.
/// </summary>
internal static class PassiveTasks
{
    public static void Create(IkeSa sa, IncomingMessage request, List<IkeTask> into)
    {
        switch (request.Header.Exchange)
        {
            case ExchangeType.IkeSaInit:
                into.Add(new IkeInitTask(sa, false));
                into.Add(new IkeNatdTask(sa, false));
                into.Add(new IkeIntermediateTask(sa, false));
                into.Add(new IkeAuthTask(sa, false));
                into.Add(new ConfigurationTask(sa, false));
                into.Add(new ChildCreateTask(sa, false, null));
                break;
            case ExchangeType.CreateChildSa:
                // An IKE proposal in the SA payload means the IKE SA itself is being rekeyed (RFC 7296 1.3.2).
                if (request.Find<SecurityAssociationPayload>()?.Proposals.Any(p => p.Protocol == ProtocolId.Ike) == true)
                    into.Add(new IkeRekeyTask(sa, false));
                // REKEY_SA names the Child SA that a new one replaces (RFC 7296 1.3.3).
                else if (request.FindNotify(NotifyType.RekeySa) is not null)
                    into.Add(new ChildRekeyTask(sa, false, null));
                else
                    into.Add(new ChildCreateTask(sa, false, null));
                break;
            case ExchangeType.Informational:
                var deletes = request.Payloads.OfType<DeletePayload>().ToList();
                if (deletes.Exists(d => d.Protocol == ProtocolId.Ike))
                    into.Add(new IkeDeleteTask(sa, false));
                else if (deletes.Count > 0)
                    into.Add(new ChildDeleteTask(sa, false, null));
                into.Add(new InformationalTask(sa));
                break;
            default:
                break;
        }
    }
}
