using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using HybridBuild.Core.Specs;

namespace HybridBuild.Core.Sources;

/// <summary>Packs an inline source (path to text) into a gzip-compressed tar, the same form as an uploaded context.</summary>
public static class InlineContext
{
    public static async Task WriteAsync(InlineSourceSpec inline, Stream destination, CancellationToken cancellationToken)
    {
        var executables = new HashSet<string>(inline.Executables ?? [], StringComparer.Ordinal);
        await using var gzip = new GZipStream(destination, CompressionLevel.Fastest, leaveOpen: true);
        await using var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true);
        foreach (var (path, content) in (inline.Files ?? []).OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, path.Trim('/'))
            {
                Mode = executables.Contains(path) ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100,
                ModificationTime = DateTimeOffset.UnixEpoch,
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
            };
            await tar.WriteEntryAsync(entry, cancellationToken);
        }
    }
}
