using System.Formats.Tar;
using System.IO.Compression;
using System.IO.Pipelines;
using HybridBuild.Application.Telemetry;

namespace HybridBuild.Api.Endpoints;

/// <summary>Streams a stage's artifacts as one archive, straight from blob storage to the response.</summary>
internal static class ArtifactArchives
{
    public static async Task WriteTarGzAsync(IReadOnlyList<Artifact> artifacts, IBlobStore blobs, HybridBuildMetrics metrics, Stream output, CancellationToken ct)
    {
        await using var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true);
        await using var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true);
        foreach (var artifact in artifacts)
        {
            await using var content = await OpenAsync(blobs, metrics, artifact, ct);
            var entry = new PaxTarEntry(TarEntryType.RegularFile, artifact.Path)
            {
                Mode = (UnixFileMode)artifact.Mode,
                ModificationTime = artifact.CreatedAt,
                DataStream = content,
            };
            await tar.WriteEntryAsync(entry, ct);
        }
    }

    /// <summary>
    /// ZipArchive still writes synchronously when an entry or the archive is closed, even through its async API:
    /// it writes into a pipe on a thread of its own, and the pipe is copied to the response asynchronously,
    /// so no request thread ever blocks on the network.
    /// </summary>
    public static async Task WriteZipAsync(IReadOnlyList<Artifact> artifacts, IBlobStore blobs, HybridBuildMetrics metrics, Stream output, CancellationToken ct)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 1 << 20, resumeWriterThreshold: 1 << 19));
        var writer = Task.Run(async () =>
        {
            var stream = pipe.Writer.AsStream(leaveOpen: true);
            var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            try
            {
                foreach (var artifact in artifacts)
                {
                    var entry = zip.CreateEntry(artifact.Path, CompressionLevel.Fastest);
                    entry.LastWriteTime = artifact.CreatedAt;
                    entry.ExternalAttributes = (0x8000 | artifact.Mode) << 16; // S_IFREG | permission bits, as Unix zip tools read them
                    await using var content = await OpenAsync(blobs, metrics, artifact, ct);
                    await using var target = entry.Open();
                    await content.CopyToAsync(target, ct);
                }
                zip.Dispose();
                await pipe.Writer.CompleteAsync();
            }
            catch (Exception e)
            {
                // fail the pipe before the archive is closed, so a broken download never ends in a valid central directory
                await pipe.Writer.CompleteAsync(e);
                try { zip.Dispose(); } catch (InvalidOperationException) { } catch (IOException) { }
            }
            finally
            {
                await stream.DisposeAsync();
            }
        }, ct);
        try
        {
            await pipe.Reader.CopyToAsync(output, ct);
        }
        finally
        {
            await pipe.Reader.CompleteAsync();
            await writer;
        }
    }

    private static async Task<Stream> OpenAsync(IBlobStore blobs, HybridBuildMetrics metrics, Artifact artifact, CancellationToken ct) =>
        metrics.CountServed(await blobs.OpenReadAsync(artifact.BlobKey, ct)
        ?? throw new InvalidOperationException($"Artifact '{artifact.Path}' is recorded but its blob {artifact.BlobKey} is missing."));
}
