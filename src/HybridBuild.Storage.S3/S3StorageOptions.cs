using HybridBuild.Core.Configuration;

namespace HybridBuild.Storage.S3;

/// <summary>
/// "Storage:S3": a bucket in any S3-compatible store. Credentials come from AccessKeyId and SecretAccessKey (or
/// SecretAccessKeyFile) when set, else from the AWS SDK's usual chain (environment, profile, instance or task role).
/// </summary>
public sealed record S3StorageOptions
{
    public string Bucket { get; init; } = "";

    /// <summary>Prepended to every key (<c>hybridbuild/</c>), so one bucket can hold several installations.</summary>
    public string? Prefix { get; init; }

    /// <summary>The endpoint of an S3-compatible store (<c>http://minio:9000</c>); unset means AWS.</summary>
    public string? ServiceUrl { get; init; }

    /// <summary>
    /// The endpoint clients reach the store at, when it differs from <see cref="ServiceUrl"/> (nodes use an internal
    /// name): presigned download URLs are signed for this one.
    /// </summary>
    public string? PublicServiceUrl { get; init; }

    public string? Region { get; init; }

    /// <summary>Addresses the bucket in the path (<c>host/bucket/key</c>), as MinIO and most self-hosted stores need.</summary>
    public bool ForcePathStyle { get; init; }

    public string? AccessKeyId { get; init; }
    public string? SecretAccessKey { get; init; }
    public string? SecretAccessKeyFile { get; init; }

    /// <summary>Blobs larger than this go up as a multipart upload of parts this size; it bounds the memory one upload takes (two parts).</summary>
    public int PartSizeMiB { get; init; } = 16;

    /// <summary>Creates the bucket at start-up when it does not exist.</summary>
    public bool CreateBucket { get; init; }

    internal string? ResolveSecretAccessKey() => SecretSetting.Resolve(SecretAccessKey, SecretAccessKeyFile, "Storage:S3:SecretAccessKeyFile");

    public override string ToString() =>
        $"S3StorageOptions {{ Bucket = {Bucket}, Prefix = {Prefix}, ServiceUrl = {ServiceUrl}, Region = {Region}, ForcePathStyle = {ForcePathStyle}, "
        + $"AccessKeyId = {AccessKeyId}, SecretAccessKey = {SecretSetting.Describe(SecretAccessKey, SecretAccessKeyFile)}, PartSizeMiB = {PartSizeMiB} }}";
}
