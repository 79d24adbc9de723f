namespace HybridBuild.Cli.Api;

/// <summary>
/// An RFC 9457 answer of the service (or any other error answer), carried to the command's end where it is printed as
/// <c>error: title: detail</c> with the fields the problem names.
/// </summary>
internal sealed class ServiceProblem(int status, string title, string? detail, IReadOnlyList<string> fields) : Exception(title)
{
    public int Status { get; } = status;
    public string Title { get; } = title;
    public string? Detail { get; } = detail;
    /// <summary><c>field: message</c> lines from the problem's <c>errors</c> and <c>field</c>.</summary>
    public IReadOnlyList<string> Fields { get; } = fields;

    public static async Task<ServiceProblem> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await ReadCappedAsync(response, cancellationToken);
        var status = (int)response.StatusCode;
        JsonObject? problem = null;
        try { problem = JsonNode.Parse(body) as JsonObject; } catch (JsonException) { }
        if (problem is null)
        {
            var text = body.Length > 300 ? body[..300] + "…" : body;
            return new ServiceProblem(status, $"{status} {response.ReasonPhrase}", string.IsNullOrWhiteSpace(text) ? null : text.Trim(), []);
        }
        var fields = new List<string>();
        if (problem["errors"] is JsonObject errors)
            foreach (var (field, messages) in errors)
                foreach (var message in messages as JsonArray ?? [])
                    fields.Add($"{field}: {message}");
        if (problem["field"]?.ToString() is { } single && fields.Count == 0) fields.Add($"field: {single}");
        return new ServiceProblem(status, problem["title"]?.ToString() ?? $"{status} {response.ReasonPhrase}", problem["detail"]?.ToString(), fields);
    }

    /// <summary>At most the first 64 KiB of an error answer: a problem is small, and whatever answered may not be the service.</summary>
    private static async Task<string> ReadCappedAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[64 * 1024];
        var length = 0;
        for (int read; length < buffer.Length && (read = await body.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0;) length += read;
        return Encoding.UTF8.GetString(buffer, 0, length);
    }

    /// <summary>The lines printed on stderr.</summary>
    public IEnumerable<string> Describe()
    {
        var title = Title.TrimEnd('.'); // "The build spec is not valid." reads as one sentence with its detail
        yield return Detail is null ? $"error: {title}" : $"error: {title}: {Detail}";
        foreach (var field in Fields.Where(f => Detail?.Contains(f, StringComparison.Ordinal) != true)) yield return $"  {field}";
    }
}
