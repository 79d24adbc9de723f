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
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(destination)); // "out/" names the folder "out"
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
                    // the build's mode, whatever the umask, less setuid, setgid and sticky: a server's archive never makes a setuid file here
                    File.SetUnixFileMode(target, entry.Mode & ~(UnixFileMode.SetUser | UnixFileMode.SetGroup | UnixFileMode.StickyBit));
                    files++;
                    break;
            }
        }
        return files;
    }

    /// <summary>
    /// The folder (or file) a stage's output goes to under <paramref name="destination"/>. The stage's name comes from the
    /// service: one that is not a stage name the service accepts (a path, "..") is refused rather than followed.
    /// </summary>
    public static string StagePath(string destination, string stage) =>
        SpecRules.StageName().IsMatch(stage) ? Path.Combine(destination, stage)
            : throw new InvalidDataException($"The service named a stage '{stage}', which is not a stage name: nothing was written for it.");

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
