using System.Runtime.InteropServices;

namespace S2SEndpoint.Gateway.Tun;

/// <summary>
/// A Linux file descriptor that is closed once: on <see cref="SafeHandle.Dispose()"/>, or later, when the last
/// call that holds a reference (<see cref="SafeHandle.DangerousAddRef"/>) returns. A read on another thread
/// therefore never uses a number the kernel has already handed to someone else.
/// </summary>
internal sealed class FileDescriptor : SafeHandle
{
    public FileDescriptor(int fd)
        : base(invalidHandleValue: -1, ownsHandle: true) => SetHandle(fd);

    public override bool IsInvalid => handle < 0;

    /// <summary>The number, for calls made while a reference is held.</summary>
    public int Fd => (int)handle;

    protected override bool ReleaseHandle() => Libc.Close((int)handle) == 0;
}
