namespace HybridBuild.Publishing.Oci;

/// <summary>A blob or manifest a manifest points at.</summary>
/// <param name="Foreign">Has <c>urls</c>: a layer the registry does not hold (Windows base layers), never copied.</param>
internal sealed record OciDescriptor(string MediaType, string Digest, long Size, bool Foreign);

/// <summary>
/// A manifest exactly as the registry sent it (its bytes are what gets pushed, so the digest stays the same) and
/// what it references: an index's child manifests, or a single manifest's config and layers.
/// </summary>
internal sealed record OciManifest(string MediaType, string Digest, byte[] Bytes, IReadOnlyList<OciDescriptor> Children, IReadOnlyList<OciDescriptor> Blobs)
{
    public const string OciIndex = "application/vnd.oci.image.index.v1+json";
    public const string OciImage = "application/vnd.oci.image.manifest.v1+json";
    public const string DockerList = "application/vnd.docker.distribution.manifest.list.v2+json";
    public const string DockerImage = "application/vnd.docker.distribution.manifest.v2+json";

    public static readonly string[] Accepted = [OciIndex, OciImage, DockerList, DockerImage];

    public bool IsIndex => MediaType is OciIndex or DockerList;

    /// <summary>Reads a manifest; <paramref name="contentType"/> decides when the document names no media type.</summary>
    /// <exception cref="FormatException">Not JSON, an unsupported media type, or a digest that is not sha256.</exception>
    public static OciManifest Parse(byte[] bytes, string? contentType)
    {
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw new FormatException($"the manifest is not JSON ({e.Message})");
        }
        using (json)
        {
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new FormatException("the manifest is not a JSON object");
            var mediaType = String(root, "mediaType") ?? contentType;
            // an OCI index or image without mediaType is valid; tell them apart by their fields
            if (mediaType is null or "application/json")
                mediaType = root.TryGetProperty("manifests", out _) ? OciIndex : OciImage;
            if (!Accepted.Contains(mediaType))
                throw new FormatException($"the manifest's media type '{mediaType}' is not supported (OCI or Docker v2 schema 2 only)");

            var children = new List<OciDescriptor>();
            var blobs = new List<OciDescriptor>();
            if (mediaType is OciIndex or DockerList)
            {
                children.AddRange(Descriptors(root, "manifests"));
            }
            else
            {
                if (!root.TryGetProperty("config", out var config)) throw new FormatException("the image manifest has no config");
                blobs.Add(Descriptor(config));
                blobs.AddRange(Descriptors(root, "layers"));
            }
            return new OciManifest(mediaType, OciDigest.Of(bytes), bytes, children, blobs);
        }
    }

    private static IEnumerable<OciDescriptor> Descriptors(JsonElement root, string name) =>
        root.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array
            ? array.EnumerateArray().Select(Descriptor).ToList()
            : [];

    private static OciDescriptor Descriptor(JsonElement element)
    {
        var digest = String(element, "digest");
        if (!OciDigest.IsValid(digest)) throw new FormatException($"a descriptor's digest '{digest}' is not a sha256 digest");
        if (!element.TryGetProperty("size", out var sizeElement) || !sizeElement.TryGetInt64(out var size) || size < 0)
            throw new FormatException($"the descriptor of {digest} has no valid size");
        var foreign = element.TryGetProperty("urls", out var urls) && urls.ValueKind == JsonValueKind.Array && urls.GetArrayLength() > 0;
        return new OciDescriptor(String(element, "mediaType") ?? "", digest!, size, foreign);
    }

    private static string? String(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
