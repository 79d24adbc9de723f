using System.Text.Json;
using HybridBuild.Core.Abstractions;

namespace HybridBuild.Publishing.Oci;

/// <summary>
/// Turns a refused request into a <see cref="PublishException"/> naming the registry, the repository and the
/// registry's own error (the distribution spec's <c>{"errors":[{"code","message"}]}</c>).
/// </summary>
internal static class RegistryError
{
    private const int MaxBody = 16 * 1024;

    public static async Task<PublishException> FromAsync(HttpResponseMessage response, RegistryClient registry, string what, CancellationToken ct)
    {
        var serverMessage = await ReadMessageAsync(response, ct);
        var status = (int)response.StatusCode;
        var message = $"{what} failed at registry {registry.Registry}, repository {registry.Repository}: HTTP {status} {response.ReasonPhrase}"
            + (serverMessage is null ? "" : $": {serverMessage}")
            + (status is 401 or 403 ? $" ({registry.AuthHint})" : "");
        return new PublishException(message, status, serverMessage);
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

    private static async Task<string?> ReadMessageAsync(HttpResponseMessage response, CancellationToken ct)
    {
        string text;
        try
        {
            // bounded: an error page is no reason to read a whole body into memory
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            var buffer = new byte[MaxBody];
            var length = 0;
            int read;
            while (length < buffer.Length && (read = await body.ReadAsync(buffer.AsMemory(length), ct)) > 0) length += read;
            text = System.Text.Encoding.UTF8.GetString(buffer, 0, length).Trim();
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            return null;
        }
        if (text.Length == 0) return null;
        try
        {
            using var json = JsonDocument.Parse(text);
            if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("errors", out var errors)
                && errors.ValueKind == JsonValueKind.Array)
            {
                var parts = errors.EnumerateArray()
                    .Select(e => (Code: Str(e, "code"), Message: Str(e, "message")))
                    .Where(e => e.Code is not null || e.Message is not null)
                    .Select(e => e.Code is null ? e.Message! : e.Message is null ? e.Code : $"{e.Code}: {e.Message}")
                    .ToList();
                if (parts.Count > 0) return string.Join("; ", parts);
            }
            // token services answer {"details": "..."} or OAuth2's {"error_description": "..."}
            foreach (var name in new[] { "details", "error_description", "message", "error" })
                if (json.RootElement.ValueKind == JsonValueKind.Object && Str(json.RootElement, name) is { } value)
                    return value;
        }
        catch (JsonException)
        {
        }
        return text.Length > 300 ? text[..300] + "..." : text;
    }

    private static string? Str(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
