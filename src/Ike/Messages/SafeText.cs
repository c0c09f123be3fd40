using System.Globalization;
using System.Text;

namespace S2SEndpoint.Ike.Messages;

/// <summary>
/// Text a peer chose (identities, proposal offers, notify data, anything read off the wire) made fit for a log
/// line or a status report: control characters (CR, LF, ESC, the C1 range, DEL) and Unicode's line and paragraph
/// separators and bidirectional overrides become \xNN or \uNNNN, so a peer can neither forge a log line nor hide
/// one, and a long text is cut to a length with a note of what was left out. A backslash stays as it is, so that
/// cleaning twice (an identity inside a failure line) changes nothing more.
/// </summary>
public static class SafeText
{
    /// <summary>The most characters a peer-supplied text gets in one log line.</summary>
    public const int MaxLogLength = 512;

    /// <summary>Escapes what a terminal or log reader would act on, and cuts to <paramref name="max"/> characters.</summary>
    public static string Clean(string? text, int max = MaxLogLength)
    {
        if (string.IsNullOrEmpty(text))
            return text ?? string.Empty;
        var clean = NeedsEscape(text) ? Escape(text) : text;
        if (clean.Length <= max)
            return clean;
        return string.Create(CultureInfo.InvariantCulture, $"{clean.AsSpan(0, max)}... ({clean.Length - max} more characters)");
    }

    private static bool NeedsEscape(string text)
    {
        foreach (var c in text)
        {
            if (IsUnsafe(c))
                return true;
        }
        return false;
    }

    private static bool IsUnsafe(char c) =>
        c < 0x20 || (c >= 0x7f && c <= 0x9f) || c is '\u2028' or '\u2029' || (c >= '\u202a' && c <= '\u202e') || (c >= '\u2066' && c <= '\u2069') ||
        char.IsSurrogate(c);

    private static string Escape(string text)
    {
        var b = new StringBuilder(text.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
                b.Append(c).Append(text[++i]);
            else if (c <= 0xff && IsUnsafe(c))
                b.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
            else if (IsUnsafe(c))
                b.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            else
                b.Append(c);
        }
        return b.ToString();
    }
}
