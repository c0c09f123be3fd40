using System.Globalization;
using S2SEndpoint.Ike.Messages;

namespace S2SEndpoint.Fuzz.Targets;

/// <summary>
/// The properties every fuzz target checks, shared by the AFL++ harness and the corpus replay in the test projects:
/// a broken property throws <see cref="FuzzPropertyException"/>, which afl-fuzz records as a crash and xunit as a failure.
/// </summary>
internal static class FuzzCheck
{
    /// <summary>Above this a target cuts its input: the wire never carries more, and AFL++ seldom makes more.</summary>
    public const int MaxInput = 65_000;

    public static void That(bool condition, string property)
    {
        if (!condition)
            throw new FuzzPropertyException(property);
    }

    public static void Equal(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual, string what)
    {
        if (!expected.SequenceEqual(actual))
            throw new FuzzPropertyException(string.Create(CultureInfo.InvariantCulture,
                $"{what}: expected {Convert.ToHexStringLower(expected)}, got {Convert.ToHexStringLower(actual)}"));
    }

    /// <summary>
    /// A parser's refusal names a notify a peer may be sent (or none, for a silent drop), an offset inside the
    /// datagram and a reason.
    /// </summary>
    public static void Refusal(ParseError error, int length, bool dropAllowed = false)
    {
        That(error.Notify is NotifyType.InvalidSyntax or NotifyType.UnsupportedCriticalPayload or NotifyType.InvalidMajorVersion
            || (dropAllowed && error.Notify == NotifyType.None), $"refused with notify {error.Notify}: {error}");
        That(error.Offset >= 0 && error.Offset <= length, $"refusal offset {error.Offset} outside 0..{length}: {error}");
        That(!string.IsNullOrEmpty(error.Reason), $"refusal without a reason: {error}");
    }

    public static byte[] Cap(byte[] input) => input.Length > MaxInput ? input[..MaxInput] : input;
}
