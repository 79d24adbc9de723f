using System.Formats.Tar;
using System.IO.Compression;
using HybridBuild.Cli.Api;

namespace HybridBuild.Cli.Artifacts;

/// <summary>
/// Writes a stage's artifacts into a folder as <c>buildx --output type=local</c> does: the stage's tar.gz is read as it
/// arrives and each file written with the mode the build gave it (executables stay executable), nothing outside the folder.
/// </summary>
internal static class ArtifactDownload
{
    public static async Task<int> ExtractStageAsync(ServiceClient client, Guid build, string stage, string destination, CancellationToken cancellationToken)
    {
        var root = Path.GetFullPath(destination);
        Directory.CreateDirectory(root);
        using var response = await client.GetStageArchiveAsync(build, stage, cancellationToken);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        await using var gzip = new GZipStream(body, CompressionMode.Decompress);
        await using var tar = new TarReader(gzip);
        var files = 0;
        while (await tar.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
        {
            var target = Path.GetFullPath(Path.Combine(root, entry.Name));
            if (!target.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new InvalidDataException($"The artifact archive of stage '{stage}' names a path outside the folder: '{entry.Name}'.");
            switch (entry.EntryType)
            {
                case TarEntryType.Directory:
                    Directory.CreateDirectory(target);
                    break;
                case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    if (File.Exists(target)) File.Delete(target); // a read-only file of an earlier run is replaced, as buildx does
                    await entry.ExtractToFileAsync(target, overwrite: false, cancellationToken);
                    File.SetUnixFileMode(target, entry.Mode); // exactly the build's mode, whatever the umask
                    files++;
                    break;
            }
        }
        return files;
    }

    /// <summary>One artifact into a file (an <c>oci</c> or <c>docker</c> output's <c>image.tar</c>).</summary>
    public static async Task SaveFileAsync(ServiceClient client, Guid build, string stage, string path, string destination, CancellationToken cancellationToken)
    {
        var full = Path.GetFullPath(destination);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        using var response = await client.GetArtifactAsync(build, stage, path, cancellationToken);
        await using var file = new FileStream(full, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        await response.Content.CopyToAsync(file, cancellationToken);
    }
}
