using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Fuzz.Targets;

/// <summary>
/// Fuzz target <c>ike-message</c>: a whole IKE datagram (RFC 7296 3.1 header and the payload chain of 3.2 to 3.16)
/// through <see cref="IkeMessage.TryParse"/>. Input: the datagram, without a non-ESP marker.
/// Properties: nothing throws; a refusal names INVALID_SYNTAX, UNSUPPORTED_CRITICAL_PAYLOAD or INVALID_MAJOR_VERSION,
/// an offset inside the datagram and a reason; an accepted datagram written back is read again, and writing that
/// gives the same octets (the writer zeroes RESERVED fields and the critical bit of known payloads, which RFC 7296
/// 3.2 has a receiver ignore, so the first rewrite may differ from the input; the second may not); the per-exchange
/// payload table (<see cref="MessageRules.TryValidate"/>) refuses with a notify.
/// </summary>
internal static class IkeMessageTarget
{
    public const string Name = "ike-message";

    public static void Run(byte[] input)
    {
        var datagram = FuzzCheck.Cap(input);
        if (!IkeMessage.TryParse(datagram, out var message, out var error))
        {
            FuzzCheck.Refusal(error, datagram.Length);
            return;
        }
        FuzzCheck.That(message.Raw.Length == datagram.Length, "Raw is the whole datagram");
        var once = message.ToArray();
        FuzzCheck.That(once.Length == message.Length, $"ToArray wrote {once.Length} octets, Length says {message.Length}");
        FuzzCheck.That(IkeMessage.TryParse(once, out var again, out var againError), $"accepted, but its rewrite is refused: {againError}");
        FuzzCheck.That(again.Payloads.Count == message.Payloads.Count, "the rewrite has another number of payloads");
        for (var i = 0; i < message.Payloads.Count; i++)
            FuzzCheck.That(again.Payloads[i].Type == message.Payloads[i].Type, $"payload {i} changed type in the rewrite");
        FuzzCheck.Equal(once, again.ToArray(), "the rewrite is not canonical");
        if (!MessageRules.TryValidate(message.Header.Exchange, message.Payloads, out error))
            FuzzCheck.Refusal(error, datagram.Length);
    }
}
