namespace HybridBuild.Core.Abstractions;

public enum PutResult { Created, AlreadyExists }

public sealed record BlobInfo(string Key, long Size, DateTimeOffset LastModified);

/// <summary>
/// Streams in and out of blob storage by relative key (<c>a/b/c</c>). Implementations refuse keys
/// that are not plain relative paths, and make a blob visible only once it is completely written.
/// </summary>
public interface IBlobStore
{
    /// <summary>Writes a blob unless one already exists under the key (keys are content-derived, so an existing blob is the same).</summary>
    Task<PutResult> PutAsync(string key, Stream content, CancellationToken cancellationToken);

    /// <summary>Opens a blob for reading; seekable where the store allows, so ranges can be served.</summary>
    Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken);

    Task<BlobInfo?> GetInfoAsync(string key, CancellationToken cancellationToken);

    Task DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>Checks that the store can be written to, for the readiness probe.</summary>
    Task ProbeAsync(CancellationToken cancellationToken);
}
