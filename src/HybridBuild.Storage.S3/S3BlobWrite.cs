using Amazon.S3;
using Amazon.S3.Model;
using HybridBuild.Core.Abstractions;

namespace HybridBuild.Storage.S3;

/// <summary>
/// A blob being written to S3. Content that stays under one part is PUT under the key at the commit; more becomes a
/// multipart upload of <c>uploadKey</c> (the key itself when known, else a temporary), completed at the commit and,
/// when temporary, copied to the key (a multipart copy above 5 GiB) and deleted. An abandoned write aborts its upload
/// or deletes its temporary, so no parts or objects linger.
/// </summary>
internal sealed class S3BlobWrite : IBlobWrite
{
    // CopyObject copies at most 5 GiB in one request; larger objects are copied in parts of this size
    private const long MaxSingleCopy = 5L << 30;
    private const long CopyPartSize = 512L << 20;

    private readonly S3BlobStore _store;
    private readonly IAmazonS3 _s3;
    private readonly string _bucket;
    private readonly string _uploadKey;
    private readonly bool _temporary;
    private readonly string _marker;
    private readonly PartWriteStream _content;
    private readonly List<PartETag> _parts = [];
    private Task<InitiateMultipartUploadResponse>? _upload;
    private bool _uploadEnded;
    private bool _temporaryStored;
    private bool _committing;
    private bool _cleanedUp;

    /// <param name="uploadKey">The object key a multipart upload goes to.</param>
    /// <param name="temporary">Whether <paramref name="uploadKey"/> is a temporary, copied to the key at the commit.</param>
    /// <param name="marker">The object key of the marker of a multipart upload, among the temporaries.</param>
    public S3BlobWrite(S3BlobStore store, IAmazonS3 s3, string bucket, string uploadKey, bool temporary, string marker, int partSize)
    {
        (_store, _s3, _bucket, _uploadKey, _temporary, _marker) = (store, s3, bucket, uploadKey, temporary, marker);
        _content = new PartWriteStream(partSize, maxInFlight: 2, SendPartAsync);
    }

    public Stream Content => _content;

    public long Length => _content.Written;

    private async Task SendPartAsync(int number, ReadOnlyMemory<byte> part, CancellationToken cancellationToken)
    {
        // parts are handed out one at a time, so the first starts the upload and the others wait for it
        _upload ??= StartUploadAsync(cancellationToken);
        var upload = await _upload;
        var sent = await _store.UploadPartAsync(_uploadKey, upload.UploadId, number, part, cancellationToken);
        lock (_parts) _parts.Add(new PartETag(number, sent.ETag));
    }

    /// <summary>
    /// Starts the multipart upload and leaves a marker naming it among the temporaries: a node that dies mid-write
    /// leaves an upload that only the marker leads the sweep to (not every S3-compatible store lists uploads).
    /// </summary>
    private async Task<InitiateMultipartUploadResponse> StartUploadAsync(CancellationToken cancellationToken)
    {
        var upload = await _s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _bucket, Key = _uploadKey }, cancellationToken);
        var marker = new PutObjectRequest { BucketName = _bucket, Key = _marker, ContentBody = "", UseChunkEncoding = false };
        marker.Metadata[S3BlobStore.UploadKeyMetadata] = Uri.EscapeDataString(_uploadKey);
        marker.Metadata[S3BlobStore.UploadIdMetadata] = Uri.EscapeDataString(upload.UploadId);
        try
        {
            await _s3.PutObjectAsync(marker, cancellationToken);
        }
        catch
        {
            await _s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _bucket, Key = _uploadKey, UploadId = upload.UploadId }, CancellationToken.None);
            throw;
        }
        return upload;
    }

    public async Task<PutResult> CommitAsync(string key, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_committing || _cleanedUp, this);
        var objectKey = _store.Resolve(key);
        if (!_temporary && objectKey != _uploadKey) throw new ArgumentException($"This write was started for another key than '{key}'.", nameof(key));
        _committing = true;
        try
        {
            if (_content.PartsSent == 0)
            {
                if (await _store.HeadAsync(objectKey, cancellationToken) is not null) return PutResult.AlreadyExists;
                var body = _content.Pending;
                await S3BlobStore.RetryAsync(() => _s3.PutObjectAsync(new PutObjectRequest
                {
                    BucketName = _bucket, Key = objectKey, InputStream = PartWriteStream.Read(body), AutoCloseStream = false, UseChunkEncoding = false,
                }, cancellationToken), cancellationToken);
                return PutResult.Created;
            }
            await _content.SendRestAsync(cancellationToken);
            await _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = _bucket, Key = _uploadKey, UploadId = (await _upload!).UploadId, PartETags = [.. _parts.OrderBy(p => p.PartNumber)],
            }, cancellationToken);
            _uploadEnded = true;
            if (!_temporary) return PutResult.Created;
            _temporaryStored = true;
            if (await _store.HeadAsync(objectKey, cancellationToken) is not null) return PutResult.AlreadyExists;
            await CopyAsync(objectKey, Length, cancellationToken);
            return PutResult.Created;
        }
        finally
        {
            await CleanUpAsync();
        }
    }

    private async Task CopyAsync(string objectKey, long size, CancellationToken cancellationToken)
    {
        if (size <= MaxSingleCopy)
        {
            await _s3.CopyObjectAsync(new CopyObjectRequest
            {
                SourceBucket = _bucket, SourceKey = _uploadKey, DestinationBucket = _bucket, DestinationKey = objectKey,
            }, cancellationToken);
            return;
        }
        var copy = await _s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _bucket, Key = objectKey }, cancellationToken);
        try
        {
            var parts = new List<PartETag>();
            for (var (first, number) = (0L, 1); first < size; first += CopyPartSize, number++)
            {
                var part = await _s3.CopyPartAsync(new CopyPartRequest
                {
                    SourceBucket = _bucket, SourceKey = _uploadKey, DestinationBucket = _bucket, DestinationKey = objectKey, UploadId = copy.UploadId,
                    PartNumber = number, FirstByte = first, LastByte = Math.Min(first + CopyPartSize, size) - 1,
                }, cancellationToken);
                parts.Add(new PartETag(number, part.ETag));
            }
            await _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = _bucket, Key = objectKey, UploadId = copy.UploadId, PartETags = parts,
            }, cancellationToken);
        }
        catch
        {
            await _s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _bucket, Key = objectKey, UploadId = copy.UploadId }, CancellationToken.None);
            throw;
        }
    }

    public ValueTask DisposeAsync() => CleanUpAsync();

    /// <summary>Returns the buffers, and aborts the upload or deletes the temporary unless they became the blob.</summary>
    private async ValueTask CleanUpAsync()
    {
        if (_cleanedUp) return;
        _cleanedUp = true;
        await _content.DisposeAsync();
        if (_upload is null) return;
        try
        {
            if (_temporaryStored)
                await _s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = _uploadKey }, CancellationToken.None);
            else if (!_uploadEnded)
                await _s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest
                {
                    BucketName = _bucket, Key = _uploadKey, UploadId = (await _upload).UploadId,
                }, CancellationToken.None);
        }
        catch (Exception)
        {
            // the temporary sweep (DeleteTemporariesAsync) and the store's lifecycle rule for incomplete uploads are the backstop
        }
        try
        {
            // also when starting the upload failed: its marker may have been stored all the same
            await _s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = _marker }, CancellationToken.None);
        }
        catch (Exception)
        {
            // the sweep removes a marker whose upload is gone
        }
    }
}
