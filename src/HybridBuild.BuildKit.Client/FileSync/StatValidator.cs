namespace HybridBuild.BuildKit.Client.FileSync;

internal enum EntryKind { File, HardLink, Directory, Symlink, Special }

/// <summary>A STAT the receiver accepted. <see cref="LinkTarget"/> is the symlink target or the hardlinked path.</summary>
internal sealed record ReceivedEntry(uint Id, string Path, EntryKind Kind, uint Mode, long Size, long ModTime, string LinkTarget);

/// <summary>
/// Checks each STAT against the ones before it, as fsutil's receiver does, before anything touches the disk:
/// clean relative paths in walk order, under a directory already received, one file type, link names only where
/// they mean something, hardlinks only to files already listed; plus the caller's limits.
/// </summary>
internal sealed class StatValidator(ReceiveBudget budget)
{
    private readonly HashSet<string> _directories = new(StringComparer.Ordinal) { "" };
    private readonly Dictionary<string, string> _files = new(StringComparer.Ordinal); // path -> path holding the content
    private string? _previous;

    public uint Count { get; private set; }

    public ReceivedEntry Accept(Stat stat)
    {
        var path = stat.Path;
        CheckPath(path, "path");
        budget.TakeEntry();
        if (_previous is not null && Utf8Order.ComparePaths(path, _previous) <= 0)
            throw Refuse($"Entry \"{path}\" arrived after \"{_previous}\": entries out of order or repeated.");
        var parent = PathText.Parent(path);
        if (!_directories.Contains(parent))
            throw Refuse($"Entry \"{path}\" is not under a directory received before it (\"{parent}\" is not a listed directory).");
        if (stat.Size < 0) throw Refuse($"Entry \"{path}\" has a negative size.");

        var kind = KindOf(stat);
        var link = stat.Linkname;
        if (link.Length > 0 && kind is not (EntryKind.File or EntryKind.Symlink))
            throw Refuse($"Entry \"{path}\" is a {kind} but carries a link name.");
        if (link.Contains('\0')) throw Refuse($"Entry \"{path}\" has a NUL character in its link name.");
        if (kind == EntryKind.Symlink && link.Length == 0) throw Refuse($"Symlink \"{path}\" has no target.");
        if (kind == EntryKind.File && link.Length > 0)
        {
            CheckPath(link, "hardlink target");
            if (!_files.TryGetValue(link, out var source))
                throw Refuse($"Hardlink \"{path}\" points to \"{link}\", which is not a regular file received before it.");
            kind = EntryKind.HardLink;
            link = source;
        }

        if (kind == EntryKind.File) budget.TakeDeclaredBytes(stat.Size);
        if (kind is EntryKind.File or EntryKind.HardLink) _files[path] = kind == EntryKind.File ? path : link;
        if (kind == EntryKind.Directory) _directories.Add(path);
        _previous = path;
        return new ReceivedEntry(Count++, path, kind, stat.Mode, stat.Size, stat.ModTime, link);
    }

    private static EntryKind KindOf(Stat stat) => (stat.Mode & GoFileMode.TypeMask) switch
    {
        0 => EntryKind.File,
        GoFileMode.Dir => EntryKind.Directory,
        GoFileMode.Symlink => EntryKind.Symlink,
        GoFileMode.Device or (GoFileMode.Device | GoFileMode.CharDevice) or GoFileMode.NamedPipe or GoFileMode.Socket => EntryKind.Special,
        var bits => throw Refuse($"Entry \"{stat.Path}\" has an invalid file type (mode bits 0x{bits:X8}): exactly one type is allowed."),
    };

    private static void CheckPath(string path, string what)
    {
        if (path.Length == 0) throw Refuse($"An entry has an empty {what}.");
        if (path.Contains('\0')) throw Refuse($"The {what} \"{path.Replace("\0", "\\0")}\" contains a NUL character.");
        if (path[0] == '/') throw Refuse($"The {what} \"{path}\" is absolute.");
        foreach (var segment in path.Split('/'))
        {
            if (segment == "..") throw Refuse($"The {what} \"{path}\" climbs out with \"..\".");
            if (segment.Length == 0 || segment == ".") throw Refuse($"The {what} \"{path}\" is not a clean relative path.");
        }
    }

    private static FileTransferException Refuse(string message) => new(message);
}
