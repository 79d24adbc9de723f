namespace HybridBuild.Publishing.Oci;

/// <summary>Reads manifests from a registry (digest-checked, size-capped) and writes them byte for byte.</summary>
internal static class ManifestTransfer
{
    public static async Task<OciManifest> GetAsync(RegistryClient registry, string reference, int maxBytes, CancellationToken ct)
    {
        var what = $"Reading manifest {reference}";
        using var response = await registry.SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Get, registry.Url($"manifests/{reference}"));
            foreach (var type in OciManifest.Accepted) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
            return request;
        }, what, ct);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            var error = await RegistryError.FromAsync(response, registry, what, ct);
            throw new PublishException($"Manifest '{reference}' was not found in registry {registry.Registry}, repository {registry.Repository}: {error.ServerMessage ?? "HTTP 404"}", 404, error.ServerMessage);
        }
        if (!response.IsSuccessStatusCode) throw await RegistryError.FromAsync(response, registry, what, ct);

        var bytes = await ReadBoundedAsync(response.Content, maxBytes, registry, what, ct);
        OciManifest manifest;
        try
        {
            manifest = OciManifest.Parse(bytes, response.Content.Headers.ContentType?.MediaType);
        }
        catch (FormatException e)
        {
            throw new PublishException($"{what} from registry {registry.Registry}, repository {registry.Repository}: {Printable.Clip(e.Message, 200)}.", (int)response.StatusCode, null);
        }
        // by digest, the bytes must be the ones asked for; by tag, the registry's own digest header must agree
        var expected = OciDigest.IsValid(reference) ? reference
            : response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.FirstOrDefault() : null;
        if (expected is not null && expected != manifest.Digest)
            throw new PublishException($"{what} from registry {registry.Registry}, repository {registry.Repository}: the bytes hash to {manifest.Digest}, not {Printable.Clip(expected, 80)}.", (int)response.StatusCode, null);
        return manifest;
    }

    public static async Task<bool> ExistsAsync(RegistryClient registry, string digest, CancellationToken ct)
    {
        var url = registry.Url($"manifests/{digest}");
        using var response = await registry.SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Head, url);
            foreach (var type in OciManifest.Accepted) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(type));
            return request;
        }, $"Checking manifest {digest}", ct);
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        if (response.IsSuccessStatusCode) return true;
        throw await RegistryError.FromHeadAsync(response, registry, url, $"Checking manifest {digest}", ct);
    }

    public static async Task PutAsync(RegistryClient registry, OciManifest manifest, string reference, CancellationToken ct)
    {
        var what = $"Writing manifest {manifest.Digest} as '{reference}'";
        using var response = await registry.SendAsync(() =>
        {
            var content = new ByteArrayContent(manifest.Bytes);
            content.Headers.ContentType = new MediaTypeHeaderValue(manifest.MediaType);
            return new HttpRequestMessage(HttpMethod.Put, registry.Url($"manifests/{reference}")) { Content = content };
        }, what, ct);
        if (response.StatusCode != HttpStatusCode.Created) throw await RegistryError.FromAsync(response, registry, what, ct);
        if (response.Headers.TryGetValues("Docker-Content-Digest", out var values) && values.FirstOrDefault() is { } stored && stored != manifest.Digest)
            throw new PublishException($"{what}: registry {registry.Registry}, repository {registry.Repository} stored it as {Printable.Clip(stored, 80)}.", 201, null);
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpContent content, int maxBytes, RegistryClient registry, string what, CancellationToken ct)
    {
        if (content.Headers.ContentLength > maxBytes)
            throw new PublishException($"{what} from registry {registry.Registry}, repository {registry.Repository}: {content.Headers.ContentLength} bytes is more than the {maxBytes} accepted for a manifest.", null, null);
        await using var body = await content.ReadAsStreamAsync(ct);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > maxBytes)
                throw new PublishException($"{what} from registry {registry.Registry}, repository {registry.Repository}: more than the {maxBytes} bytes accepted for a manifest.", null, null);
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
