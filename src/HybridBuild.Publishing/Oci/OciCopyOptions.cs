namespace HybridBuild.Publishing.Oci;

/// <summary>Tuning for <see cref="OciImageCopier"/>.</summary>
public sealed record OciCopyOptions
{
    /// <summary>
    /// Blobs up to this size go in one streamed <c>PUT</c>; larger ones in <c>PATCH</c> chunks of this size, because
    /// proxies in front of registries often cap one request's body. Neither way holds a blob in memory.
    /// </summary>
    public long ChunkSize { get; init; } = 128L * 1024 * 1024;

    /// <summary>
    /// Waits before repeating a request that failed to connect or got 429/502/503/504; one retry per entry.
    /// Streamed blob bodies are not repeated (their source stream is spent).
    /// </summary>
    public IReadOnlyList<TimeSpan> RetryDelays { get; init; } = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4)];

    /// <summary>The largest manifest accepted (the distribution spec's registries refuse more than 4 MiB).</summary>
    public int MaxManifestBytes { get; init; } = 4 * 1024 * 1024;
}
