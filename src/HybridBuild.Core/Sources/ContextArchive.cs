using System.Formats.Tar;
using System.IO.Compression;
using HybridBuild.Core.Errors;
using HybridBuild.Core.FileSystem;

namespace HybridBuild.Core.Sources;

/// <summary>
/// Reads an uploaded build context (tar, optionally gzip-compressed) and extracts it safely:
/// no absolute paths, no '..', no links leaving the context, nothing written through a link,
/// no devices or FIFOs, names Linux can create, and bounded in entries and bytes.
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
        var seen = new Dictionary<string, TarEntryType>(StringComparer.Ordinal);
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        var traversed = new Dictionary<string, string>(StringComparer.Ordinal);
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
            // first, in one pass over each name: everything after this looks at every folder on the way
            EntryNames.Check(entry, limits.MaxPathDepth);
            var name = Normalize(entry.Name);
            if (name is null)
            {
                if (entry.EntryType != TarEntryType.Directory)
                    throw new InvalidContextException($"Entry '{Printable(entry.Name)}' names the context root but is a {entry.EntryType}.");
                continue; // the archive root itself ("./")
            }
            // a hard link is extracted as a copy of its target, so it costs the target's size again
            bytes += entry.EntryType == TarEntryType.HardLink
                ? sizes.GetValueOrDefault(Normalize(entry.LinkName) ?? "")
                : entry.Length;
            if (bytes > limits.MaxExtractedBytes)
                throw new PayloadTooLargeException($"The context extracts to more than {limits.MaxExtractedBytes} bytes.");
            try
            {
                if (await HandleAsync(entry, name, root, seen, traversed, ct)) files.Add(name);
            }
            catch (PathTooLongException)
            {
                // the message would carry the server's path: the entry is what the client can act on
                throw new InvalidContextException($"Entry '{EntryNames.Show(name)}' is too long a path to extract together with the folder the context is extracted into.");
            }
            if (entry.EntryType != TarEntryType.HardLink) sizes[name] = entry.Length;
            else sizes[name] = sizes.GetValueOrDefault(Normalize(entry.LinkName) ?? "");
        }
        if (entries == 0) throw new InvalidContextException("The context archive is empty.");
        return files;
    }

    /// <summary>The entry's path relative to the context, or null for the root; refuses unsafe paths.</summary>
    private static string? Normalize(string entryName)
    {
        if (entryName.Contains('\0') || entryName.Contains('\\'))
            throw new InvalidContextException($"Entry '{Printable(entryName)}' has a NUL or backslash in its path.");
        if (entryName.StartsWith('/'))
            throw new InvalidContextException($"Entry '{Printable(entryName)}' has an absolute path.");
        var segments = entryName.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".").ToArray();
        if (segments.Contains(".."))
            throw new InvalidContextException($"Entry '{Printable(entryName)}' has a '..' segment and would land outside the context.");
        return segments.Length == 0 ? null : string.Join('/', segments);
    }

    /// <summary>Checks and (with a root) writes one entry; true when it is a regular file.</summary>
    private static async Task<bool> HandleAsync(TarEntry entry, string name, string? root, Dictionary<string, TarEntryType> seen,
        Dictionary<string, string> traversed, CancellationToken ct)
    {
        CheckNotThroughLink(name, seen);
        CheckSameKind(name, entry.EntryType, seen);
        // folders implied by a path exist too: a later entry must not turn one into a file or a link
        for (var slash = name.IndexOf('/'); slash > 0; slash = name.IndexOf('/', slash + 1))
            seen.TryAdd(name[..slash], TarEntryType.Directory);
        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
                seen[name] = entry.EntryType;
                if (root is not null) Directory.CreateDirectory(Target(root, name));
                return false;
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                seen[name] = entry.EntryType;
                if (root is not null) await WriteFileAsync(entry, name, Target(root, name), ct);
                return true;
            case TarEntryType.SymbolicLink:
                if (traversed.TryGetValue(name, out var earlier))
                    throw new InvalidContextException($"Symbolic link '{name}' would redirect the earlier link '{earlier}', whose target passes through it.");
                CheckLinkStaysInside(name, entry.LinkName, seen, traversed);
                seen[name] = entry.EntryType;
                if (root is not null)
                {
                    var path = Target(root, name);
                    RemoveExisting(path, name);
                    File.CreateSymbolicLink(path, entry.LinkName);
                }
                return false;
            case TarEntryType.HardLink:
                var linked = Normalize(entry.LinkName)
                    ?? throw new InvalidContextException($"Hard link '{name}' points at the context root.");
                if (linked == name) throw new InvalidContextException($"Hard link '{name}' points at itself.");
                if (!seen.TryGetValue(linked, out var linkedType) || linkedType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile))
                    throw new InvalidContextException($"Hard link '{name}' points at '{Printable(entry.LinkName)}', which is not an earlier file of the context.");
                seen[name] = TarEntryType.RegularFile;
                if (root is not null)
                {
                    var path = Target(root, name);
                    RemoveExisting(path, name);
                    File.Copy(Target(root, linked), path);
                }
                return true;
            case TarEntryType.GlobalExtendedAttributes:
                return false; // 'git archive' writes one first; it describes the archive, not a file
            default:
                throw new InvalidContextException($"Entry '{name}' is a {entry.EntryType}; only files, directories and links are allowed in a context.");
        }
    }

    private static void CheckNotThroughLink(string name, Dictionary<string, TarEntryType> seen)
    {
        if (seen.GetValueOrDefault(name, TarEntryType.Directory) == TarEntryType.SymbolicLink)
            throw new InvalidContextException($"Entry '{name}' appears again after a symbolic link of the same name.");
        for (var slash = name.IndexOf('/'); slash > 0; slash = name.IndexOf('/', slash + 1))
        {
            var folder = name[..slash];
            if (seen.GetValueOrDefault(folder, TarEntryType.Directory) == TarEntryType.SymbolicLink)
                throw new InvalidContextException($"Entry '{name}' would be written through the symbolic link '{folder}'.");
        }
    }

    /// <summary>
    /// Resolves the target from the link's folder, segment by segment: it must never climb above the root,
    /// and must not pass through another link (whose own target would make the lexical path a lie).
    /// </summary>
    /// <summary>
    /// An entry may repeat (a later file replaces an earlier one) but not change kind, and nothing may sit
    /// under a file: what validation accepts is then exactly what extraction can write.
    /// </summary>
    private static void CheckSameKind(string name, TarEntryType type, Dictionary<string, TarEntryType> seen)
    {
        static bool IsFile(TarEntryType t) => t is TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile or TarEntryType.HardLink;
        if (seen.TryGetValue(name, out var before) && before != type && !(IsFile(before) && IsFile(type)))
            throw new InvalidContextException($"Entry '{name}' appears twice, as a {before} and as a {type}.");
        for (var slash = name.IndexOf('/'); slash > 0; slash = name.IndexOf('/', slash + 1))
            if (seen.TryGetValue(name[..slash], out var parent) && IsFile(parent))
                throw new InvalidContextException($"Entry '{name}' is inside '{name[..slash]}', which is a file.");
    }

    private static void CheckLinkStaysInside(string name, string linkTarget, Dictionary<string, TarEntryType> seen, Dictionary<string, string> traversed)
    {
        if (string.IsNullOrEmpty(linkTarget) || linkTarget.StartsWith('/'))
            throw new InvalidContextException($"Symbolic link '{name}' points at '{Printable(linkTarget)}', outside the context.");
        var path = name.Split('/').SkipLast(1).ToList();
        var segments = linkTarget.Split('/', StringSplitOptions.RemoveEmptyEntries).Where(s => s != ".").ToArray();
        for (var i = 0; i < segments.Length; i++)
        {
            if (segments[i] == "..")
            {
                if (path.Count == 0)
                    throw new InvalidContextException($"Symbolic link '{name}' points at '{Printable(linkTarget)}', outside the context.");
                path.RemoveAt(path.Count - 1);
                continue;
            }
            path.Add(segments[i]);
            if (i == segments.Length - 1) break;
            var through = string.Join('/', path);
            if (seen.GetValueOrDefault(through, TarEntryType.Directory) == TarEntryType.SymbolicLink)
                throw new InvalidContextException($"Symbolic link '{name}' points at '{Printable(linkTarget)}' through another link.");
            traversed.TryAdd(through, name); // a link created here later would change where this one leads
        }
    }

    /// <summary>The full path for an entry, after making sure no folder on the way is a link (nothing is written through links).</summary>
    private static string Target(string root, string name) =>
        UnixFileType.PrepareFile(root, name, includeLast: false, out var link)
        ?? throw new InvalidContextException($"Entry '{name}' would be written through the symbolic link '{link}'.");

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

    private static string Printable(string value) =>
        new(value.Select(c => char.IsControl(c) ? '?' : c).Take(200).ToArray());
}
