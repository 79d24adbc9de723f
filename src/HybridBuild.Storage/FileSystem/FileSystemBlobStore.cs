using HybridBuild.Core.Abstractions;
using Microsoft.Extensions.Options;

namespace HybridBuild.Storage.FileSystem;

public sealed record FileSystemStorageOptions
{
    /// <summary>Folder that holds every blob; shared (e.g. a network volume) when several nodes run.</summary>
    public string Root { get; init; } = "data/blobs";
}

/// <summary>
/// Blobs as files under one root. Writes go to a temporary file first and are moved into place,
/// so a reader never sees a partial blob; every key is resolved and checked to stay under the root.
/// </summary>
internal sealed class FileSystemBlobStore : IBlobStore
{
    private const string TempFolder = ".tmp";
    private readonly string _root;

    public FileSystemBlobStore(IOptions<FileSystemStorageOptions> options)
    {
        _root = Path.GetFullPath(options.Value.Root);
        Directory.CreateDirectory(Path.Combine(_root, TempFolder));
    }

    public Task<IBlobWrite> BeginWriteAsync(string? key, CancellationToken cancellationToken)
    {
        if (key is not null) Resolve(key);
        var temp = Path.Combine(_root, TempFolder, Guid.NewGuid().ToString("N"));
        return Task.FromResult<IBlobWrite>(new FileSystemBlobWrite(this, temp));
    }

    public Task<int> DeleteTemporariesAsync(DateTimeOffset startedBefore, CancellationToken cancellationToken)
    {
        var removed = 0;
        // a temporary is written from its creation on: its last write is at least its start
        foreach (var file in new DirectoryInfo(Path.Combine(_root, TempFolder)).EnumerateFiles())
        {
            if (file.LastWriteTimeUtc >= startedBefore.UtcDateTime) continue;
            try
            {
                file.Delete();
                removed++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* the next sweep tries again */ }
        }
        return Task.FromResult(removed);
    }

    /// <summary>Moves a complete temporary into place under <paramref name="key"/>; it is gone afterwards either way.</summary>
    internal PutResult Commit(string temp, string key)
    {
        try
        {
            var path = Resolve(key);
            if (File.Exists(path)) return PutResult.AlreadyExists;
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            try
            {
                File.Move(temp, path, overwrite: false);
                return PutResult.Created;
            }
            catch (IOException) when (File.Exists(path))
            {
                return PutResult.AlreadyExists; // a concurrent writer of the same key won
            }
        }
        finally
        {
            File.Delete(temp);
        }
    }

    public Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        var path = Resolve(key);
        if (!File.Exists(path)) return Task.FromResult<Stream?>(null);
        try
        {
            Stream stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 1 << 16, useAsync: true);
            return Task.FromResult<Stream?>(stream);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<Stream?>(null);
        }
    }

    public Task<BlobInfo?> GetInfoAsync(string key, CancellationToken cancellationToken)
    {
        var info = new FileInfo(Resolve(key));
        return Task.FromResult(info.Exists ? new BlobInfo(key, info.Length, info.LastWriteTimeUtc) : null);
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        File.Delete(Resolve(key));
        return Task.CompletedTask;
    }

    public Task<Uri?> GetDownloadUriAsync(string key, BlobDownload download, CancellationToken cancellationToken)
    {
        Resolve(key);
        return Task.FromResult<Uri?>(null); // files are served by the API node
    }

    public async Task ProbeAsync(CancellationToken cancellationToken)
    {
        var probe = Path.Combine(_root, TempFolder, $"probe-{Guid.NewGuid():N}");
        await File.WriteAllBytesAsync(probe, [1], cancellationToken);
        File.Delete(probe);
    }

    private string Resolve(string key)
    {
        BlobKeys.Validate(key);
        var path = Path.GetFullPath(Path.Combine(_root, key));
        if (!path.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new ArgumentException($"'{key}' resolves outside the blob store.", nameof(key));
        return path;
    }
}
