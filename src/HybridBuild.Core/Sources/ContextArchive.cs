using System.IO.Compression;
using HybridBuild.Core.FileSystem;

namespace HybridBuild.Core.Sources;

/// <summary>
/// Reads an uploaded build context (tar, optionally gzip-compressed) and extracts it safely:
/// no absolute paths, no '..', no links leaving the context, nothing written through a link,
/// no devices or FIFOs, names Linux can create, and bounded in entries and bytes.
/// Errors name the entry (as the archive spells it), never a path on this server.
/// </summary>
public static class ContextArchive
{
    /// <summary>True when the stream starts with the gzip magic; the stream is rewound.</summary>
    public static bool IsGzip(Stream seekable)
    {
        Span<byte> magic = stackalloc byte[2];
        var read = seekable.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        seekable.Position = 0;
        return read == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    }

    /// <summary>
    /// Walks every entry and applies the same checks as extraction, writing nothing. Returns the paths (normalised:
    /// no '.', no empty segments, no trailing '/') of the regular files, hard links included as they extract as
    /// copies; folders, symbolic links and the folders that paths imply are not in it, so a Dockerfile that is
    /// any of those is not found.
    /// </summary>
    public static Task<IReadOnlySet<string>> ValidateAsync(Stream archive, bool gzip, ContextLimits limits, CancellationToken cancellationToken) =>
        ProcessAsync(archive, gzip, root: null, limits, cancellationToken);

    public static async Task ExtractAsync(Stream archive, bool gzip, string destination, ContextLimits limits, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(destination);
        await ProcessAsync(archive, gzip, Path.GetFullPath(destination), limits, cancellationToken);
    }

    private static async Task<IReadOnlySet<string>> ProcessAsync(Stream archive, bool gzip, string? root, ContextLimits limits, CancellationToken ct)
    {
        await using var decompressed = gzip ? new GZipStream(archive, CompressionMode.Decompress, leaveOpen: true) : null;
        // headers and padding come on top of the files' bytes; metadata entries are bounded one by one
        var guard = new TarMetadataGuard(decompressed ?? archive, limits.MaxExtractedBytes + (long)limits.MaxEntries * 4096);
        await using var reader = new TarReader(guard, leaveOpen: true);
        var entries = 0;
        long bytes = 0;
        var tree = new ContextTree(limits.MaxEntries);
        var files = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            TarEntry? entry;
            try
            {
                entry = await reader.GetNextEntryAsync(copyData: false, ct);
            }
            catch (EndOfStreamException) when (entries == 0 && guard.Position == 0)
            {
                throw new InvalidContextException("The context archive is empty.");
            }
            catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException or ArgumentException
                or OverflowException or NotSupportedException or InvalidOperationException)
            {
                throw new InvalidContextException($"The context could not be read as a {(gzip ? "gzip-compressed " : "")}tar archive: {e.Message}");
            }
            if (entry is null) break;
            if (++entries > limits.MaxEntries)
                throw new PayloadTooLargeException($"The context has more than {limits.MaxEntries} entries.");
            // first, in one pass over each name: everything after this looks at every segment
            EntryNames.Check(entry, limits.MaxPathDepth);
            var name = EntryNames.Normalize(entry.Name);
            if (name.Length == 0)
            {
                if (entry.EntryType != TarEntryType.Directory)
                    throw new InvalidContextException($"Entry '{EntryNames.Show(entry.Name)}' names the context root but is a {entry.EntryType}.");
                continue; // the archive root itself ("./")
            }
            if (entry.EntryType == TarEntryType.GlobalExtendedAttributes)
                continue; // 'git archive' writes one first; it describes the archive, not a file
            var linked = entry.EntryType == TarEntryType.HardLink ? EntryNames.Normalize(entry.LinkName) : null;
            // a hard link is extracted as a copy of its target, so it costs the target's size again
            bytes += linked is null ? entry.Length : tree.Find(linked)?.Size ?? 0;
            if (bytes > limits.MaxExtractedBytes)
                throw new PayloadTooLargeException($"The context extracts to more than {limits.MaxExtractedBytes} bytes.");
            try
            {
                if (await HandleAsync(entry, name, linked, tree, root, ct)) files.Add(name);
            }
            catch (PathTooLongException)
            {
                // the message would carry the server's path: the entry is what the client can act on
                throw new InvalidContextException($"Entry '{EntryNames.Show(name)}' is too long a path to extract together with the folder the context is extracted into.");
            }
        }
        if (entries == 0) throw new InvalidContextException("The context archive is empty.");
        return files;
    }

    /// <summary>Checks and (with a root) writes one entry; true when it is a regular file.</summary>
    private static async Task<bool> HandleAsync(TarEntry entry, string name, string? linked, ContextTree tree, string? root, CancellationToken ct)
    {
        var type = entry.EntryType;
        var parent = tree.Root;
        var lastSlash = name.LastIndexOf('/');
        foreach (var segment in new PathPieces(lastSlash < 0 ? "" : name[..lastSlash]))
        {
            var folder = tree.GetOrAdd(parent, segment);
            if (folder.Kind == TarEntryType.SymbolicLink)
                throw new InvalidContextException($"Entry '{EntryNames.Show(name)}' would be written through the symbolic link '{EntryNames.Show(folder.Path)}'.");
            if (IsFile(folder.Kind))
                throw new InvalidContextException($"Entry '{EntryNames.Show(name)}' is inside '{EntryNames.Show(folder.Path)}', which is a file.");
            // folders implied by a path exist too: a later entry must not turn one into a file or a link
            folder.Kind ??= TarEntryType.Directory;
            parent = folder;
        }
        // an entry may repeat (a later file replaces an earlier one) but not change kind, so what validation
        // accepts is exactly what extraction can write
        var leaf = name.AsSpan(lastSlash + 1);
        var existing = ContextTree.Find(parent, leaf);
        if (existing?.Kind == TarEntryType.SymbolicLink)
            throw new InvalidContextException($"Entry '{EntryNames.Show(name)}' appears again after a symbolic link of the same name.");
        if (existing?.Kind is { } before && before != type && !(IsFile(before) && IsFile(type)))
            throw new InvalidContextException($"Entry '{EntryNames.Show(name)}' appears twice, as a {before} and as a {type}.");

        switch (type)
        {
            case TarEntryType.Directory:
                tree.GetOrAdd(parent, leaf).Kind = type;
                if (root is not null) Directory.CreateDirectory(Target(root, name));
                return false;
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                var file = tree.GetOrAdd(parent, leaf);
                (file.Kind, file.Size) = (type, entry.Length);
                if (root is not null) await WriteFileAsync(entry, name, Target(root, name), ct);
                return true;
            case TarEntryType.SymbolicLink:
                if (existing?.TraversedBy is { } earlier)
                    throw new InvalidContextException($"Symbolic link '{EntryNames.Show(name)}' would redirect the earlier link '{EntryNames.Show(earlier)}', whose target passes through it.");
                CheckLinkStaysInside(name, parent, entry.LinkName, tree);
                tree.GetOrAdd(parent, leaf).Kind = type;
                if (root is not null)
                {
                    var path = Target(root, name);
                    RemoveExisting(path, name);
                    File.CreateSymbolicLink(path, entry.LinkName);
                }
                return false;
            case TarEntryType.HardLink:
                if (linked!.Length == 0) throw new InvalidContextException($"Hard link '{EntryNames.Show(name)}' points at the context root.");
                if (linked == name) throw new InvalidContextException($"Hard link '{EntryNames.Show(name)}' points at itself.");
                var target = tree.Find(linked);
                if (target?.Kind is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile))
                    throw new InvalidContextException($"Hard link '{EntryNames.Show(name)}' points at '{EntryNames.Show(entry.LinkName)}', which is not an earlier file of the context.");
                var copy = tree.GetOrAdd(parent, leaf);
                (copy.Kind, copy.Size) = (TarEntryType.RegularFile, target.Size);
                if (root is not null)
                {
                    var path = Target(root, name);
                    RemoveExisting(path, name);
                    File.Copy(Target(root, linked), path);
                }
                return true;
            default:
                throw new InvalidContextException($"Entry '{EntryNames.Show(name)}' is a {type}; only files, directories and links are allowed in a context.");
        }
    }

    private static bool IsFile(TarEntryType? type) =>
        type is TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile or TarEntryType.HardLink;

    /// <summary>
    /// Resolves the target from the link's folder, segment by segment: it must never climb above the root,
    /// and must not pass through another link (whose own target would make the lexical path a lie).
    /// </summary>
    private static void CheckLinkStaysInside(string name, ContextNode folder, string linkTarget, ContextTree tree)
    {
        if (string.IsNullOrEmpty(linkTarget) || linkTarget.StartsWith('/'))
            throw new InvalidContextException($"Symbolic link '{EntryNames.Show(name)}' points at '{EntryNames.Show(linkTarget)}', outside the context.");
        // the last segment is only named, not gone through; a '..' is gone up through even when last
        var at = folder;
        ReadOnlySpan<char> pending = default;
        var any = false;
        foreach (var segment in new PathPieces(linkTarget))
        {
            if (any) at = Step(at, pending, last: false);
            pending = segment;
            any = true;
        }
        if (any) Step(at, pending, last: true);

        ContextNode Step(ContextNode at, ReadOnlySpan<char> segment, bool last)
        {
            if (segment is "..")
                return at.Parent
                    ?? throw new InvalidContextException($"Symbolic link '{EntryNames.Show(name)}' points at '{EntryNames.Show(linkTarget)}', outside the context.");
            if (last) return at;
            var next = tree.GetOrAdd(at, segment);
            if (next.Kind == TarEntryType.SymbolicLink)
                throw new InvalidContextException($"Symbolic link '{EntryNames.Show(name)}' points at '{EntryNames.Show(linkTarget)}' through another link.");
            next.TraversedBy ??= name; // a link created here later would change where this one leads
            return next;
        }
    }

    /// <summary>The full path for an entry, after making sure no folder on the way is a link (nothing is written through links).</summary>
    private static string Target(string root, string name) =>
        UnixFileType.PrepareFile(root, name, includeLast: false, out var link)
        ?? throw new InvalidContextException($"Entry '{EntryNames.Show(name)}' would be written through the symbolic link '{EntryNames.Show(link!)}'.");

    private static void RemoveExisting(string path, string name)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null || info.Exists) info.Delete();
        else if (Directory.Exists(path))
            throw new InvalidContextException($"Entry '{EntryNames.Show(name)}' replaces a directory.");
    }

    private static async Task WriteFileAsync(TarEntry entry, string name, string path, CancellationToken ct)
    {
        RemoveExisting(path, name);
        await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
        {
            if (entry.DataStream is not null) await entry.DataStream.CopyToAsync(file, ct);
        }
        File.SetUnixFileMode(path, entry.Mode & (UnixFileMode)0x1FF | UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.SetLastWriteTimeUtc(path, entry.ModificationTime.UtcDateTime);
    }
}
