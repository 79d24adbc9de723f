namespace HybridBuild.Core.Abstractions;

/// <summary>
/// A blob being written (<see cref="IBlobStore.BeginWriteAsync"/>): write the content to <see cref="Content"/>, then
/// commit it under its key. Until then nothing is visible under any key; disposing a write that was not committed
/// (a failure, a cancellation) removes everything it wrote, so an aborted write leaves no temporary behind.
/// </summary>
public interface IBlobWrite : IAsyncDisposable
{
    /// <summary>Write-only; memory stays bounded whatever is written (the content goes out in parts as it comes).</summary>
    Stream Content { get; }

    /// <summary>How many bytes have been written to <see cref="Content"/>.</summary>
    long Length { get; }

    /// <summary>
    /// Makes the content the blob under <paramref name="key"/>, unless one exists there already (keys are
    /// content-derived, so it is the same content: the temporary is then discarded). Once only.
    /// </summary>
    Task<PutResult> CommitAsync(string key, CancellationToken cancellationToken);
}

/// <summary>What every store does the same way on top of <see cref="IBlobStore.BeginWriteAsync"/>.</summary>
public static class BlobStoreExtensions
{
    /// <summary>Writes a blob unless one already exists under the key (keys are content-derived, so an existing blob is the same).</summary>
    public static async Task<PutResult> PutAsync(this IBlobStore store, string key, Stream content, CancellationToken cancellationToken)
    {
        BlobKeys.Validate(key);
        if (await store.GetInfoAsync(key, cancellationToken) is not null) return PutResult.AlreadyExists;
        await using var write = await store.BeginWriteAsync(key, cancellationToken);
        await content.CopyToAsync(write.Content, cancellationToken);
        return await write.CommitAsync(key, cancellationToken);
    }
}
