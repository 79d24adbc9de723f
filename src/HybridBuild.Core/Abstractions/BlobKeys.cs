namespace HybridBuild.Core.Abstractions;

/// <summary>The layout of keys in blob storage. Keys are derived from content or ids, so a retried write lands on the same key.</summary>
public static class BlobKeys
{
    /// <summary>Artifacts are stored by content: the same file built twice is stored once.</summary>
    public static string Artifact(string sha256) => $"artifacts/sha256/{sha256[..2]}/{sha256}";

    public static string Context(Guid buildId, bool gzip) => $"contexts/{buildId:N}.tar{(gzip ? ".gz" : "")}";

    /// <summary>
    /// Refuses a key that is not a plain relative path (<c>a/b/c</c>): empty, absolute, with empty, <c>.</c> or <c>..</c>
    /// segments, backslashes or NUL. Segments starting with a dot are the stores' own (temporary files, probes).
    /// </summary>
    /// <exception cref="ArgumentException">The key is not valid; the message quotes it.</exception>
    public static void Validate(string key)
    {
        if (string.IsNullOrWhiteSpace(key) || key.Length > 1024 || key.StartsWith('/') || key.Contains('\\') || key.Contains('\0')
            || key.Split('/').Any(s => s.Length == 0 || s[0] == '.'))
            throw new ArgumentException($"'{Quote(key)}' is not a valid blob key.", nameof(key));
    }

    private static string Quote(string key) => key.Length <= 80 ? key : key[..80] + "...";
}
