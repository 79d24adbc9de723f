using System.Buffers;
using System.Net;
using Amazon.S3;
using Amazon.S3.Model;
using HybridBuild.Core.Abstractions;
using Microsoft.Extensions.Options;

namespace HybridBuild.Storage.S3;

/// <summary>
/// Blobs as objects in one bucket. Small blobs go up in one PUT; larger ones as a multipart upload whose parts are
/// read into two pooled buffers (one uploading while the next fills), so memory stays at two parts whatever the size,
/// and a failed upload is aborted so no parts linger. Reads are ranged GETs from the stream's position.
/// </summary>
/// <param name="presigner">Signs download URLs (no request is sent): a client for Storage:S3:PublicServiceUrl, else <paramref name="s3"/>.</param>
internal sealed class S3BlobStore(IAmazonS3 s3, IAmazonS3 presigner, IOptions<S3StorageOptions> options) : IBlobStore
{
    private const string ProbeFolder = ".probe";
    private readonly S3StorageOptions _options = options.Value;
    private readonly int _partSize = Math.Clamp(options.Value.PartSizeMiB, 5, 512) << 20;

    public async Task<PutResult> PutAsync(string key, Stream content, CancellationToken cancellationToken)
    {
        var objectKey = Resolve(key);
        if (await HeadAsync(objectKey, cancellationToken) is not null) return PutResult.AlreadyExists;
        var first = ArrayPool<byte>.Shared.Rent(_partSize);
        try
        {
            var length = await FillAsync(content, first, cancellationToken);
            if (length < _partSize)
            {
                await RetryAsync(() => s3.PutObjectAsync(new PutObjectRequest
                {
                    BucketName = _options.Bucket, Key = objectKey, InputStream = new MemoryStream(first, 0, length, writable: false),
                    AutoCloseStream = false, UseChunkEncoding = false,
                }, cancellationToken), cancellationToken);
                return PutResult.Created;
            }
            await UploadInPartsAsync(objectKey, content, first, cancellationToken);
            return PutResult.Created;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(first);
        }
    }

    private async Task UploadInPartsAsync(string objectKey, Stream content, byte[] first, CancellationToken cancellationToken)
    {
        var upload = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _options.Bucket, Key = objectKey }, cancellationToken);
        var second = ArrayPool<byte>.Shared.Rent(_partSize);
        var buffers = new[] { first, second };
        var started = new List<Task<UploadPartResponse>>();
        try
        {
            var parts = new List<PartETag>();
            var (current, length, number) = (0, _partSize, 1);
            while (true)
            {
                started.Add(UploadPartAsync(objectKey, upload.UploadId, number, buffers[current], length, cancellationToken));
                if (number > 1) parts.Add(new PartETag(number - 1, (await started[^2]).ETag)); // its buffer is free again
                if (length < _partSize) break; // the stream ended inside this part
                current ^= 1;
                length = await FillAsync(content, buffers[current], cancellationToken);
                if (length == 0) break;
                number++;
            }
            parts.Add(new PartETag(number, (await started[^1]).ETag));
            await s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = _options.Bucket, Key = objectKey, UploadId = upload.UploadId, PartETags = parts,
            }, cancellationToken);
        }
        catch
        {
            // no part may still read a buffer once it goes back to the pool
            try { await Task.WhenAll(started); } catch (Exception) { /* the first failure is rethrown below */ }
            try
            {
                await s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _options.Bucket, Key = objectKey, UploadId = upload.UploadId }, CancellationToken.None);
            }
            catch (Exception) { /* the store's lifecycle rule for incomplete uploads is the backstop */ }
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(second);
        }
    }

    private Task<UploadPartResponse> UploadPartAsync(string objectKey, string uploadId, int number, byte[] buffer, int length, CancellationToken cancellationToken) =>
        RetryAsync(() => s3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = _options.Bucket, Key = objectKey, UploadId = uploadId, PartNumber = number,
            InputStream = new MemoryStream(buffer, 0, length, writable: false), PartSize = length, UseChunkEncoding = false,
        }, cancellationToken), cancellationToken);

    /// <summary>
    /// Sends a request whose body is in memory again after a transport failure or a 5xx (a keep-alive connection the
    /// store had closed, seen as "Request aborted while sending the message"): at most three tries, backing off.
    /// </summary>
    private static async Task<T> RetryAsync<T>(Func<Task<T>> send, CancellationToken cancellationToken)
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

    /// <summary>Reads until the buffer's part is full or the stream ends; returns how much was read.</summary>
    private async Task<int> FillAsync(Stream content, byte[] buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        while (filled < _partSize)
        {
            var read = await content.ReadAsync(buffer.AsMemory(filled, _partSize - filled), cancellationToken);
            if (read == 0) break;
            filled += read;
        }
        return filled;
    }

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

    private async Task<GetObjectMetadataResponse?> HeadAsync(string objectKey, CancellationToken cancellationToken)
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

    private string Resolve(string key, bool validate = true)
    {
        if (validate) BlobKeys.Validate(key);
        return string.IsNullOrEmpty(_options.Prefix) ? key : _options.Prefix.TrimEnd('/') + "/" + key;
    }
}
