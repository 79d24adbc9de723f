using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Azure.Storage.Sas;
using HybridBuild.Core.Abstractions;
using BlobInfo = HybridBuild.Core.Abstractions.BlobInfo;
using Microsoft.Extensions.Options;

namespace HybridBuild.Storage.Azure;

/// <summary>
/// Blobs as block blobs in one container. Writes (<see cref="AzureBlobWrite"/>) stream as blocks (memory: MaxConcurrency
/// blocks) committed at the end, so a blob appears whole or not at all; a write whose key is known only at its end
/// stages them on a temporary blob, copied into place at the commit. Reads are the SDK's seekable ranged reads, pinned to the blob's ETag.
/// </summary>
internal sealed class AzureBlobStore(BlobContainerClient container, IOptions<AzureStorageOptions> options) : IBlobStore
{
    private const string ProbeFolder = ".probe";
    private const string TempFolder = ".tmp";
    private const int ReadBufferSize = 4 << 20;
    private readonly AzureStorageOptions _options = options.Value;

    public Task<IBlobWrite> BeginWriteAsync(string? key, CancellationToken cancellationToken)
    {
        // a known key is written in place; otherwise blocks need a blob now: a temporary one, copied at the commit
        var upload = key is not null ? Blob(key) : container.GetBlobClient(Name($"{TempFolder}/{Guid.NewGuid():N}"));
        return Task.FromResult<IBlobWrite>(new AzureBlobWrite(container, Blob, upload, temporary: key is null,
            Math.Clamp(_options.BlockSizeMiB, 1, 4000) << 20, _options.MaxConcurrency));
    }

    public async Task<int> DeleteTemporariesAsync(DateTimeOffset startedBefore, CancellationToken cancellationToken)
    {
        var removed = 0;
        // uncommitted ones too: a write that died before its commit left only blocks
        await foreach (var item in container.GetBlobsAsync(BlobTraits.None, BlobStates.Uncommitted, Name(TempFolder) + "/", cancellationToken))
        {
            if ((item.Properties.LastModified ?? item.Properties.CreatedOn) is not { } modified || modified >= startedBefore) continue;
            await DiscardAsync(container.GetBlockBlobClient(item.Name), cancellationToken);
            removed++;
        }
        return removed;
    }

    /// <summary>
    /// Deletes a temporary, committed or not: a blob of uncommitted blocks only cannot be deleted (there is no blob yet,
    /// though Azurite lists one), so an empty block list is committed first, which discards those blocks.
    /// </summary>
    internal static async Task DiscardAsync(BlockBlobClient temporary, CancellationToken cancellationToken)
    {
        await temporary.CommitBlockListAsync([], cancellationToken: cancellationToken);
        await temporary.DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);
    }

    public async Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            return await Blob(key).OpenReadAsync(new BlobOpenReadOptions(allowModifications: false) { BufferSize = ReadBufferSize }, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public async Task<BlobInfo?> GetInfoAsync(string key, CancellationToken cancellationToken) =>
        await InfoAsync(Blob(key), cancellationToken) is { } properties ? new BlobInfo(key, properties.ContentLength, properties.LastModified) : null;

    public async Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        await Blob(key).DeleteIfExistsAsync(DeleteSnapshotsOption.IncludeSnapshots, cancellationToken: cancellationToken);

    public async Task<Uri?> GetDownloadUriAsync(string key, BlobDownload download, CancellationToken cancellationToken)
    {
        var blob = Blob(key);
        var sas = new BlobSasBuilder
        {
            BlobContainerName = container.Name, BlobName = blob.Name, Resource = "b",
            StartsOn = DateTimeOffset.UtcNow.AddMinutes(-5), // clock skew between this node and the storage service
            ExpiresOn = DateTimeOffset.UtcNow.Add(download.Lifetime),
            ContentDisposition = download.ContentDisposition, ContentType = download.ContentType,
            Protocol = blob.Uri.Scheme == Uri.UriSchemeHttps ? SasProtocol.Https : SasProtocol.HttpsAndHttp,
        };
        sas.SetPermissions(BlobSasPermissions.Read);
        if (blob.CanGenerateSasUri) return blob.GenerateSasUri(sas);
        // signed in with Microsoft Entra ID: a user delegation SAS, signed by a key the service hands out
        var service = container.GetParentBlobServiceClient();
        var delegation = await service.GetUserDelegationKeyAsync(sas.StartsOn, sas.ExpiresOn, cancellationToken);
        return new BlobUriBuilder(blob.Uri) { Sas = sas.ToSasQueryParameters(delegation.Value, service.AccountName) }.ToUri();
    }

    public async Task ProbeAsync(CancellationToken cancellationToken)
    {
        var probe = container.GetBlobClient(Name($"{ProbeFolder}/{Guid.NewGuid():N}"));
        await probe.UploadAsync(BinaryData.FromBytes([1]), cancellationToken);
        await probe.DeleteIfExistsAsync(cancellationToken: cancellationToken);
    }

    /// <summary>Creates the container unless it exists (Storage:Azure:CreateContainer).</summary>
    internal Task EnsureContainerAsync(CancellationToken cancellationToken) => container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);

    internal static async Task<BlobProperties?> InfoAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        try
        {
            return (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    private BlobClient Blob(string key)
    {
        BlobKeys.Validate(key);
        return container.GetBlobClient(Name(key));
    }

    private string Name(string key) => string.IsNullOrEmpty(_options.Prefix) ? key : _options.Prefix.TrimEnd('/') + "/" + key;
}
