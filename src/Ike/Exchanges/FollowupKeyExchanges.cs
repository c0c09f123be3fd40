using System.Security.Cryptography;
using S2SEndpoint.Ike.Crypto;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Ike.Exchanges;

/// <summary>
/// The additional key exchanges of a CREATE_CHILD_SA exchange (RFC 9370 2.2.4), for a new or rekeyed Child SA and for an
/// IKE SA rekey: after the CREATE_CHILD_SA exchange has run the first key exchange, one IKE_FOLLOWUP_KE exchange per
/// additional key exchange of the chosen proposal, ADDKE1 to ADDKE7 in order, NONE left out:
/// <code>
///   Initiator                                  Responder
///   HDR(CREATE_CHILD_SA), SK {SA, Ni, KEi, [TSi, TSr]} -->
///                   &lt;-- HDR(CREATE_CHILD_SA), SK {SA, Nr, KEr, [TSi, TSr], N(ADDITIONAL_KEY_EXCHANGE)(link1)}
///   HDR(IKE_FOLLOWUP_KE), SK {KEi(1), N(ADDITIONAL_KEY_EXCHANGE)(link1)} -->
///                   &lt;-- HDR(IKE_FOLLOWUP_KE), SK {KEr(1), N(ADDITIONAL_KEY_EXCHANGE)(link2)}
///   ...
///   HDR(IKE_FOLLOWUP_KE), SK {KEi(n), N(ADDITIONAL_KEY_EXCHANGE)(link n)} -->
///                   &lt;-- HDR(IKE_FOLLOWUP_KE), SK {KEr(n)}
/// </code>
/// The responder's link data is opaque to the initiator, which copies it into its next request; the last response carries
/// none (as strongSwan's child_create.c and ike_rekey.c send it). The shared secrets SK(1) to SK(n) are kept in order for
/// the keys: KEYMAT = prf+(SK_d, SK(0) | Ni | Nr | SK(1) | ... | SK(n)), SKEYSEED = prf(SK_d (old), SK(0) | Ni | Nr | SK(1) |
/// ... | SK(n)). The task that owns one (<see cref="ChildCreateTask"/>, <see cref="IkeInitTask"/>) makes the new SA only
/// after the last exchange.
/// </summary>
internal sealed class FollowupKeyExchanges(IReadOnlyList<KeyExchangeMethod> methods)
{
    /// <summary>Octets of the link data this side hands out as responder.</summary>
    public const int LinkLength = 8;

    private readonly List<byte[]> _secrets = [];
    private KeyExchange? _keyExchange;

    /// <summary>The additional key exchanges of the chosen proposal, in order.</summary>
    public IReadOnlyList<KeyExchangeMethod> Methods { get; } = methods;

    /// <summary>How many have completed.</summary>
    public int Done => _secrets.Count;

    /// <summary>Whether another IKE_FOLLOWUP_KE exchange is to run.</summary>
    public bool Pending => Done < Methods.Count;

    /// <summary>The method of the next additional key exchange (1-based <see cref="Number"/>).</summary>
    public KeyExchangeMethod Current => Methods[Done];

    public int Number => Done + 1;

    /// <summary>The link data of the ADDITIONAL_KEY_EXCHANGE notify: the responder's, as the initiator has received it.</summary>
    public byte[] Link { get; private set; } = [];

    /// <summary>SK(1) | ... | SK(n), once all are done.</summary>
    public byte[] ConcatenatedSecrets()
    {
        var result = new byte[_secrets.Sum(s => s.Length)];
        var at = 0;
        foreach (var s in _secrets)
        {
            s.CopyTo(result, at);
            at += s.Length;
        }
        return result;
    }

    /// <summary>The ADDITIONAL_KEY_EXCHANGE notify of a message (its link data), or null when it has none.</summary>
    public static NotifyPayload? FindLink(IncomingMessage message) => message.FindNotify(NotifyType.AdditionalKeyExchange);

    /// <summary>Initiator: takes the link data of a response; false when it has none or an empty one.</summary>
    public bool TryTakeLink(IncomingMessage response)
    {
        if (FindLink(response) is not { Data.Length: > 0 } notify)
            return false;
        Link = notify.Data;
        return true;
    }

    /// <summary>Responder: new link data for the next request, random so that a stale or guessed one matches nothing.</summary>
    public void NewLink(IRandomSource random)
    {
        var link = new byte[LinkLength];
        random.Fill(link);
        Link = link;
    }

    /// <summary>Responder: whether a request's link data is the one handed out last.</summary>
    public static bool Matches(byte[] handedOut, ReadOnlySpan<byte> received) =>
        handedOut.Length > 0 && CryptographicOperations.FixedTimeEquals(handedOut, received);

    /// <summary>Initiator: the payloads of the next IKE_FOLLOWUP_KE request, KE and the link.</summary>
    public void BuildRequest(OutgoingMessage message, IRandomSource random)
    {
        _keyExchange ??= KeyExchange.Create(Current, random);
        message.Add(new KeyExchangePayload((ushort)Current, _keyExchange.PublicValue));
        message.AddNotify(NotifyType.AdditionalKeyExchange, Link);
    }

    /// <summary>Initiator: the responder's KE payload of the current exchange; false with the reason when it is not one.</summary>
    public bool TryProcessResponse(IncomingMessage response, out string why)
    {
        if (!TryReadKe(response, "response", out var ke, out why))
            return false;
        if (!_keyExchange!.TryDeriveSharedSecret(ke.Data, out var secret, out why))
        {
            why = $"additional key exchange {Number} ({Current}): {why}";
            return false;
        }
        Complete(secret);
        return true;
    }

    /// <summary>Responder: the initiator's KE payload of the current exchange; the reply waits for <see cref="BuildResponse"/>.</summary>
    public bool TryProcessRequest(IncomingMessage request, IRandomSource random, out string why)
    {
        if (!TryReadKe(request, "request", out var ke, out why))
            return false;
        _keyExchange?.Dispose();
        _keyExchange = KeyExchange.Create(Current, random);
        if (!_keyExchange.TryDeriveSharedSecret(ke.Data, out var secret, out why))
        {
            why = $"additional key exchange {Number} ({Current}): {why}";
            return false;
        }
        _secrets.Add(secret);
        return true;
    }

    /// <summary>Responder: the KE payload of the response (the secret is already counted), and new link data unless it was the last.</summary>
    public void BuildResponse(OutgoingMessage message, IRandomSource random)
    {
        var ke = _keyExchange!;
        message.Add(new KeyExchangePayload((ushort)ke.Method, ke.PublicValue));
        ke.Dispose();
        _keyExchange = null;
        if (Pending)
        {
            NewLink(random);
            message.AddNotify(NotifyType.AdditionalKeyExchange, Link);
        }
        else
        {
            Link = [];
        }
    }

    private bool TryReadKe(IncomingMessage message, string what, out KeyExchangePayload ke, out string why)
    {
        ke = message.Find<KeyExchangePayload>()!;
        why = "";
        if (ke is null)
        {
            why = $"IKE_FOLLOWUP_KE {what} lacks the KE payload of additional key exchange {Number} ({Current})";
            return false;
        }
        if (ke.Group != (ushort)Current)
        {
            why = $"IKE_FOLLOWUP_KE {what} carries KE method {ke.Group}, additional key exchange {Number} is {Current} ({(ushort)Current})";
            return false;
        }
        return true;
    }

    private void Complete(byte[] secret)
    {
        _secrets.Add(secret);
        _keyExchange?.Dispose();
        _keyExchange = null;
    }

    /// <summary>Forgets the key exchange under way, the secrets and the link data.</summary>
    public void Clear()
    {
        _keyExchange?.Dispose();
        _keyExchange = null;
        foreach (var s in _secrets)
            CryptographicOperations.ZeroMemory(s);
        _secrets.Clear();
        Link = [];
    }
}
