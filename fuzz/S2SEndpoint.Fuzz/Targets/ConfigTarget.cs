using System.Text;
using System.Text.Json;
using S2SEndpoint.Gateway.Config;

namespace S2SEndpoint.Fuzz.Targets;

/// <summary>
/// Fuzz target <c>config</c>: the JSON configuration through <see cref="ConfigLoader.TryParse"/>. Input: the text
/// (UTF-8). Secret files resolve against a directory that does not exist, and an input naming a secret file by a
/// path (a '/' or '\', '.' or '..') is skipped, so the loader reads no file: a run touches nothing.
/// Properties: nothing throws; a refusal gives at least one problem, each a non-empty line; an acceptance gives none
/// and at least one connection; the same text gives the same answer twice.
/// </summary>
internal static class ConfigTarget
{
    public const string Name = "config";

    public const string NoDirectory = "/nonexistent/s2s-fuzz";

    public static void Run(byte[] input)
    {
        var text = Encoding.UTF8.GetString(FuzzCheck.Cap(input));
        if (NamesSecretPath(text))
            return;
        var accepted = ConfigLoader.TryParse(text, NoDirectory, out var config, out var problems);
        if (accepted)
        {
            FuzzCheck.That(problems.Count == 0, $"accepted with problems: {string.Join(" | ", problems)}");
            FuzzCheck.That(config is not null && config.Connections.Count > 0, "accepted without a connection");
        }
        else
        {
            FuzzCheck.That(problems.Count > 0, "refused without a problem");
            foreach (var line in problems)
                FuzzCheck.That(!string.IsNullOrWhiteSpace(line), "an empty problem line");
        }
        var again = ConfigLoader.TryParse(text, NoDirectory, out _, out var problemsAgain);
        FuzzCheck.That(again == accepted && problemsAgain.SequenceEqual(problems, StringComparer.Ordinal), "the same text gave another answer");
    }

    /// <summary>Whether any "file" key anywhere holds a string that could leave <see cref="NoDirectory"/>.</summary>
    private static bool NamesSecretPath(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            return NamesPath(document.RootElement);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool NamesPath(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    if (p.NameEquals("file") && p.Value.ValueKind == JsonValueKind.String &&
                        p.Value.GetString() is { } file && (file.IndexOfAny(['/', '\\']) >= 0 || file is "." or ".." || file.Length == 0))
                        return true;
                    if (NamesPath(p.Value))
                        return true;
                }
                return false;
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray())
                {
                    if (NamesPath(item))
                        return true;
                }
                return false;
            default:
                return false;
        }
    }
}
