using System.Runtime.InteropServices;
using System.Text;

namespace S2SEndpoint.Gateway.Control;

// The few libc calls the control socket makes beyond what .NET offers: statx(2) with AT_SYMLINK_NOFOLLOW, for
// what is at a path without following a symbolic link (.NET tells a directory and a link, but not a socket from a
// regular file), lchown(2), and getgrnam_r(3) for gateway.control_group. struct statx has one layout on every
// architecture (include/uapi/linux/stat.h), unlike struct stat. As in Tun/Libc.cs, DllImport with byte references:
// blittable, no unsafe code.

/// <summary>What is at a path (lstat semantics), a file's group, and group names: for the control socket.</summary>
internal static class UnixFiles
{
    /// <summary>The file types of st_mode (inode(7)); Missing when nothing is there.</summary>
    public enum Kind
    {
        Missing,
        Socket,
        SymbolicLink,
        RegularFile,
        Directory,
        Fifo,
        CharacterDevice,
        BlockDevice,
    }

    /// <summary>One lstat: the type, the permission bits, the owner and group, and the inode with its device.</summary>
    public readonly record struct Status(Kind Kind, UnixFileMode Mode, uint Uid, uint Gid, ulong Inode, ulong Device)
    {
        /// <summary>Mode as chmod writes it, "0644".</summary>
        public string Octal => Convert.ToString((int)Mode, 8).PadLeft(4, '0');
    }

    /// <summary>What is at <paramref name="path"/>, not following a symbolic link; Missing when nothing is.</summary>
    /// <exception cref="IOException">The path cannot be examined (a directory on the way may not be searched).</exception>
    public static Status Lstat(string path)
    {
        Span<byte> buffer = stackalloc byte[StatxSize];
        if (Statx(AtFdCwd, in Terminated(path)[0], AtSymlinkNoFollow, StatxBasicStats, ref buffer[0]) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is ENoEnt or ENotDir)
                return default;
            throw new IOException($"{path}: {Marshal.GetPInvokeErrorMessage(errno)}");
        }
        var mode = MemoryMarshal.Read<ushort>(buffer[StxMode..]);
        var kind = (mode & SIfMt) switch
        {
            SIfSock => Kind.Socket,
            SIfLnk => Kind.SymbolicLink,
            SIfReg => Kind.RegularFile,
            SIfDir => Kind.Directory,
            SIfIfo => Kind.Fifo,
            SIfChr => Kind.CharacterDevice,
            SIfBlk => Kind.BlockDevice,
            _ => Kind.RegularFile,
        };
        return new Status(kind, (UnixFileMode)(mode & 0xFFF),
            MemoryMarshal.Read<uint>(buffer[StxUid..]),
            MemoryMarshal.Read<uint>(buffer[StxGid..]),
            MemoryMarshal.Read<ulong>(buffer[StxIno..]),
            ((ulong)MemoryMarshal.Read<uint>(buffer[StxDevMajor..]) << 32) | MemoryMarshal.Read<uint>(buffer[StxDevMinor..]));
    }

    /// <summary>The kind as a sentence names it: "a regular file".</summary>
    public static string Describe(Kind kind) => kind switch
    {
        Kind.Socket => "a socket",
        Kind.SymbolicLink => "a symbolic link",
        Kind.RegularFile => "a regular file",
        Kind.Directory => "a directory",
        Kind.Fifo => "a FIFO",
        Kind.CharacterDevice => "a character device",
        Kind.BlockDevice => "a block device",
        _ => "nothing",
    };

    /// <summary>Gives <paramref name="path"/> (itself, not what a link points to) to group <paramref name="gid"/>; the owner stays.</summary>
    /// <exception cref="IOException">With the reason, such as "Operation not permitted" for a group the process may not give files to.</exception>
    public static void ChangeGroup(string path, uint gid)
    {
        if (LChown(in Terminated(path)[0], uint.MaxValue, gid) != 0)
            throw new IOException(Marshal.GetLastPInvokeErrorMessage());
    }

    /// <summary>The gid of the group named <paramref name="name"/> in the group database (/etc/group, or NSS).</summary>
    public static bool TryGroupId(string name, out uint gid)
    {
        gid = 0;
        if (name.Length == 0 || name.Contains('\0', StringComparison.Ordinal))
            return false;
        var nameBytes = Terminated(name);
        // struct group { char *gr_name; char *gr_passwd; gid_t gr_gid; char **gr_mem; }
        Span<byte> group = stackalloc byte[4 * IntPtr.Size];
        for (var size = 1024; size <= 1 << 20; size *= 4)
        {
            var buffer = new byte[size];
            var error = GetGrNamR(in nameBytes[0], ref group[0], ref buffer[0], (nuint)buffer.Length, out var result);
            if (error == ERange)
                continue;
            if (error != 0 || result == 0)
                return false;
            gid = MemoryMarshal.Read<uint>(group[(2 * IntPtr.Size)..]);
            return true;
        }
        return false;
    }

    private static byte[] Terminated(string path)
    {
        if (path.Contains('\0', StringComparison.Ordinal))
            throw new IOException($"'{path.Replace("\0", "\\0", StringComparison.Ordinal)}' holds a NUL character");
        var bytes = new byte[Encoding.UTF8.GetByteCount(path) + 1];
        Encoding.UTF8.GetBytes(path, bytes);
        return bytes;
    }

    private const string Libc = "libc";

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxBasicStats = 0x7FF;

    private const int ENoEnt = 2;
    private const int ENotDir = 20;
    private const int ERange = 34;

    private const int SIfMt = 0xF000;
    private const int SIfSock = 0xC000;
    private const int SIfLnk = 0xA000;
    private const int SIfReg = 0x8000;
    private const int SIfBlk = 0x6000;
    private const int SIfDir = 0x4000;
    private const int SIfChr = 0x2000;
    private const int SIfIfo = 0x1000;

    /// <summary>sizeof(struct statx), and the offsets of the fields read (in the machine's byte order).</summary>
    private const int StatxSize = 256;
    private const int StxUid = 20;
    private const int StxGid = 24;
    private const int StxMode = 28;
    private const int StxIno = 32;
    private const int StxDevMajor = 136;
    private const int StxDevMinor = 140;

    [DllImport(Libc, EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int directoryFd, ref readonly byte path, int flags, uint mask, ref byte statx);

    [DllImport(Libc, EntryPoint = "lchown", SetLastError = true)]
    private static extern int LChown(ref readonly byte path, uint owner, uint group);

    /// <summary>Returns 0 or an error number (ERANGE: the buffer is too small); <paramref name="result"/> is null when no group has the name.</summary>
    [DllImport(Libc, EntryPoint = "getgrnam_r")]
    private static extern int GetGrNamR(ref readonly byte name, ref byte group, ref byte buffer, nuint length, out nint result);
}
