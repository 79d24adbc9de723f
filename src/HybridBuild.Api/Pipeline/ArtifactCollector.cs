using System.Security.Cryptography;
using HybridBuild.Core.Abstractions;
using HybridBuild.Core.Domain;
using HybridBuild.Core.Specs;

namespace HybridBuild.Api.Pipeline;

/// <summary>
/// Hashes a stage's local export and stores each file in blob storage by its SHA-256.
/// Returns the artifact records; the caller makes them visible together with the stage's success.
/// </summary>
internal sealed class ArtifactCollector(IBlobStore blobs, TimeProvider clock)
{
    public async Task<List<Artifact>> CollectAsync(Stage stage, string exportDirectory, LogSink log, CancellationToken cancellationToken)
    {
        var artifacts = new List<Artifact>();
        if (!Directory.Exists(exportDirectory)) return artifacts;
        var root = Path.GetFullPath(exportDirectory);
        var files = Directory.EnumerateFileSystemEntries(root, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 });
        foreach (var path in files.Order(StringComparer.Ordinal))
        {
            var info = new FileInfo(path);
            if (info.Attributes.HasFlag(FileAttributes.Directory)) continue;
            var relative = Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');
            if (info.LinkTarget is not null)
            {
                log.Note($"artifact {relative} is a symbolic link to {info.LinkTarget}; links are not stored");
                continue;
            }
            var sha256 = await HashAsync(path, cancellationToken);
            var key = BlobKeys.Artifact(sha256);
            await using (var content = File.OpenRead(path))
                await blobs.PutAsync(key, content, cancellationToken);
            artifacts.Add(new Artifact
            {
                Id = Guid.CreateVersion7(),
                BuildId = stage.BuildId,
                StageId = stage.Id,
                StageName = stage.Name,
                Path = relative,
                Platform = PlatformOf(stage, relative),
                Size = info.Length,
                Sha256 = sha256,
                Mode = (int)File.GetUnixFileMode(path) & 0x1FF,
                BlobKey = key,
                CreatedAt = clock.GetUtcNow(),
            });
        }
        log.Note($"stored {artifacts.Count} artifact(s), {artifacts.Sum(a => a.Size)} bytes");
        return artifacts;
    }

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
