namespace HybridBuild.Publishing.Oci;

/// <summary>What <see cref="OciImageCopier.CopyAsync"/> did.</summary>
/// <param name="Destination">The destination reference with the copied manifest's digest filled in.</param>
/// <param name="Digest">The top manifest's digest, the same in source and destination.</param>
/// <param name="MediaType">The top manifest's media type (an index or a single manifest).</param>
/// <param name="ManifestsPushed">Manifests written: the top one and the children of an index the destination lacked.</param>
/// <param name="BlobsUploaded">Blobs whose bytes went through this process.</param>
/// <param name="BlobsMounted">Blobs the registry mounted from the source repository without a transfer.</param>
/// <param name="BlobsSkipped">Blobs (and child manifests) the destination already had.</param>
/// <param name="BytesUploaded">Bytes of the uploaded blobs.</param>
public sealed record CopiedImage(
    ImageReference Destination,
    string Digest,
    string MediaType,
    int ManifestsPushed,
    int BlobsUploaded,
    int BlobsMounted,
    int BlobsSkipped,
    long BytesUploaded);
