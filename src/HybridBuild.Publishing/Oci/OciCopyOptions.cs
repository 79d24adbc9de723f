namespace HybridBuild.Publishing.Oci;

/// <summary>Tuning for <see cref="OciImageCopier"/>.</summary>
public sealed record OciCopyOptions
{
    /// <summary>
    /// Blobs up to this size go in one streamed <c>PUT</c>; larger ones in <c>PATCH</c> chunks of this size, because
    /// proxies in front of registries often cap one request's body. Neither way holds a blob in memory.
    /// </summary>
    public long ChunkSize { get; init; } = 128L * 1024 * 1024;

    /// <summary>The largest manifest accepted (the distribution spec's registries refuse more than 4 MiB).</summary>
    public int MaxManifestBytes { get; init; } = 4 * 1024 * 1024;
}
