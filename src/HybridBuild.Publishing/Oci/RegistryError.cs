namespace HybridBuild.Publishing.Oci;

/// <summary>
/// Turns a refused request into a <see cref="PublishException"/> naming the registry, the repository, the status and
/// the registry's error code (the distribution spec's <c>{"errors":[{"code"}]}</c>, or OAuth2's <c>error</c>). The
/// body itself is never quoted: it is the upstream's text, which could carry anything into a publication record.
/// </summary>
internal static class RegistryError
{
    private const int MaxBody = 16 * 1024;
    private const int MaxCode = 64;

    public static async Task<PublishException> FromAsync(HttpResponseMessage response, RegistryClient registry, string what, CancellationToken ct)
    {
        var code = await ReadCodeAsync(response, ct);
        var status = (int)response.StatusCode;
        var message = $"{what} failed at registry {registry.Registry}, repository {registry.Repository}: HTTP {status}"
            + (code is null ? "" : $" {code}")
            + (status is 401 or 403 ? $" ({registry.AuthHint})" : "");
        return new PublishException(message, status, code);
    }

    /// <summary>
    /// A HEAD answer has no body to carry the registry's error, so the same URL is asked with GET for it (only
    /// the headers and an error body are read; a successful GET is closed unread).
    /// </summary>
    public static async Task<PublishException> FromHeadAsync(HttpResponseMessage head, RegistryClient registry, Uri url, string what, CancellationToken ct)
    {
        using var get = await registry.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, url), what, ct);
        return await FromAsync(get.IsSuccessStatusCode ? head : get, registry, what, ct);
    }

    private static async Task<string?> ReadCodeAsync(HttpResponseMessage response, CancellationToken ct)
    {
        byte[] text;
        try
        {
            // bounded: an error page is no reason to read a whole body into memory
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            var buffer = new byte[MaxBody];
            var length = 0;
            int read;
            while (length < buffer.Length && (read = await body.ReadAsync(buffer.AsMemory(length), ct)) > 0) length += read;
            text = buffer[..length];
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            return null;
        }
        try
        {
            using var json = JsonDocument.Parse(text);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            var code = root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array && errors.GetArrayLength() > 0
                ? Str(errors[0], "code")
                : Str(root, "error");
            return code is null || Printable.Clip(code, MaxCode) is not { Length: > 0 } clean ? null : clean;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Str(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
