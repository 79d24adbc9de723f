namespace HybridBuild.Publishing.Artifactory;

/// <summary>Reads Artifactory's answers: the 201 "item created" body and the <c>errors</c> body.</summary>
internal static class ArtifactoryResponses
{
    private const int MaxMessageLength = 1000;

    /// <summary>The created item's <c>downloadUri</c> and <c>checksums.sha256</c>, where the body has them.</summary>
    public static (Uri? DownloadUri, string? Sha256) ReadCreated(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            var root = json.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return (null, null);
            Uri? downloadUri = null;
            if (root.TryGetProperty("downloadUri", out var d) && d.ValueKind == JsonValueKind.String
                && Uri.TryCreate(d.GetString(), UriKind.Absolute, out var parsed))
                downloadUri = parsed;
            string? sha256 = null;
            if (root.TryGetProperty("checksums", out var c) && c.ValueKind == JsonValueKind.Object
                && c.TryGetProperty("sha256", out var s) && s.ValueKind == JsonValueKind.String)
                sha256 = s.GetString();
            return (downloadUri, sha256);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    /// <summary>
    /// The server's own words: the <c>errors[].message</c> of Artifactory's JSON error body, joined; otherwise the
    /// body's text, shortened; null when the body is empty.
    /// </summary>
    public static string? ReadErrorMessage(string body)
    {
        if (string.IsNullOrWhiteSpace(body)) return null;
        try
        {
            using var json = JsonDocument.Parse(body);
            if (json.RootElement.ValueKind == JsonValueKind.Object
                && json.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
            {
                var messages = errors.EnumerateArray()
                    .Where(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String)
                    .Select(e => e.GetProperty("message").GetString()!)
                    .ToList();
                if (messages.Count > 0) return Shorten(string.Join("; ", messages));
            }
        }
        catch (JsonException)
        {
            // not JSON (a proxy's HTML page, plain text): the text itself is the best message there is
        }
        return Shorten(body.Trim());
    }

    private static string Shorten(string text) => text.Length <= MaxMessageLength ? text : text[..MaxMessageLength] + "…";
}
