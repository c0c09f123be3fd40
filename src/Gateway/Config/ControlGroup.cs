using System.Globalization;
using S2SEndpoint.Gateway.Control;

namespace S2SEndpoint.Gateway.Config;

/// <summary>
/// gateway.control_group: the group whose members may use the control socket (and so the CLI) without root.
/// The socket becomes 0660 and its directory 0750, both that group's. <paramref name="Name"/> is as written.
/// </summary>
public sealed record ControlGroup(string Name, uint Id)
{
    /// <summary>
    /// A group name from the group database, or a numeric gid (taken as it is, as chown(1) takes one); null
    /// with <paramref name="problem"/> (what follows the value in a config line) for anything else.
    /// </summary>
    public static ControlGroup? Resolve(string text, out string? problem)
    {
        problem = null;
        if (UnixFiles.TryGroupId(text, out var gid))
            return new ControlGroup(text, gid);
        // uint.MaxValue is chown's "leave the group as it is" (-1).
        if (uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out gid) && gid != uint.MaxValue)
            return new ControlGroup(text, gid);
        problem = "is not a group on this machine (see getent group); valid: a group name such as adm, or a numeric gid";
        return null;
    }

    public override string ToString() => Name == Id.ToString(CultureInfo.InvariantCulture) ? Name : $"{Name} ({Id})";
}
