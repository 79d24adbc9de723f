namespace HybridBuild.BuildKit.Client.Session.Services;

/// <summary>
/// Staging for directory exports: a fresh directory beside the destination per stream, merged into the destination
/// when the stream is complete. Merges into one destination are serialised; the destination's own entries are never
/// followed through links (a link in the way is replaced, not written through).
/// </summary>
internal static class ExportStaging
{
    public static string Create(string destination)
    {
        var full = Path.GetFullPath(destination);
        Directory.CreateDirectory(full);
        var staging = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.partial");
        Directory.CreateDirectory(staging);
        return staging;
    }

    public static void MergeInto(string staging, SessionExport.Directory target)
    {
        lock (target)
        {
            Merge(staging, Path.GetFullPath(target.Path));
        }
    }

    public static void Remove(string staging)
    {
        try
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void Merge(string from, string into)
    {
        foreach (var entry in new DirectoryInfo(from).EnumerateFileSystemInfos())
        {
            var destination = Path.Combine(into, entry.Name);
            var existing = Existing(destination);
            if (existing is null)
            {
                Move(entry, destination);
            }
            else if (IsRealDirectory(entry) && IsRealDirectory(existing))
            {
                // Moving the children out changes the staged directory's mtime: take the exported one first.
                PosixFile.TryLstat(entry.FullName, out var staged);
                Merge(entry.FullName, destination);
                PosixFile.SetModTime(destination, staged.ModTimeNanoseconds);
            }
            else
            {
                // the later platform wins, as with BuildKit's own merge of platform-split=false exports
                if (IsRealDirectory(existing)) Directory.Delete(destination, recursive: true);
                else File.Delete(destination);
                Move(entry, destination);
            }
        }
    }

    private static FileSystemInfo? Existing(string path)
    {
        var info = new FileInfo(path);
        if (info.Exists || info.LinkTarget is not null) return info;
        var directory = new DirectoryInfo(path);
        return directory.Exists ? directory : null;
    }

    private static bool IsRealDirectory(FileSystemInfo info) =>
        info.LinkTarget is null && info.Attributes.HasFlag(FileAttributes.Directory);

    private static void Move(FileSystemInfo entry, string destination)
    {
        if (entry.LinkTarget is { } target)
        {
            // File.Move looks through a link to a directory; a link is recreated instead, never followed
            File.CreateSymbolicLink(destination, target);
            File.Delete(entry.FullName);
        }
        else if (IsRealDirectory(entry)) Directory.Move(entry.FullName, destination);
        else File.Move(entry.FullName, destination);
    }
}
