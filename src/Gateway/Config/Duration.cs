using System.Globalization;

namespace S2SEndpoint.Gateway.Config;

/// <summary>Durations as swanctl.conf writes them: a number with s, m, h or d; a bare number is seconds.</summary>
public static class Duration
{
    public static bool TryParse(string text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
            return false;
        var t = text.Trim();
        var unit = char.ToLowerInvariant(t[^1]);
        var multiplier = unit switch
        {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            _ => 0,
        };
        var number = multiplier == 0 ? t : t[..^1];
        if (multiplier == 0)
            multiplier = 1;
        if (!ulong.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > (ulong)TimeSpan.MaxValue.TotalSeconds / (ulong)multiplier)
            return false;
        value = TimeSpan.FromSeconds((double)(n * (ulong)multiplier));
        return true;
    }
}
