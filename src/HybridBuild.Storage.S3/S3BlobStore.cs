using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using HybridBuild.Core.Abstractions;
using Microsoft.Extensions.Options;

namespace HybridBuild.Storage.S3;

/// <summary>
/// Blobs as objects in one bucket. Writes are <see cref="S3BlobWrite"/>s: small blobs go up in one PUT at the commit;
/// larger ones as a multipart upload (two parts in memory), under a temporary key when the key is known only at the
/// commit, then copied into place. Reads are ranged GETs from the stream's position.
/// </summary>
/// <param name="presigner">Signs download URLs (no request is sent): a client for Storage:S3:PublicServiceUrl, else <paramref name="s3"/>.</param>
internal sealed class S3BlobStore(IAmazonS3 s3, IAmazonS3 presigner, IOptions<S3StorageOptions> options) : IBlobStore
{
    private const string ProbeFolder = ".probe";
    private const string TempFolder = ".tmp";
    private const string MarkerSuffix = ".upload";
    internal const string UploadKeyMetadata = "upload-key";
    internal const string UploadIdMetadata = "upload-id";
    private readonly S3StorageOptions _options = options.Value;
    private readonly int _partSize = Math.Clamp(options.Value.PartSizeMiB, 5, 512) << 20;

    public Task<IBlobWrite> BeginWriteAsync(string? key, CancellationToken cancellationToken)
    {
        // a known key is written in place; otherwise a multipart upload needs a name now: a temporary one, copied at the commit
        var uploadKey = key is not null ? Resolve(key) : Resolve($"{TempFolder}/{Guid.NewGuid():N}", validate: false);
        var marker = Resolve($"{TempFolder}/{Guid.NewGuid():N}{MarkerSuffix}", validate: false);
        return Task.FromResult<IBlobWrite>(new S3BlobWrite(this, s3, _options.Bucket, uploadKey, temporary: key is null, marker, _partSize));
    }

    public async Task<int> DeleteTemporariesAsync(DateTimeOffset startedBefore, CancellationToken cancellationToken)
    {
        var removed = 0;
        var listing = new ListObjectsV2Request { BucketName = _options.Bucket, Prefix = Resolve(TempFolder, validate: false) + "/" };
        ListObjectsV2Response page;
        do
        {
            page = await s3.ListObjectsV2Async(listing, cancellationToken);
            foreach (var stale in (page.S3Objects ?? []).Where(o => o.LastModified is { } modified && modified.ToUniversalTime() < startedBefore.UtcDateTime))
            {
                if (stale.Key.EndsWith(MarkerSuffix, StringComparison.Ordinal)) await AbortMarkedUploadAsync(stale.Key, cancellationToken);
                await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _options.Bucket, Key = stale.Key }, cancellationToken);
                removed++;
            }
            listing.ContinuationToken = page.NextContinuationToken;
        } while (page.IsTruncated == true);
        return removed;
    }

    /// <summary>Aborts the multipart upload a marker names (<see cref="S3BlobWrite"/>); one that has ended is not an error.</summary>
    private async Task AbortMarkedUploadAsync(string marker, CancellationToken cancellationToken)
    {
        var metadata = (await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _options.Bucket, Key = marker }, cancellationToken)).Metadata;
        if (metadata[UploadKeyMetadata] is not { Length: > 0 } key || metadata[UploadIdMetadata] is not { Length: > 0 } id) return;
        try
        {
            await s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest
            {
                BucketName = _options.Bucket, Key = Uri.UnescapeDataString(key), UploadId = Uri.UnescapeDataString(id),
            }, cancellationToken);
        }
        // gone already (s3rver answers 405 for an upload it no longer knows)
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed) { }
    }

    internal Task<UploadPartResponse> UploadPartAsync(string objectKey, string uploadId, int number, ReadOnlyMemory<byte> part, CancellationToken cancellationToken) =>
        RetryAsync(() => s3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = _options.Bucket, Key = objectKey, UploadId = uploadId, PartNumber = number,
            InputStream = PartWriteStream.Read(part), PartSize = part.Length, UseChunkEncoding = false,
        }, cancellationToken), cancellationToken);

    /// <summary>
    /// Sends a request whose body is in memory again after a transport failure or a 5xx (a keep-alive connection the
    /// store had closed, seen as "Request aborted while sending the message"): at most three tries, backing off.
    /// </summary>
    internal static async Task<T> RetryAsync<T>(Func<Task<T>> send, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await send();
            }
            catch (Exception e) when (attempt < 3 && !cancellationToken.IsCancellationRequested && Transient(e))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt * attempt), cancellationToken);
            }
        }
    }

    private static bool Transient(Exception e) => e switch
    {
        AmazonS3Exception s3 => (int)s3.StatusCode >= 500,
        HttpRequestException or IOException => true,
        Amazon.Runtime.AmazonClientException client => client.InnerException is HttpRequestException or IOException || client.InnerException is null,
        _ => false,
    };

    public async Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        var objectKey = Resolve(key);
        return await HeadAsync(objectKey, cancellationToken) is { } head
            ? new S3ReadStream(s3, _options.Bucket, objectKey, head.ContentLength, head.ETag)
            : null;
    }

    public async Task<BlobInfo?> GetInfoAsync(string key, CancellationToken cancellationToken) =>
        await HeadAsync(Resolve(key), cancellationToken) is { } head
            ? new BlobInfo(key, head.ContentLength, head.LastModified is { } modified ? new DateTimeOffset(modified.ToUniversalTime()) : DateTimeOffset.MinValue)
            : null;

    public async Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _options.Bucket, Key = Resolve(key) }, cancellationToken);

    public async Task<Uri?> GetDownloadUriAsync(string key, BlobDownload download, CancellationToken cancellationToken)
    {
        var request = new GetPreSignedUrlRequest
        {
            BucketName = _options.Bucket, Key = Resolve(key), Verb = HttpVerb.GET, Expires = DateTime.UtcNow.Add(download.Lifetime),
            Protocol = (_options.PublicServiceUrl ?? _options.ServiceUrl) is { } url && url.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
                ? Protocol.HTTP : Protocol.HTTPS,
        };
        request.ResponseHeaderOverrides.ContentType = download.ContentType;
        request.ResponseHeaderOverrides.ContentDisposition = download.ContentDisposition;
        return new Uri(await presigner.GetPreSignedURLAsync(request));
    }

    public async Task ProbeAsync(CancellationToken cancellationToken)
    {
        var probe = Resolve($"{ProbeFolder}/{Guid.NewGuid():N}", validate: false);
        await s3.PutObjectAsync(new PutObjectRequest
        {
            BucketName = _options.Bucket, Key = probe, InputStream = new MemoryStream([1]), UseChunkEncoding = false,
        }, cancellationToken);
        await s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _options.Bucket, Key = probe }, cancellationToken);
    }

    /// <summary>Creates the bucket unless it exists (Storage:S3:CreateBucket).</summary>
    internal async Task EnsureBucketAsync(CancellationToken cancellationToken)
    {
        try
        {
            await s3.PutBucketAsync(new PutBucketRequest { BucketName = _options.Bucket }, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.ErrorCode is "BucketAlreadyOwnedByYou" or "BucketAlreadyExists") { }
    }

    internal async Task<GetObjectMetadataResponse?> HeadAsync(string objectKey, CancellationToken cancellationToken)
    {
        try
        {
            return await s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = _options.Bucket, Key = objectKey }, cancellationToken);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    internal string Resolve(string key, bool validate = true)
    {
        if (validate) BlobKeys.Validate(key);
        return string.IsNullOrEmpty(_options.Prefix) ? key : _options.Prefix.TrimEnd('/') + "/" + key;
    }
}
