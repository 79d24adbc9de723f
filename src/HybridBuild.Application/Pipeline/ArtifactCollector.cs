using HybridBuild.Core.FileSystem;

namespace HybridBuild.Application.Pipeline;

/// <summary>
/// Hashes a stage's local export and stores each file in blob storage by its SHA-256.
/// Returns the artifact records; the caller makes them visible together with the stage's success.
/// </summary>
internal sealed class ArtifactCollector(IBlobStore blobs, IOptions<ContextLimits> limits, TimeProvider clock)
{
    /// <summary>Longest artifact path kept, in UTF-8 bytes: the manifest's unique index and every client's file system have limits.</summary>
    public const int MaxPathBytes = 2000;

    public async Task<List<Artifact>> CollectAsync(Stage stage, string exportDirectory, LogSink log, CancellationToken cancellationToken)
    {
        var artifacts = new List<Artifact>();
        if (!Directory.Exists(exportDirectory)) return artifacts;
        var root = Path.GetFullPath(exportDirectory);
        // the export is the build's output: links are not followed and FIFOs or devices never opened
        var (files, skipped) = UnixFileType.Walk(root, limits.Value.MaxEntries);
        foreach (var (path, kind) in skipped) NoteSkipped(log, path, kind == FileKind.SymbolicLink);
        foreach (var relative in files)
        {
            CheckPath(relative);
            var path = Path.Combine(root, relative);
            var sha256 = await HashAsync(path, cancellationToken);
            var key = BlobKeys.Artifact(sha256);
            long size;
            await using (var content = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true))
            {
                size = content.Length;
                await blobs.PutAsync(key, content, cancellationToken);
            }
            artifacts.Add(Record(stage, relative, size, sha256, File.GetUnixFileMode(path)));
        }
        NoteStored(log, artifacts);
        return artifacts;
    }

    /// <summary>A stage's export streamed into blob storage as the engine receives it (<see cref="StreamedExport"/>).</summary>
    public StreamedExport Stream(Stage stage, UnreferencedBlobs release, LogSink log) => new(this, stage, blobs, release, limits.Value.MaxEntries, log);

    /// <exception cref="InvalidOperationException">The path is too long to keep.</exception>
    public static void CheckPath(string relative)
    {
        if (System.Text.Encoding.UTF8.GetByteCount(relative) > MaxPathBytes)
            throw new InvalidOperationException($"the export has a path longer than {MaxPathBytes} bytes: {relative[..Math.Min(80, relative.Length)]}...");
    }

    public static void NoteSkipped(LogSink log, string path, bool symbolicLink) =>
        log.Note($"artifact {path} is a {(symbolicLink ? "symbolic link" : "special file")}; only regular files are stored");

    public static void NoteStored(LogSink log, IReadOnlyCollection<Artifact> artifacts) =>
        log.Note($"stored {artifacts.Count} artifact(s), {artifacts.Sum(a => a.Size)} bytes");

    /// <summary>The record of a stored file: path, size, SHA-256 and permission bits, its platform and its blob.</summary>
    public Artifact Record(Stage stage, string relative, long size, string sha256, UnixFileMode mode) => new()
    {
        Id = Guid.CreateVersion7(),
        BuildId = stage.BuildId,
        StageId = stage.Id,
        StageName = stage.Name,
        Path = relative,
        Platform = PlatformOf(stage, relative),
        Size = size,
        Sha256 = sha256,
        Mode = (int)mode & 0x1FF,
        BlobKey = BlobKeys.Artifact(sha256),
        CreatedAt = clock.GetUtcNow(),
    };

    /// <summary>BuildKit's local exporter puts each platform of a multi-platform build in its own folder (linux_amd64/...).</summary>
    private static string? PlatformOf(Stage stage, string relativePath)
    {
        if (stage.Platforms.Count <= 1) return stage.Platforms.FirstOrDefault();
        var folder = relativePath.Split('/')[0];
        return stage.Platforms.FirstOrDefault(p => SpecRules.PlatformFolder(p) == folder);
    }

    private static async Task<string> HashAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
    }
}
