namespace HybridBuild.BuildKit.Client.FileSync;

/// <summary>
/// Conversions between Unix <c>st_mode</c> and Go's <c>io/fs.FileMode</c>, which is what fsutil puts on the wire.
/// The two disagree on every bit above the permissions (Go moves setuid/setgid/sticky and the file type to high
/// bits), so a value is never cast from one to the other.
/// </summary>
internal static class GoFileMode
{
    public const uint Dir = 1u << 31;
    public const uint Symlink = 1u << 27;
    public const uint Device = 1u << 26;
    public const uint NamedPipe = 1u << 25;
    public const uint Socket = 1u << 24;
    public const uint Setuid = 1u << 23;
    public const uint Setgid = 1u << 22;
    public const uint CharDevice = 1u << 21;
    public const uint Sticky = 1u << 20;
    public const uint Irregular = 1u << 19;
    public const uint TypeMask = Dir | Symlink | NamedPipe | Socket | Device | CharDevice | Irregular; // 0x8F280000
    public const uint PermissionMask = 0x1FF;

    // Unix st_mode values (octal in the C headers).
    public const uint UnixTypeMask = 0xF000, UnixRegular = 0x8000, UnixDirectory = 0x4000, UnixSymlink = 0xA000;
    public const uint UnixBlockDevice = 0x6000, UnixCharDevice = 0x2000, UnixFifo = 0x1000, UnixSocket = 0xC000;
    private const uint UnixSetuid = 0x800, UnixSetgid = 0x400, UnixSticky = 0x200;

    public static uint FromUnix(uint stMode)
    {
        var mode = stMode & PermissionMask;
        mode |= (stMode & UnixTypeMask) switch
        {
            UnixDirectory => Dir,
            UnixSymlink => Symlink,
            UnixBlockDevice => Device,
            UnixCharDevice => Device | CharDevice,
            UnixFifo => NamedPipe,
            UnixSocket => Socket,
            _ => 0u,
        };
        if ((stMode & UnixSetuid) != 0) mode |= Setuid;
        if ((stMode & UnixSetgid) != 0) mode |= Setgid;
        if ((stMode & UnixSticky) != 0) mode |= Sticky;
        return mode;
    }

    public static uint ToUnix(uint goMode)
    {
        var type = (goMode & TypeMask) switch
        {
            Dir => UnixDirectory,
            Symlink => UnixSymlink,
            Device => UnixBlockDevice,
            Device | CharDevice => UnixCharDevice,
            NamedPipe => UnixFifo,
            Socket => UnixSocket,
            _ => UnixRegular,
        };
        return type | ToUnixPermissions(goMode);
    }

    /// <summary>The permission and setuid/setgid/sticky bits as .NET's <see cref="UnixFileMode"/> (POSIX values).</summary>
    public static UnixFileMode ToUnixFileMode(uint goMode) => (UnixFileMode)ToUnixPermissions(goMode);

    public static bool IsRegular(uint goMode) => (goMode & TypeMask) == 0;

    private static uint ToUnixPermissions(uint goMode)
    {
        var mode = goMode & PermissionMask;
        if ((goMode & Setuid) != 0) mode |= UnixSetuid;
        if ((goMode & Setgid) != 0) mode |= UnixSetgid;
        if ((goMode & Sticky) != 0) mode |= UnixSticky;
        return mode;
    }
}
