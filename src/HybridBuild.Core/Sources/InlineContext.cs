using System.IO.Compression;
using System.Text;

namespace HybridBuild.Core.Sources;

/// <summary>
/// Packs an inline source (path to text) into a gzip-compressed tar, the same form as an uploaded context.
/// The source must have passed <see cref="SpecValidator"/>, which refuses paths the archive could not hold.
/// </summary>
public static class InlineContext
{
    public static async Task WriteAsync(InlineSourceSpec inline, Stream destination, CancellationToken cancellationToken)
    {
        // named as the validator compared them, so "dir//run.sh" in Executables marks the file "dir/run.sh"
        var executables = (inline.Executables ?? []).Select(PathRules.Normalize).ToHashSet(StringComparer.Ordinal);
        await using var gzip = new GZipStream(destination, CompressionLevel.Fastest, leaveOpen: true);
        await using var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true);
        foreach (var (path, content) in (inline.Files ?? []).OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            var name = PathRules.Normalize(path);
            var entry = new PaxTarEntry(TarEntryType.RegularFile, name)
            {
                Mode = executables.Contains(name) ? (UnixFileMode)0b111_101_101 : (UnixFileMode)0b110_100_100,
                ModificationTime = DateTimeOffset.UnixEpoch,
                DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
            };
            await tar.WriteEntryAsync(entry, cancellationToken);
        }
    }
}
