using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Azure.Storage.Sas;
using HybridBuild.Core.Abstractions;

namespace HybridBuild.Storage.Azure;

/// <summary>
/// A blob being written to Azure. Content that stays under one block is uploaded under the key at the commit; more is
/// staged as blocks of <c>upload</c> (the key's blob when known, else a temporary one) and committed at the end; a
/// temporary is then copied to the key (a server-side copy) and deleted. An abandoned temporary is discarded.
/// </summary>
internal sealed class AzureBlobWrite : IBlobWrite
{
    private readonly Func<string, BlobClient> _blobOf;
    private readonly BlobClient _upload;
    private readonly BlockBlobClient _blocks;
    private readonly bool _temporary;
    private readonly PartWriteStream _content;
    // block ids must be of one length within a blob; the write's own id keeps concurrent writers of one key apart
    private readonly string _blockPrefix = Guid.NewGuid().ToString("N");
    private bool _committing;
    private bool _cleanedUp;

    /// <param name="blobOf">The blob of a key (checked).</param>
    /// <param name="upload">The blob the blocks are staged on.</param>
    /// <param name="temporary">Whether <paramref name="upload"/> is a temporary, copied to the key's blob at the commit.</param>
    public AzureBlobWrite(BlobContainerClient container, Func<string, BlobClient> blobOf, BlobClient upload, bool temporary, int blockSize, int maxConcurrency)
    {
        (_blobOf, _upload, _temporary) = (blobOf, upload, temporary);
        _blocks = container.GetBlockBlobClient(upload.Name);
        _content = new PartWriteStream(blockSize, Math.Max(1, maxConcurrency), SendBlockAsync);
    }

    public Stream Content => _content;

    public long Length => _content.Written;

    private string BlockId(int number) => Convert.ToBase64String(Encoding.ASCII.GetBytes($"{_blockPrefix}{number:D6}"));

    private Task SendBlockAsync(int number, ReadOnlyMemory<byte> block, CancellationToken cancellationToken) =>
        _blocks.StageBlockAsync(BlockId(number), PartWriteStream.Read(block), cancellationToken: cancellationToken);

    public async Task<PutResult> CommitAsync(string key, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_committing || _cleanedUp, this);
        var target = _blobOf(key);
        if (!_temporary && target.Name != _upload.Name) throw new ArgumentException($"This write was started for another key than '{key}'.", nameof(key));
        _committing = true;
        try
        {
            if (_content.PartsSent == 0)
            {
                if (await AzureBlobStore.InfoAsync(target, cancellationToken) is not null) return PutResult.AlreadyExists;
                // overwrite: Azurite takes uncommitted blocks of an earlier failed write for a blob; the content is the key's anyway
                await target.UploadAsync(PartWriteStream.Read(_content.Pending), overwrite: true, cancellationToken);
                return PutResult.Created;
            }
            await _content.SendRestAsync(cancellationToken);
            try
            {
                await _blocks.CommitBlockListAsync(Enumerable.Range(1, _content.PartsSent).Select(BlockId), cancellationToken: cancellationToken);
            }
            catch (RequestFailedException e) when (!_temporary && e.ErrorCode == BlobErrorCode.InvalidBlockList)
            {
                // a concurrent writer of the same key committed first, which discarded our blocks
                if (await AzureBlobStore.InfoAsync(target, cancellationToken) is null) throw;
                return PutResult.AlreadyExists;
            }
            if (!_temporary) return PutResult.Created;
            if (await AzureBlobStore.InfoAsync(target, cancellationToken) is not null) return PutResult.AlreadyExists;
            var copy = await target.StartCopyFromUriAsync(SourceUri(), cancellationToken: cancellationToken);
            await copy.WaitForCompletionAsync(cancellationToken);
            return PutResult.Created;
        }
        finally
        {
            await CleanUpAsync();
        }
    }

    /// <summary>The temporary as a copy source: signed with the account key where the client has it, else the caller's own credential reads it.</summary>
    private Uri SourceUri() => _upload.CanGenerateSasUri
        ? _upload.GenerateSasUri(BlobSasPermissions.Read, DateTimeOffset.UtcNow.AddHours(1))
        : _upload.Uri;

    public ValueTask DisposeAsync() => CleanUpAsync();

    private async ValueTask CleanUpAsync()
    {
        if (_cleanedUp) return;
        _cleanedUp = true;
        await _content.DisposeAsync();
        // a temporary goes whether it was committed (and copied) or holds uncommitted blocks only
        if (!_temporary || _content.PartsSent == 0) return;
        try
        {
            await AzureBlobStore.DiscardAsync(_blocks, CancellationToken.None);
        }
        catch (RequestFailedException)
        {
            // the temporary sweep (DeleteTemporariesAsync) is the backstop
        }
    }
}
