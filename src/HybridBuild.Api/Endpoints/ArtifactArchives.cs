using System.Formats.Tar;
using System.IO.Compression;
using HybridBuild.Core.Abstractions;
using HybridBuild.Core.Domain;

namespace HybridBuild.Api.Endpoints;

/// <summary>Streams a stage's artifacts as one archive, straight from blob storage to the response.</summary>
internal static class ArtifactArchives
{
    public static async Task WriteTarGzAsync(IReadOnlyList<Artifact> artifacts, IBlobStore blobs, Stream output, CancellationToken ct)
    {
        await using var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true);
        await using var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true);
        foreach (var artifact in artifacts)
        {
            await using var content = await OpenAsync(blobs, artifact, ct);
            var entry = new PaxTarEntry(TarEntryType.RegularFile, artifact.Path)
            {
                Mode = (UnixFileMode)artifact.Mode,
                ModificationTime = artifact.CreatedAt,
                DataStream = content,
            };
            await tar.WriteEntryAsync(entry, ct);
        }
    }

    public static async Task WriteZipAsync(IReadOnlyList<Artifact> artifacts, IBlobStore blobs, Stream output, CancellationToken ct)
    {
        using var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true);
        foreach (var artifact in artifacts)
        {
            var entry = zip.CreateEntry(artifact.Path, CompressionLevel.Fastest);
            entry.LastWriteTime = artifact.CreatedAt;
            entry.ExternalAttributes = (0x8000 | artifact.Mode) << 16; // S_IFREG | permission bits, as Unix zip tools read them
            await using var content = await OpenAsync(blobs, artifact, ct);
            await using var target = entry.Open();
            await content.CopyToAsync(target, ct);
        }
    }

    private static async Task<Stream> OpenAsync(IBlobStore blobs, Artifact artifact, CancellationToken ct) =>
        await blobs.OpenReadAsync(artifact.BlobKey, ct)
        ?? throw new InvalidOperationException($"Artifact '{artifact.Path}' is recorded but its blob {artifact.BlobKey} is missing.");
}
