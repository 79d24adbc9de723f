namespace HybridBuild.Publishing.Oci;

/// <summary>
/// Copies one blob from the source repository to the destination unless the destination has it: HEAD first, then
/// a cross-repository mount when both are on one registry, else an upload streamed from the source
/// (one PUT, or PATCH chunks then PUT) with the digest checked on the way through.
/// </summary>
internal sealed class BlobCopier(RegistryClient source, RegistryClient destination, bool sameRegistry, OciCopyOptions options, CopyTally tally)
{
    private const string OctetStream = "application/octet-stream";

    public async Task CopyAsync(OciDescriptor blob, CancellationToken ct)
    {
        if (await ExistsAsync(blob, ct))
        {
            tally.BlobsSkipped++;
            return;
        }
        var mountFrom = sameRegistry && source.Repository != destination.Repository ? source.Repository : null;
        var query = mountFrom is null ? "" : $"?mount={Uri.EscapeDataString(blob.Digest)}&from={Uri.EscapeDataString(mountFrom)}";
        using var started = await destination.SendAsync(
            () => new HttpRequestMessage(HttpMethod.Post, destination.Url("blobs/uploads/" + query)) { Content = new ByteArrayContent([]) },
            $"Starting the upload of blob {blob.Digest}", ct);
        if (started.StatusCode == HttpStatusCode.Created && mountFrom is not null)
        {
            tally.BlobsMounted++;
            return;
        }
        // 202 also answers a mount the registry would not do (no access to the source): upload into that session
        if (started.StatusCode != HttpStatusCode.Accepted || started.Headers.Location is null)
            throw await RegistryError.FromAsync(started, destination, $"Starting the upload of blob {blob.Digest}", ct);
        await UploadAsync(blob, destination.Resolve(started.Headers.Location), ct);
        tally.BlobsUploaded++;
        tally.BytesUploaded += blob.Size;
    }

    private async Task<bool> ExistsAsync(OciDescriptor blob, CancellationToken ct)
    {
        var url = destination.Url($"blobs/{blob.Digest}");
        using var response = await destination.SendAsync(() => new HttpRequestMessage(HttpMethod.Head, url), $"Checking blob {blob.Digest}", ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        if (response.IsSuccessStatusCode) return true;
        throw await RegistryError.FromHeadAsync(response, destination, url, $"Checking blob {blob.Digest}", ct);
    }

    private async Task UploadAsync(OciDescriptor blob, Uri location, CancellationToken ct)
    {
        using var download = await source.SendAsync(
            () => new HttpRequestMessage(HttpMethod.Get, source.Url($"blobs/{blob.Digest}")), $"Reading blob {blob.Digest}", ct);
        if (!download.IsSuccessStatusCode)
            throw await RegistryError.FromAsync(download, source, $"Reading blob {blob.Digest}", ct);
        if (download.Content.Headers.ContentLength is { } length && length != blob.Size)
            throw new PublishException($"Reading blob {blob.Digest} from registry {source.Registry}, repository {source.Repository}: it is {length} bytes, its descriptor says {blob.Size}.", (int)download.StatusCode, null);

        await using var verified = new VerifyingStream(await download.Content.ReadAsStreamAsync(ct), blob.Digest, blob.Size);
        try
        {
            if (blob.Size > options.ChunkSize)
                location = await PatchChunksAsync(blob, verified, location, ct);
            HttpContent body = blob.Size > options.ChunkSize ? new ByteArrayContent([]) : Content(verified, blob.Size, null);
            using var done = await destination.SendAsync(
                () => new HttpRequestMessage(HttpMethod.Put, WithDigest(location, blob.Digest)) { Content = body },
                $"Uploading blob {blob.Digest}", ct, replayable: false);
            if (done.StatusCode != HttpStatusCode.Created)
                throw await RegistryError.FromAsync(done, destination, $"Uploading blob {blob.Digest}", ct);
        }
        catch (Exception e) when (RegistryClient.IsBadContent(e))
        {
            var bad = e;
            while (bad is not InvalidDataException) bad = bad.InnerException!;
            throw new PublishException($"Copying blob {blob.Digest} from registry {source.Registry}, repository {source.Repository}: {bad.Message}; nothing was committed.", null, null, e);
        }
        if (!verified.Verified)
            throw new PublishException($"Copying blob {blob.Digest}: the upload ended before the whole blob was read.", null, null);
    }

    /// <summary>Sends the blob in chunks; returns the session URL the final PUT goes to.</summary>
    private async Task<Uri> PatchChunksAsync(OciDescriptor blob, Stream verified, Uri location, CancellationToken ct)
    {
        for (long offset = 0; offset < blob.Size; offset += options.ChunkSize)
        {
            var length = Math.Min(options.ChunkSize, blob.Size - offset);
            var chunk = Content(new BoundedStream(verified, length), length, $"{offset}-{offset + length - 1}");
            var at = location;
            using var response = await destination.SendAsync(
                () => new HttpRequestMessage(HttpMethod.Patch, at) { Content = chunk },
                $"Uploading blob {blob.Digest} (bytes {offset}-{offset + length - 1})", ct, replayable: false);
            if (response.StatusCode != HttpStatusCode.Accepted || response.Headers.Location is null)
                throw await RegistryError.FromAsync(response, destination, $"Uploading blob {blob.Digest} (bytes {offset}-{offset + length - 1})", ct);
            location = destination.Resolve(response.Headers.Location);
        }
        return location;
    }

    private static StreamContent Content(Stream stream, long length, string? range)
    {
        var content = new StreamContent(stream, 81920);
        content.Headers.ContentType = new MediaTypeHeaderValue(OctetStream);
        content.Headers.ContentLength = length;
        // the distribution spec's chunk range is "start-end" inclusive, without the "bytes " unit
        if (range is not null) content.Headers.TryAddWithoutValidation("Content-Range", range);
        return content;
    }

    private static Uri WithDigest(Uri location, string digest)
    {
        var builder = new UriBuilder(location);
        var query = builder.Query.TrimStart('?');
        builder.Query = (query.Length == 0 ? "" : query + "&") + "digest=" + Uri.EscapeDataString(digest);
        return builder.Uri;
    }
}

/// <summary>Counts what one copy did, for <see cref="CopiedImage"/>.</summary>
internal sealed class CopyTally
{
    public int ManifestsPushed { get; set; }
    public int BlobsUploaded { get; set; }
    public int BlobsMounted { get; set; }
    public int BlobsSkipped { get; set; }
    public long BytesUploaded { get; set; }
}
