namespace HybridBuild.Api.Tests.Infrastructure;

/// <summary>An <c>oci</c> or <c>docker</c> output's <c>image.tar</c>, downloaded over HTTP and read entry by entry.</summary>
public sealed class ImageTarball
{
    private readonly Dictionary<string, byte[]> _entries;

    private ImageTarball(byte[] content, Dictionary<string, byte[]> entries)
    {
        Content = content;
        _entries = entries;
    }

    public byte[] Content { get; }

    public IReadOnlyCollection<string> Names => _entries.Keys;

    /// <summary>Downloads the stage's <c>image.tar</c> artifact (failing unless it is there) and reads it.</summary>
    public static async Task<ImageTarball> DownloadAsync(HttpClient client, Guid buildId, string stage)
    {
        using var response = await client.GetAsync($"/api/v1/builds/{buildId}/artifacts/{stage}/{StageOutput.ImageTarball}");
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"image.tar of {stage}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        var content = await response.Content.ReadAsByteArrayAsync();
        var entries = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        using var reader = new TarReader(new MemoryStream(content));
        while (reader.GetNextEntry() is { } entry)
        {
            if (entry.DataStream is null) continue;
            using var data = new MemoryStream();
            entry.DataStream.CopyTo(data);
            entries[entry.Name.TrimStart('.', '/')] = data.ToArray();
        }
        return new ImageTarball(content, entries);
    }

    public JsonNode Json(string name)
    {
        Assert.True(_entries.ContainsKey(name), $"the tarball has no {name}; it has: {string.Join(", ", _entries.Keys)}");
        return JsonNode.Parse(_entries[name])!;
    }

    /// <summary>A blob of the layout by its digest (<c>sha256:…</c>).</summary>
    public JsonNode Blob(string digest) => Json($"blobs/{digest.Replace(':', '/')}");

    /// <summary>The image's index: index.json's own entry when that is an index (several platforms, or attestations), else index.json.</summary>
    public JsonNode ImageIndex()
    {
        var top = Json("index.json");
        var first = top["manifests"]!.AsArray().Single()!;
        return first["mediaType"]!.GetValue<string>().EndsWith("image.index.v1+json", StringComparison.Ordinal) ? Blob(first["digest"]!.GetValue<string>()) : top;
    }

    /// <summary>The image manifests of the index (one per platform), without attestation manifests.</summary>
    public static List<JsonNode> PlatformManifests(JsonNode index) =>
        [.. index["manifests"]!.AsArray().Where(m => !IsAttestation(m!)).Select(m => m!)];

    /// <summary>The attestation manifests of the index (BuildKit's <c>vnd.docker.reference.type: attestation-manifest</c>).</summary>
    public static List<JsonNode> AttestationManifests(JsonNode index) =>
        [.. index["manifests"]!.AsArray().Where(m => IsAttestation(m!)).Select(m => m!)];

    private static bool IsAttestation(JsonNode manifest) =>
        manifest["annotations"]?["vnd.docker.reference.type"]?.GetValue<string>() == "attestation-manifest";
}
