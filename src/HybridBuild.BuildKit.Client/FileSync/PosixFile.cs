using System.Runtime.InteropServices;

namespace HybridBuild.BuildKit.Client.FileSync;

/// <summary>What <c>lstat</c> says about a path: never follows a link.</summary>
internal readonly record struct PosixStat(uint Mode, long Size, long ModTimeNanoseconds)
{
    public uint Type => Mode & GoFileMode.UnixTypeMask;
    public bool IsDirectory => Type == GoFileMode.UnixDirectory;
    public bool IsRegular => Type == GoFileMode.UnixRegular;
    public bool IsSymlink => Type == GoFileMode.UnixSymlink;
}

/// <summary>
/// The few libc calls .NET does not offer: lstat with nanosecond mtime (the daemon's differ compares it, so a
/// rounded value can make it reuse stale content), mkdir/link that never follow links, and utimensat on the
/// link itself. Kept private to FileSync so the client does not depend on HybridBuild.Core.
/// </summary>
internal static partial class PosixFile
{
    private const int AtFdCwd = -100, AtSymlinkNoFollow = 0x100, ENOENT = 2, ENOTDIR = 20;
    private const long UtimeOmit = (1L << 30) - 2;

    // Offsets in the kernel's struct stat; st_size and st_mtim sit at the same place on both 64-bit layouts.
    private const int SizeOffset = 48, ModTimeOffset = 88;

    private static int ModeOffset => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 24,
        Architecture.Arm64 or Architecture.LoongArch64 or Architecture.RiscV64 => 16,
        var other => throw new PlatformNotSupportedException($"lstat's layout on {other} is not known to this client."),
    };

    /// <summary>False when the path does not exist (or a parent is not a directory).</summary>
    public static bool TryLstat(string path, out PosixStat stat)
    {
        var buffer = new byte[256]; // larger than struct stat on every Linux architecture
        if (lstat(path, buffer) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno is ENOENT or ENOTDIR)
            {
                stat = default;
                return false;
            }
            throw Failure("lstat", path, errno);
        }
        var seconds = BitConverter.ToInt64(buffer, ModTimeOffset);
        var nanoseconds = BitConverter.ToInt64(buffer, ModTimeOffset + 8);
        stat = new PosixStat(BitConverter.ToUInt32(buffer, ModeOffset), BitConverter.ToInt64(buffer, SizeOffset),
            seconds * 1_000_000_000 + nanoseconds);
        return true;
    }

    /// <summary>Creates a directory; fails if anything (a link included) is already there.</summary>
    public static void CreateDirectory(string path, uint mode)
    {
        if (mkdir(path, mode) != 0) throw Failure("mkdir", path, Marshal.GetLastPInvokeError());
    }

    /// <summary>A hard link; <c>link(2)</c> follows neither path.</summary>
    public static bool TryLink(string existing, string newPath) => link(existing, newPath) == 0;

    /// <summary>Sets the mtime of the path itself (a link is not followed), leaving atime alone.</summary>
    public static void SetModTime(string path, long nanoseconds)
    {
        var times = new[] { 0L, UtimeOmit, Math.DivRem(nanoseconds, 1_000_000_000, out var rest), rest };
        if (rest < 0)
        {
            times[2] -= 1;
            times[3] = rest + 1_000_000_000;
        }
        if (utimensat(AtFdCwd, path, times, AtSymlinkNoFollow) != 0) throw Failure("utimensat", path, Marshal.GetLastPInvokeError());
    }

    private static IOException Failure(string call, string path, int errno) =>
        new($"{call} failed for {path}: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");

    [LibraryImport("libc", EntryPoint = "lstat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int lstat(string path, [Out] byte[] buffer);

    [LibraryImport("libc", EntryPoint = "mkdir", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int mkdir(string path, uint mode);

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int link(string existing, string newPath);

    // struct timespec[2] is four longs on 64-bit Linux: atime {sec, nsec}, mtime {sec, nsec}.
    [LibraryImport("libc", EntryPoint = "utimensat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int utimensat(int directory, string path, [In] long[] times, int flags);
}
