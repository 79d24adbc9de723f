namespace HybridBuild.Core.Specs;

/// <summary>Checks and redacts git repository URLs.</summary>
public static class GitUrl
{
    private static readonly string[] AllowedSchemes = ["https", "http", "ssh", "git"];

    /// <summary>Returns null when the URL is acceptable, else why not.</summary>
    public static string? Check(string? url)
    {
        if (string.IsNullOrWhiteSpace(url)) return "is required";
        if (url.Length > 2048) return "is longer than 2048 characters";
        if (url.Any(char.IsControl)) return "must not contain control characters";
        if (url.StartsWith('-')) return "must not start with '-'";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            // scp-like ssh syntax: user@host:path/repo.git
            return IsScpLike(url) ? null : "is not a URL (use https, http, ssh or git)";
        }
        if (!AllowedSchemes.Contains(uri.Scheme, StringComparer.OrdinalIgnoreCase))
            return $"has scheme '{uri.Scheme}'; allowed are {string.Join(", ", AllowedSchemes)}";
        if (string.IsNullOrEmpty(uri.Host)) return "has no host";
        if (uri.UserInfo.Contains(':'))
            return "must not carry a password: credentials in URLs end up in logs and records";
        return null;
    }

    private static bool IsScpLike(string url)
    {
        var at = url.IndexOf('@');
        var colon = url.IndexOf(':');
        return at > 0 && colon > at + 1 && colon < url.Length - 1 && !url.Contains("://") && !url.Contains(' ');
    }

    /// <summary>The host a checked URL points at (also for scp-like <c>user@host:path</c>).</summary>
    public static string Host(string url)
    {
        if (Uri.TryCreate(url, UriKind.Absolute, out var uri) && !string.IsNullOrEmpty(uri.Host)) return uri.Host;
        var at = url.IndexOf('@');
        var colon = url.IndexOf(':', at + 1);
        return at >= 0 && colon > at ? url[(at + 1)..colon] : "";
    }

    /// <summary>The URL with any user information replaced, fit for logs.</summary>
    public static string Redact(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.UserInfo.Length > 0
            ? new UriBuilder(uri) { UserName = "***", Password = "" }.Uri.ToString()
            : url;
}
