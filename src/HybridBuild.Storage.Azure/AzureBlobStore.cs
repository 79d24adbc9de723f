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
/// Blobs as block blobs in one container. Uploads stream as blocks (memory: MaxConcurrency blocks) committed at the
/// end, so a blob appears whole or not at all. Reads are the SDK's seekable ranged reads, pinned to the blob's ETag.
/// </summary>
internal sealed class AzureBlobStore(BlobContainerClient container, IOptions<AzureStorageOptions> options) : IBlobStore
{
    private const string ProbeFolder = ".probe";
    private const int ReadBufferSize = 4 << 20;
    private readonly AzureStorageOptions _options = options.Value;

    public async Task<PutResult> PutAsync(string key, Stream content, CancellationToken cancellationToken)
    {
        var blob = Blob(key);
        if (await InfoAsync(blob, cancellationToken) is not null) return PutResult.AlreadyExists;
        var blockSize = Math.Clamp(_options.BlockSizeMiB, 1, 4000) << 20;
        // no If-None-Match: keys are content-derived, so a writer racing past the check above writes the same bytes;
        // and Azurite counts a failed upload's uncommitted blocks as a blob, which the condition would then refuse
        try
        {
            await blob.UploadAsync(content, new BlobUploadOptions
            {
                TransferOptions = new StorageTransferOptions
                {
                    InitialTransferSize = blockSize, MaximumTransferSize = blockSize, MaximumConcurrency = Math.Max(1, _options.MaxConcurrency),
                },
            }, cancellationToken);
            return PutResult.Created;
        }
        catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.InvalidBlockList)
        {
            // a concurrent writer of the same key committed first, which discarded our blocks
            if (await InfoAsync(blob, cancellationToken) is null) throw;
            return PutResult.AlreadyExists;
        }
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

    private static async Task<BlobProperties?> InfoAsync(BlobClient blob, CancellationToken cancellationToken)
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
