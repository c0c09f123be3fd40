using S2SEndpoint.Gateway.Config;

namespace S2SEndpoint.Gateway.Tests.Config;

/// <summary>
/// children.NAME.updown: the script runs as root, so `s2s check` (and `s2s run`) refuse a path that is relative, absent,
/// a directory, not executable or writable by any user, with one line naming the key, the value and what is valid.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class UpdownConfigTests : IDisposable
{
    private const string Valid = "valid: the absolute path of an executable file that others cannot write, such as /etc/s2s/updown.sh";
    private const string Key = "connections.a.children.net.updown";

    private readonly string _dir = Directory.CreateTempSubdirectory("s2s-updown-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string WithUpdown(string script) => $$"""
        {
          "connections": {
            "a": {
              "local_addrs": "192.0.2.1", "remote_addrs": "192.0.2.2",
              "local": { "auth": "psk", "id": "moon" }, "remote": { "auth": "psk", "id": "sun" },
              "children": { "net": { "local_ts": "10.1.0.0/24", "remote_ts": "10.2.0.0/24", "updown": "{{script}}" } }
            }
          },
          "secrets": { "ike-a": { "id": "sun", "secret": "a-pre-shared-key-of-26-chars" } }
        }
        """;

    private string Script(string name, UnixFileMode mode)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, "#!/bin/sh\nexit 0\n");
        File.SetUnixFileMode(path, mode);
        return path;
    }

    private static string Problem(string json)
    {
        Assert.False(ConfigLoader.TryParse(json, ".", out _, out var problems));
        return Assert.Single(problems);
    }

    private const UnixFileMode Mode755 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    [Fact]
    public void TryParse_Updown_AnExecutableOnlyItsOwnerAndGroupWrite_IsTheChildsScript()
    {
        var script = Script("updown.sh", Mode755 | UnixFileMode.GroupWrite);

        Assert.True(ConfigLoader.TryParse(WithUpdown(script), ".", out var config, out var problems), string.Join('\n', problems));

        Assert.Equal(script, Assert.Single(config.Routing).Updown);
    }

    [Fact]
    public void TryParse_Updown_EmptyOrAbsent_IsNone()
    {
        Assert.True(ConfigLoader.TryParse(WithUpdown(""), ".", out var config, out _));
        Assert.Null(Assert.Single(config.Routing).Updown);
    }

    [Fact]
    public void TryParse_Updown_RelativePath_Refused() =>
        Assert.Equal($"{Key}: 'updown.sh' is not an absolute path; {Valid}", Problem(WithUpdown("updown.sh")));

    [Fact]
    public void TryParse_Updown_Missing_Refused()
    {
        var missing = Path.Combine(_dir, "missing.sh");
        Assert.Equal($"{Key}: '{missing}' does not exist; {Valid}", Problem(WithUpdown(missing)));
    }

    [Fact]
    public void TryParse_Updown_Directory_Refused() =>
        Assert.Equal($"{Key}: '{_dir}' is a directory; {Valid}", Problem(WithUpdown(_dir)));

    [Fact]
    public void TryParse_Updown_NotExecutable_Refused()
    {
        var script = Script("plain.sh", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        Assert.Equal($"{Key}: '{script}' is not executable (mode 0644; chmod 755 {script}); {Valid}", Problem(WithUpdown(script)));
    }

    [Fact]
    public void TryParse_Updown_WritableByAnyUser_Refused()
    {
        var script = Script("open.sh", Mode755 | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite);
        Assert.Equal($"{Key}: '{script}' can be written by any user (mode 0777), and it runs as root (chmod o-w {script}); {Valid}", Problem(WithUpdown(script)));
    }

    [Fact]
    public void TryParse_Updown_InADirectoryAnyUserCanWrite_Refused_UnlessItIsSticky()
    {
        var open = Path.Combine(_dir, "open");
        Directory.CreateDirectory(open);
        var script = Path.Combine(open, "updown.sh");
        File.WriteAllText(script, "#!/bin/sh\nexit 0\n");
        File.SetUnixFileMode(script, Mode755);
        const UnixFileMode All = (UnixFileMode)0x1FF;
        File.SetUnixFileMode(open, All);
        Assert.Equal($"{Key}: '{script}' lies in {open}, which any user can write (mode 0777): another user could put a script of their own in its place, and it runs as root (chmod o-w {open}, or move the script); {Valid}",
            Problem(WithUpdown(script)));

        // Sticky, as /tmp: only a file's owner may rename or remove it.
        File.SetUnixFileMode(open, All | UnixFileMode.StickyBit);
        Assert.True(ConfigLoader.TryParse(WithUpdown(script), ".", out _, out var problems), string.Join('\n', problems));
    }

    [Fact]
    public void TryParse_Updown_NulCharacter_Refused() =>
        Assert.Equal($"{Key}: '/etc/s2s/up\\0down' holds a NUL character, which no file name can; {Valid}", Problem(WithUpdown("/etc/s2s/up\\u0000down")));

    [Fact]
    public void Between_AnotherUpdown_ChangesTheConnection()
    {
        var first = Script("first.sh", Mode755);
        var second = Script("second.sh", Mode755);
        Assert.True(ConfigLoader.TryParse(WithUpdown(first), ".", out var before, out _));
        Assert.True(ConfigLoader.TryParse(WithUpdown(second), ".", out var after, out _));

        Assert.Equal(["a"], ConfigDiff.Between(before, after).Changed);
        Assert.True(ConfigDiff.Between(before, before).IsEmpty);
    }
}
