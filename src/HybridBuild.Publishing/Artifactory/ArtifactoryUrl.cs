using System.Text;

namespace HybridBuild.Publishing.Artifactory;

/// <summary>
/// Builds deploy URLs: <c>{url}/{repo}/{path};key=v1,v2;key2=v3</c>. Every path segment, key and value is
/// percent-encoded as UTF-8 (RFC 3986 unreserved characters only stay as they are), so <c>;</c>, <c>=</c>,
/// <c>,</c>, <c>+</c>, <c>/</c> and spaces inside a key or value cannot be taken for separators; Artifactory
/// URL-decodes each key and value after splitting on the literal separators. Several values of one key are
/// joined with a literal comma, Artifactory's documented multi-value form.
/// </summary>
internal static class ArtifactoryUrl
{
    /// <summary>The artifact's URL without properties: the fallback download URL.</summary>
    public static Uri Artifact(Uri baseUrl, string repository, string path)
    {
        var url = new StringBuilder(baseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/'));
        url.Append('/').Append(Uri.EscapeDataString(repository));
        foreach (var segment in Segments(path))
            url.Append('/').Append(Uri.EscapeDataString(segment));
        return new Uri(url.ToString());
    }

    /// <summary>The deploy URL: the artifact's URL with the properties as matrix parameters, in key order.</summary>
    public static Uri Deploy(Uri baseUrl, string repository, string path, IReadOnlyDictionary<string, IReadOnlyList<string>> properties)
    {
        var url = new StringBuilder(Artifact(baseUrl, repository, path).AbsoluteUri);
        foreach (var (key, values) in properties.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (string.IsNullOrEmpty(key))
                throw new ArgumentException("A property key is empty.", nameof(properties));
            if (values is null || values.Count == 0)
                throw new ArgumentException($"Property '{key}' has no value.", nameof(properties));
            url.Append(';').Append(Uri.EscapeDataString(key)).Append('=');
            for (var i = 0; i < values.Count; i++)
            {
                if (i > 0) url.Append(',');
                url.Append(Uri.EscapeDataString(values[i] ?? ""));
            }
        }
        return new Uri(url.ToString());
    }

    /// <summary>Splits a repository path into segments, refusing anything that is not a plain relative file path.</summary>
    public static string[] Segments(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var segments = path.TrimStart('/').Split('/');
        foreach (var segment in segments)
        {
            if (segment.Length == 0 || segment is "." or "..")
                throw new ArgumentException($"'{path}' is not a plain relative file path.", nameof(path));
            if (segment.Any(char.IsControl))
                throw new ArgumentException($"'{path}' contains a control character.", nameof(path));
        }
        return segments;
    }
}
