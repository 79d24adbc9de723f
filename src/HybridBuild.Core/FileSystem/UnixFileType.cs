using System.Runtime.InteropServices;

namespace HybridBuild.Core.FileSystem;

public enum FileKind { Missing, Regular, Directory, SymbolicLink, Other }

/// <summary>
/// The kind of a path without following links (lstat). .NET reports FIFOs, sockets and devices as ordinary
/// files, and opening a FIFO blocks: code that walks what a build produced must tell them apart.
/// </summary>
public static partial class UnixFileType
{
    private const int S_IFMT = 0xF000, S_IFREG = 0x8000, S_IFDIR = 0x4000, S_IFLNK = 0xA000;

    public static FileKind Of(string path)
    {
        var buffer = new byte[256]; // larger than struct stat on every Linux architecture
        if (lstat(path, buffer) != 0) return FileKind.Missing;
        var mode = BitConverter.ToUInt32(buffer, ModeOffset);
        return (mode & S_IFMT) switch
        {
            S_IFREG => FileKind.Regular,
            S_IFDIR => FileKind.Directory,
            S_IFLNK => FileKind.SymbolicLink,
            _ => FileKind.Other,
        };
    }

    // st_mode follows st_dev, st_ino (and st_nlink on x86-64) in the kernel's struct stat
    private static int ModeOffset => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 24,
        Architecture.Arm64 or Architecture.LoongArch64 or Architecture.RiscV64 => 16,
        var other => throw new PlatformNotSupportedException($"lstat's layout on {other} is not known to this service."),
    };

    [LibraryImport("libc", EntryPoint = "lstat", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int lstat(string path, [Out] byte[] buffer);

    /// <summary>
    /// Creates the folders on the way to <paramref name="relative"/> under <paramref name="root"/> and returns the full path,
    /// never going through a symbolic link: when one is on the way (or is the file itself, with <paramref name="includeLast"/>),
    /// nothing is created and <paramref name="link"/> names it.
    /// </summary>
    public static string? PrepareFile(string root, string relative, bool includeLast, out string? link)
    {
        var path = Path.GetFullPath(root);
        var segments = relative.Split('/', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < segments.Length; i++)
        {
            path = Path.Combine(path, segments[i]);
            var last = i == segments.Length - 1;
            if ((!last || includeLast) && Of(path) == FileKind.SymbolicLink)
            {
                link = string.Join('/', segments[..(i + 1)]);
                return null;
            }
            if (!last && !Directory.Exists(path)) Directory.CreateDirectory(path);
        }
        link = null;
        return path;
    }

    /// <summary>Every regular file under <paramref name="root"/> (relative paths, '/'-separated, sorted); links and special files are reported, never followed or opened.</summary>
    public static (List<string> Files, List<(string Path, FileKind Kind)> Skipped) Walk(string root, int maxEntries)
    {
        var files = new List<string>();
        var skipped = new List<(string, FileKind)>();
        var pending = new Stack<string>();
        pending.Push("");
        var count = 0;
        while (pending.Count > 0)
        {
            var folder = pending.Pop();
            foreach (var full in Directory.EnumerateFileSystemEntries(Path.Combine(root, folder)))
            {
                if (++count > maxEntries)
                    throw new InvalidOperationException($"{root} holds more than {maxEntries} entries");
                var relative = folder.Length == 0 ? Path.GetFileName(full) : $"{folder}/{Path.GetFileName(full)}";
                switch (Of(full))
                {
                    case FileKind.Regular: files.Add(relative); break;
                    case FileKind.Directory: pending.Push(relative); break;
                    case var kind: skipped.Add((relative, kind)); break;
                }
            }
        }
        files.Sort(StringComparer.Ordinal);
        return (files, skipped);
    }
}
