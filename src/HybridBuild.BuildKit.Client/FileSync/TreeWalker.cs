namespace HybridBuild.BuildKit.Client.FileSync;

/// <summary>One entry the sender lists: its STAT and, for a regular file, where to read it.</summary>
internal sealed record WalkEntry(Stat Stat, string FullPath)
{
    public bool IsRegularFile => GoFileMode.IsRegular(Stat.Mode);
}

/// <summary>
/// The sender's listing: depth-first pre-order with lstat (links are never followed), each directory's entries in
/// UTF-8 byte order, the root itself not listed. Sockets, FIFOs and devices are skipped: the daemon has no use for
/// them in a build context and opening a FIFO would block.
/// </summary>
internal static class TreeWalker
{
    private static readonly EnumerationOptions AllEntries = new()
    {
        AttributesToSkip = 0, // the default skips "hidden" files, which on Unix means every dotfile
        IgnoreInaccessible = false,
        RecurseSubdirectories = false,
        ReturnSpecialDirectories = false,
    };

    public static IEnumerable<WalkEntry> Walk(string root, EntryFilter filter) => WalkDirectory(root, "", filter, []);

    // `deferred` holds directories not sent yet because only a descendant may justify them; they are flushed, in
    // order, right before the first descendant that is sent.
    private static IEnumerable<WalkEntry> WalkDirectory(string directory, string relative, EntryFilter filter, List<WalkEntry> deferred)
    {
        var names = Directory.EnumerateFileSystemEntries(directory, "*", AllEntries).Select(Path.GetFileName).OfType<string>().ToList();
        names.Sort(Utf8Order.Instance);
        foreach (var name in names)
        {
            var full = Path.Join(directory, name);
            if (!PosixFile.TryLstat(full, out var stat)) continue; // removed while we walk
            if (!(stat.IsRegular || stat.IsDirectory || stat.IsSymlink)) continue;

            var path = PathText.Join(relative, name);
            var decision = filter.Decide(path, stat.IsDirectory);
            if (decision == FilterDecision.Skip) continue;

            var entry = new WalkEntry(ToStat(path, full, stat), full);
            if (decision == FilterDecision.Send)
            {
                foreach (var parent in deferred) yield return parent;
                deferred.Clear();
                yield return entry;
                if (!stat.IsDirectory) continue;
            }
            else
            {
                deferred.Add(entry);
            }

            foreach (var child in WalkDirectory(full, path, filter, deferred)) yield return child;
            if (deferred.Count > 0 && ReferenceEquals(deferred[^1], entry)) deferred.RemoveAt(deferred.Count - 1);
        }
    }

    private static Stat ToStat(string path, string full, PosixStat stat) => new()
    {
        Path = path,
        Mode = GoFileMode.FromUnix(stat.Mode),
        Uid = 0,
        Gid = 0,
        // lstat's size of a link is the length of its target; a directory's size means nothing to the daemon.
        Size = stat.IsDirectory ? 0 : stat.Size,
        ModTime = stat.ModTimeNanoseconds,
        Linkname = stat.IsSymlink ? new FileInfo(full).LinkTarget ?? "" : "",
    };
}
