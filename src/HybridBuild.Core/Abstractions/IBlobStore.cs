namespace HybridBuild.Core.Abstractions;

public enum PutResult { Created, AlreadyExists }

public sealed record BlobInfo(string Key, long Size, DateTimeOffset LastModified);

/// <summary>How a blob handed out by URL is presented (the Content-Disposition and Content-Type it is served with), and how long the URL works.</summary>
public sealed record BlobDownload(string ContentDisposition, string ContentType, TimeSpan Lifetime);

/// <summary>
/// Streams in and out of blob storage by relative key (<c>a/b/c</c>). Implementations refuse keys that are not plain
/// relative paths (<see cref="BlobKeys.Validate"/>), make a blob visible only once it is completely written, and keep
/// memory bounded whatever the blob's size (large blobs go up in parts).
/// </summary>
public interface IBlobStore
{
    /// <summary>
    /// Starts a blob whose key is known only once it is written (a content hash): the content goes to a temporary place
    /// of the store's own, and becomes a blob only by <see cref="IBlobWrite.CommitAsync"/>. With <paramref name="key"/>,
    /// the key is known already and the store may write under it directly; the commit must then name that key.
    /// </summary>
    Task<IBlobWrite> BeginWriteAsync(string? key, CancellationToken cancellationToken);

    /// <summary>
    /// Removes temporaries that writes started before <paramref name="startedBefore"/> left behind (a node that died
    /// mid-write); returns how many it removed. Writes in progress are younger than that, and are left alone.
    /// </summary>
    Task<int> DeleteTemporariesAsync(DateTimeOffset startedBefore, CancellationToken cancellationToken);

    /// <summary>
    /// Opens a blob for reading, or null when there is none. The stream is seekable and knows its length, so ranges
    /// can be served; a remote store reads only from the position on (ranged reads), not the whole blob.
    /// </summary>
    Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken);

    Task<BlobInfo?> GetInfoAsync(string key, CancellationToken cancellationToken);

    /// <summary>Deletes a blob; a missing one is not an error.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// A short-lived URL from which a client reads the blob directly (a presigned URL, a SAS), or null where the store
    /// cannot hand one out (the file system).
    /// </summary>
    Task<Uri?> GetDownloadUriAsync(string key, BlobDownload download, CancellationToken cancellationToken);

    /// <summary>Checks that the store can be written to, for the readiness probe.</summary>
    Task ProbeAsync(CancellationToken cancellationToken);
}
