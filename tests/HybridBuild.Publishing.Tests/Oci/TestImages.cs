using System.Formats.Tar;
using System.IO.Compression;
using System.Net.Http.Headers;
using HybridBuild.Core.Network;

namespace HybridBuild.Publishing.Tests.Oci;

/// <summary>A blob or manifest pushed by a test, with what it hashes to.</summary>
public sealed record PushedContent(string Digest, string MediaType, long Size);

/// <summary>An image pushed by a test: its manifest and every blob and child manifest it references.</summary>
public sealed record PushedImage(PushedContent Manifest, IReadOnlyList<PushedContent> Blobs, IReadOnlyList<PushedContent> Children);

/// <summary>
/// Puts real OCI images into a registry through its HTTP API, as a client like buildx would: a config, gzip
/// tar layers generated here, an image manifest, and for a multi-platform image an index over two of those.
/// </summary>
public static class TestImages
{
    public const string OciImage = "application/vnd.oci.image.manifest.v1+json";
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string DockerList = "application/vnd.docker.distribution.manifest.list.v2+json";

    private sealed record Flavour(string Index, string Image, string Config, string Layer);

    private static readonly Flavour Oci = new(OciIndex, OciImage,
        "application/vnd.oci.image.config.v1+json", "application/vnd.oci.image.layer.v1.tar+gzip");

    private static readonly Flavour Docker = new(DockerList, "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.container.image.v1+json", "application/vnd.docker.image.rootfs.diff.tar.gzip");

    /// <summary>An image with a config and one layer per entry of <paramref name="layerSizes"/> (random, so unique).</summary>
    public static Task<PushedImage> PushImageAsync(HttpClient registry, string repository, string? tag,
        string architecture = "amd64", params int[] layerSizes) =>
        PushImageAsync(registry, repository, tag, architecture, Oci, layerSizes);

    private static async Task<PushedImage> PushImageAsync(HttpClient registry, string repository, string? tag,
        string architecture, Flavour types, int[] layerSizes)
    {
        if (layerSizes.Length == 0) layerSizes = [2048, 4096];
        var layers = new List<PushedContent>();
        var diffIds = new List<string>();
        foreach (var size in layerSizes)
        {
            var (gzipped, diffId) = Layer(size);
            layers.Add(await PushBlobAsync(registry, repository, gzipped, types.Layer));
            diffIds.Add(diffId);
        }
        var config = JsonSerializer.SerializeToUtf8Bytes(new
        {
            architecture,
            os = "linux",
            config = new { Cmd = new[] { "/hello" } },
            rootfs = new { type = "layers", diff_ids = diffIds },
        });
        var configBlob = await PushBlobAsync(registry, repository, config, types.Config);
        var manifest = JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = types.Image,
            config = Descriptor(configBlob),
            layers = layers.Select(Descriptor),
        });
        var pushed = await PushManifestAsync(registry, repository, tag ?? Digest(manifest), manifest, types.Image);
        return new PushedImage(pushed, [configBlob, .. layers], []);
    }

    /// <summary>An index over an amd64 and an arm64 image, tagged <paramref name="tag"/>.</summary>
    /// <remarks>With <paramref name="docker"/>, a Docker v2 manifest list over Docker v2 schema 2 manifests.</remarks>
    public static async Task<PushedImage> PushIndexAsync(HttpClient registry, string repository, string tag, bool docker = false)
    {
        var types = docker ? Docker : Oci;
        var amd64 = await PushImageAsync(registry, repository, null, "amd64", types, [3000]);
        var arm64 = await PushImageAsync(registry, repository, null, "arm64", types, [5000, 1000]);
        var index = JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = types.Index,
            manifests = new[]
            {
                new { mediaType = types.Image, digest = amd64.Manifest.Digest, size = amd64.Manifest.Size, platform = new { architecture = "amd64", os = "linux" } },
                new { mediaType = types.Image, digest = arm64.Manifest.Digest, size = arm64.Manifest.Size, platform = new { architecture = "arm64", os = "linux" } },
            },
        });
        var pushed = await PushManifestAsync(registry, repository, tag, index, types.Index);
        return new PushedImage(pushed, [.. amd64.Blobs, .. arm64.Blobs], [amd64.Manifest, arm64.Manifest]);
    }

    /// <summary>
    /// A one-layer OCI image as a test registry serves it: its manifest, and its config and layer by digest, the layer's
    /// bytes being <paramref name="served"/> when given (content that misses the digest the manifest names).
    /// </summary>
    public static (byte[] Manifest, Dictionary<string, byte[]> Blobs) OneLayerImage(byte[] layer, byte[]? served = null)
    {
        var config = Encoding.UTF8.GetBytes("""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}""");
        var blobs = new Dictionary<string, byte[]> { [Digest(config)] = config, [Digest(layer)] = served ?? layer };
        var manifest = JsonSerializer.SerializeToUtf8Bytes(new
        {
            schemaVersion = 2,
            mediaType = OciImage,
            config = new { mediaType = "application/vnd.oci.image.config.v1+json", digest = Digest(config), size = config.Length },
            layers = new[] { new { mediaType = "application/vnd.oci.image.layer.v1.tar+gzip", digest = Digest(layer), size = layer.Length } },
        });
        return (manifest, blobs);
    }

    public static string Digest(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static object Descriptor(PushedContent content) => new { mediaType = content.MediaType, digest = content.Digest, size = content.Size };

    /// <summary>A gzip tar holding one file of random bytes, and the sha256 of the uncompressed tar (its diff id).</summary>
    private static (byte[] Gzipped, string DiffId) Layer(int size)
    {
        var tar = new MemoryStream();
        using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
        {
            var entry = new PaxTarEntry(TarEntryType.RegularFile, "hello") { DataStream = new MemoryStream(RandomNumberGenerator.GetBytes(size)) };
            writer.WriteEntry(entry);
        }
        var gzipped = new MemoryStream();
        using (var gzip = new GZipStream(gzipped, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(tar.ToArray());
        return (gzipped.ToArray(), Digest(tar.ToArray()));
    }

    public static async Task<PushedContent> PushBlobAsync(HttpClient registry, string repository, byte[] bytes, string mediaType)
    {
        var digest = Digest(bytes);
        using var started = await registry.PostAsync($"/v2/{repository}/blobs/uploads/", null);
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);
        var location = new Uri(registry.BaseAddress!, started.Headers.Location!);
        var separator = location.Query.Length > 0 ? "&" : "?";
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var done = await registry.PutAsync($"{location}{separator}digest={digest}", content);
        Assert.True(done.StatusCode == HttpStatusCode.Created, $"pushing a test blob: {(int)done.StatusCode} {await done.Content.ReadAsStringAsync()}");
        return new PushedContent(digest, mediaType, bytes.Length);
    }

    public static async Task<PushedContent> PushManifestAsync(HttpClient registry, string repository, string reference, byte[] bytes, string mediaType)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        using var response = await registry.PutAsync($"/v2/{repository}/manifests/{reference}", content);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"pushing a test manifest: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return new PushedContent(Digest(bytes), mediaType, bytes.Length);
    }

    /// <summary>The manifest bytes a registry holds for a reference, or null when it has none.</summary>
    public static async Task<(byte[] Bytes, string? DigestHeader)?> GetManifestAsync(HttpClient registry, string repository, string reference)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v2/{repository}/manifests/{reference}");
        foreach (var type in new[] { OciIndex, OciImage, DockerList, Docker.Image }) request.Headers.Accept.ParseAdd(type);
        using var response = await registry.SendAsync(request);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        Assert.True(response.IsSuccessStatusCode, $"reading a manifest: {(int)response.StatusCode}");
        var header = response.Headers.TryGetValues("Docker-Content-Digest", out var values) ? values.First() : null;
        return (await response.Content.ReadAsByteArrayAsync(), header);
    }

    public static async Task<HttpStatusCode> HeadBlobAsync(HttpClient registry, string repository, string digest)
    {
        using var response = await registry.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"/v2/{repository}/blobs/{digest}"));
        return response.StatusCode;
    }

    /// <summary>A repository name no other test uses.</summary>
    public static string Repository(string what) => $"hybridbuild/{what}-{Guid.NewGuid():N}";
}

/// <summary>
/// Records every request a copier sends, to count uploads and to show where it connected; redirects reach the
/// copier unfollowed, as the service's handler is configured.
/// </summary>
public sealed class RecordingHandler() : DelegatingHandler(new SocketsHttpHandler { AllowAutoRedirect = false })
{
    /// <summary>The service's default outbound policy (link-local and metadata addresses refused), or only <paramref name="allowed"/>.</summary>
    public static OutboundPolicy Policy(params string[] allowed) =>
        new(Microsoft.Extensions.Options.Options.Create(new NetworkOptions { AllowedHosts = [.. allowed] }));

    private readonly List<(HttpMethod Method, Uri Url)> _requests = [];

    public IReadOnlyList<(HttpMethod Method, Uri Url)> Requests
    {
        get { lock (_requests) return _requests.ToList(); }
    }

    public int Count(HttpMethod method, string pathContains) =>
        Requests.Count(r => r.Method == method && r.Url.AbsolutePath.Contains(pathContains, StringComparison.Ordinal));

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        lock (_requests) _requests.Add((request.Method, request.RequestUri!));
        return base.SendAsync(request, cancellationToken);
    }
}
