namespace S2SEndpoint.Gateway.Tun;

// Linux network interface names as the kernel's dev_valid_name() accepts them (net/core/dev.c): not empty,
// shorter than IFNAMSIZ (16, with the terminating NUL), not "." or "..", and without '/', ':' or white space.
// Names here are also printable ASCII, so that characters and bytes count alike. A name given to TUNSETIFF may
// carry one "%d", which the kernel replaces with the lowest free number (dev_alloc_name()).

/// <summary>Checks interface names before they reach the kernel, with one sentence naming the value.</summary>
internal static class InterfaceName
{
    /// <summary>IFNAMSIZ less the terminating NUL.</summary>
    public const int MaxLength = 15;

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="name"/> is a valid interface name.</summary>
    /// <param name="allowPattern">Whether one "%d" may stand in the name for a number the kernel picks.</param>
    public static void Validate(string name, string parameterName, bool allowPattern)
    {
        ArgumentNullException.ThrowIfNull(name, parameterName);
        var problem = Check(name, allowPattern);
        if (problem is not null)
            throw new ArgumentException($"Interface name \"{name}\" is not valid: {problem}. A name {Rule(allowPattern)}.", parameterName);
    }

    /// <summary>
    /// The configuration's check (gateway.tun_name, a child's interface), the same as <see cref="Validate"/>'s:
    /// null for a valid name, else what is wrong and what would be valid, for one line after the key and value.
    /// </summary>
    public static string? Problem(string name, bool allowPattern) =>
        Check(name, allowPattern) is { } problem ? $"is not a valid interface name: {problem}; a name {Rule(allowPattern)}" : null;

    private static string Rule(bool allowPattern) =>
        $"has 1 to {MaxLength} printable ASCII characters other than '/', ':' and spaces, and is not \".\" or \"..\""
        + (allowPattern ? "; one \"%d\" lets the kernel pick a free number, as in \"s2s%d\"" : "");

    private static string? Check(string name, bool allowPattern)
    {
        if (name.Length == 0)
            return "it is empty";
        if (name.Length > MaxLength)
            return $"it has {name.Length} characters, more than {MaxLength}";
        if (name is "." or "..")
            return "it names a directory";
        var percent = 0;
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (c is <= ' ' or > '~')
                return $"character {i + 1} is not printable ASCII";
            if (c is '/' or ':')
                return $"it contains '{c}'";
            if (c == '%')
            {
                if (!allowPattern)
                    return "it contains '%'";
                if (i + 1 >= name.Length || name[i + 1] != 'd' || ++percent > 1)
                    return "'%' may only stand once, as \"%d\"";
            }
        }
        return null;
    }
}
