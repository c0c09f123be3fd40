using System.Buffers.Binary;
using S2SEndpoint.Ike.Messages;
using S2SEndpoint.Ike.Sa;

namespace S2SEndpoint.Fuzz.Targets;

/// <summary>
/// Fuzz target <c>ike-fragments</c>: reassembly of SKF fragments (RFC 7383 2.6) in <see cref="FragmentBuffer"/>, fed
/// as the task manager feeds it: fragments that <see cref="EncryptedFragmentPayload.TryRead"/> accepted, with their
/// decrypted content; a new buffer after each whole message. Input: records, each
///   Message ID (1 octet), First Payload (1), Fragment Number (2), Total Fragments (2), content length (1), content.
/// Properties: nothing throws; the parser refuses exactly the positions RFC 7383 2.5 rules out; the buffer gives a
/// whole message exactly when a model says so (one message at a time; another Message ID or Total Fragments starts
/// again; more than <see cref="FragmentBuffer.MaxFragments"/> is refused), and then the content of fragments 1 to
/// Total in order, with the first payload type of fragment 1; the whole message then goes to the payload chain
/// reader, whose refusal must name a notify.
/// </summary>
internal static class IkeFragmentsTarget
{
    public const string Name = "ike-fragments";

    private const int RecordHeader = 7;

    /// <summary>A byte cap small enough for the inputs to reach it (the engine's is 32 KiB).</summary>
    private const int MaxBytes = 2048;

    public static void Run(byte[] input)
    {
        input = FuzzCheck.Cap(input);
        var buffer = new FragmentBuffer(MaxBytes);
        var model = new Model();
        var pos = 0;
        while (input.Length - pos >= RecordHeader)
        {
            var record = pos;
            uint messageId = input[pos];
            var first = (PayloadType)input[pos + 1];
            var number = BinaryPrimitives.ReadUInt16BigEndian(input.AsSpan(pos + 2));
            var total = BinaryPrimitives.ReadUInt16BigEndian(input.AsSpan(pos + 4));
            var length = Math.Min(input[pos + 6], input.Length - pos - RecordHeader);
            var content = input.AsSpan(pos + RecordHeader, length).ToArray();
            pos += RecordHeader + length;

            // The SKF body as the parser meets it: the two fields and one octet of encrypted content.
            byte[] body = [.. input.AsSpan(record + 2, EncryptedFragmentPayload.FixedSize), 0];
            var parsed = EncryptedFragmentPayload.TryRead(first, body, 0, out var fragment, out var error);
            FuzzCheck.That(parsed == (number >= 1 && number <= total), $"fragment {number} of {total}: TryRead says {parsed}: {error}");
            if (!parsed)
            {
                FuzzCheck.Refusal(error, body.Length);
                continue;
            }
            FuzzCheck.That(fragment.FragmentNumber == number && fragment.TotalFragments == total && fragment.FirstInnerPayload == first,
                "TryRead changed the fragment fields");

            var result = buffer.TryAdd(messageId, fragment, content, out var whole, out var wholeFirst);
            var (expectedResult, expected) = model.Add(messageId, first, number, total, content);
            FuzzCheck.That(result == expectedResult, $"fragment {number} of {total} of message {messageId}: TryAdd says {result}, the model {expectedResult}");
            FuzzCheck.That(buffer.Held <= MaxBytes, $"the buffer holds {buffer.Held} octets, more than its cap of {MaxBytes}");
            if (result != FragmentBuffer.Result.Complete)
                continue;
            FuzzCheck.Equal(expected!.Value.Whole, whole, "reassembled message");
            FuzzCheck.That(wholeFirst == expected.Value.First, $"first payload {wholeFirst}, fragment 1 said {expected.Value.First}");
            buffer = new FragmentBuffer(MaxBytes);
            model = new Model();
            if (!PayloadChain.TryRead(wholeFirst, whole, 0, [], out error))
                FuzzCheck.Refusal(error, whole.Length);
        }
    }

    /// <summary>What RFC 7383 2.6 asks of reassembly, written plainly: the fragments of one message by number.</summary>
    private sealed class Model
    {
        private readonly Dictionary<int, byte[]> _pieces = [];
        private uint? _messageId;
        private int _total;
        private PayloadType _first;

        public (FragmentBuffer.Result Result, (byte[] Whole, PayloadType First)? Message) Add(uint messageId, PayloadType first, int number, int total, byte[] content)
        {
            var restart = messageId != _messageId || total != _total;
            var heldAfter = (restart ? 0 : _pieces.Where(p => p.Key != number).Sum(p => p.Value.Length)) + content.Length;
            if (total > FragmentBuffer.MaxFragments || heldAfter > MaxBytes)
                return (FragmentBuffer.Result.TooLarge, null);
            if (restart)
            {
                _pieces.Clear();
                _messageId = messageId;
                _total = total;
            }
            _pieces[number] = content;
            if (number == 1)
                _first = first;
            if (_pieces.Count < total)
                return (FragmentBuffer.Result.Incomplete, null);
            var whole = new List<byte>();
            for (var n = 1; n <= total; n++)
                whole.AddRange(_pieces[n]);
            return (FragmentBuffer.Result.Complete, ([.. whole], _first));
        }
    }
}
