using System.Formats.Tar;
using System.IO.Compression;
using System.Net;

namespace HybridBuild.Cli.Context;

/// <summary>
/// A context folder as the multipart <c>context</c> part: a tar.gz written straight into the request as it is sent
/// (chunked: nothing is held in memory or spooled), reporting the bytes of files read so far against their total, so
/// a large file moves the bar as it is sent.
/// </summary>
internal sealed class ContextUpload(IReadOnlyList<ContextEntry> entries, IProgress<long>? progress) : HttpContent
{
    /// <summary>The bytes of all files to send, for a progress bar's total.</summary>
    public long TotalBytes { get; } = entries.Sum(e => e.Size);

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        await using var gzip = new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true);
        await using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            long done = 0;
            foreach (var entry in entries)
            {
                if (entry.IsDirectory || entry.Size == 0 || new FileInfo(entry.FullPath).LinkTarget is not null)
                {
                    // folders, links and empty files: TarWriter takes the entry from the file system (type, mode, times, link)
                    await tar.WriteEntryAsync(entry.FullPath, entry.IsDirectory ? entry.Name + "/" : entry.Name, cancellationToken);
                    continue;
                }
                await using var content = new FileStream(entry.FullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
                var start = done;
                await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, entry.Name)
                {
                    Mode = File.GetUnixFileMode(entry.FullPath),
                    ModificationTime = File.GetLastWriteTimeUtc(entry.FullPath),
                    DataStream = new ReadCounter(content, read => progress?.Report(start + read)),
                }, cancellationToken);
                done += entry.Size;
                progress?.Report(done);
            }
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
