namespace HybridBuild.BuildKit.Client.FileSync;

/// <summary>
/// The receiver's side of the disk. .NET has no openat/O_NOFOLLOW, so safety comes from ownership: the tree is
/// written into a directory that was empty (or made here), every entry is created with calls that fail rather than
/// follow an existing link, and only below directories this transfer created (checked again with lstat).
/// </summary>
internal sealed class DestinationTree : IReceiveTarget
{
    private readonly string _root;
    private readonly HashSet<string> _created = new(StringComparer.Ordinal) { "" };

    private DestinationTree(string root) => _root = root;

    public static DestinationTree Prepare(string destination)
    {
        var root = Path.GetFullPath(destination);
        if (!PosixFile.TryLstat(root, out var stat))
        {
            Directory.CreateDirectory(root);
        }
        else if (!stat.IsDirectory)
        {
            throw new FileTransferException($"The export destination {root} exists and is not a directory.");
        }
        else if (Directory.EnumerateFileSystemEntries(root).Any())
        {
            throw new FileTransferException($"The export destination {root} is not empty; exports are only written into empty directories.");
        }
        return new DestinationTree(root);
    }

    public void CreateDirectory(string path)
    {
        var full = FullPathUnderOwnedParent(path);
        PosixFile.CreateDirectory(full, 0x1C0); // 0700 while we fill it; its real mode is applied at the end
        _created.Add(path);
    }

    public void CreateSymlink(string path, string target) => File.CreateSymbolicLink(FullPathUnderOwnedParent(path), target);

    /// <summary>A new file (O_EXCL: an existing entry, a link included, makes it fail).</summary>
    public FileStream CreateFile(string path) => new(FullPathUnderOwnedParent(path), new FileStreamOptions
    {
        Mode = FileMode.CreateNew,
        Access = FileAccess.Write,
        Share = FileShare.None,
        // exports arrive in 32 KiB chunks: a large buffer and plain writes to the page cache beat an async
        // (thread-pool) write per chunk
        BufferSize = 1 << 20,
        UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
    });

    public ValueTask<Stream> CreateFileAsync(ReceivedEntry entry, CancellationToken ct) => ValueTask.FromResult<Stream>(CreateFile(entry.Path));

    /// <summary>Permissions after the content, then mtime after closing (closing would not change it, but flushing would).</summary>
    public async ValueTask CompleteFileAsync(Stream stream, ReceivedEntry entry, CancellationToken ct)
    {
        var file = (FileStream)stream;
        await file.FlushAsync(ct).ConfigureAwait(false);
        File.SetUnixFileMode(file.SafeFileHandle, SafeMode(entry.Mode));
        var path = file.Name;
        await file.DisposeAsync().ConfigureAwait(false);
        PosixFile.SetModTime(path, entry.ModTime);
    }

    /// <summary>link(2) when possible, a copy otherwise; the source is a file this transfer wrote.</summary>
    public async Task CreateHardLinkAsync(ReceivedEntry entry, ReceivedEntry source, CancellationToken ct)
    {
        var full = FullPathUnderOwnedParent(entry.Path);
        var sourceFull = Path.Join(_root, source.Path);
        if (PosixFile.TryLink(sourceFull, full)) return;
        await using (var input = new FileStream(sourceFull, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous))
        await using (var output = CreateFile(entry.Path))
        {
            await input.CopyToAsync(output, ct).ConfigureAwait(false);
            File.SetUnixFileMode(output.SafeFileHandle, SafeMode(source.Mode));
        }
        PosixFile.SetModTime(full, source.ModTime);
    }

    /// <summary>Run once every entry exists: creating a child changes its parent's mtime, and a read-only mode would stop it.</summary>
    public void CompleteDirectory(ReceivedEntry entry)
    {
        var full = Path.Join(_root, entry.Path);
        if (!_created.Contains(entry.Path) || !PosixFile.TryLstat(full, out var stat) || !stat.IsDirectory)
            throw new FileTransferException($"The directory {entry.Path} changed under the export.");
        File.SetUnixFileMode(full, SafeMode(entry.Mode));
        PosixFile.SetModTime(full, entry.ModTime);
    }

    // The export runs as the service's user: setuid/setgid bits from a build have no business on its files.
    internal static UnixFileMode SafeMode(uint goMode) =>
        GoFileMode.ToUnixFileMode(goMode) & ~(UnixFileMode.SetUser | UnixFileMode.SetGroup);

    private string FullPathUnderOwnedParent(string path)
    {
        var parent = PathText.Parent(path);
        var parentFull = parent.Length == 0 ? _root : Path.Join(_root, parent);
        if (!_created.Contains(parent) || !PosixFile.TryLstat(parentFull, out var stat) || !stat.IsDirectory)
            throw new FileTransferException($"Refusing to write {path}: its parent is not a directory this export created.");
        return Path.Join(_root, path);
    }
}
